/* The virtio-mmio transport (virtio 1.2 §4.2), modern (Version 2) only, in
 * the hypervisor. As with virtio-pci, azote emulates only the registers;
 * the device's work is a backend's (virtio_dev.h). Notifications go from
 * the guest to the backend through KVM ioeventfds on QueueNotify, one per
 * queue, matched on the queue index the driver writes; completions come
 * back as eventfds that are KVM irqfds on the device's interrupt line, so
 * azote neither sees a kick nor raises a queue interrupt itself.
 *
 * The guest learns where a device is from the kernel command line
 * (virtio_mmio.device=<size>@<base>:<irq>, virtio_mmio_cmdline_arg) or
 * from ACPI, as Firecracker describes its devices. */
#ifndef AZOTE_DEVICES_VIRTIO_MMIO_H
#define AZOTE_DEVICES_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/io_bus.h"
#include "common/err.h"
#include "devices/virtio_dev.h"

#define VIRTIO_MMIO_MAGIC      0x74726976   /* "virt" */
#define VIRTIO_MMIO_VERSION    2
#define VIRTIO_MMIO_VENDOR     0x544f5a41   /* "AZOT" */
#define VIRTIO_MMIO_SIZE       0x1000       /* each device's window */
#define VIRTIO_MMIO_CONFIG_OFF 0x100

/* What the transport needs from the hypervisor. */
struct virtio_mmio_host_ops {
	/* (De)assign fd as an ioeventfd for 4-byte guest writes of value
	 * match at addr. */
	int (*ioeventfd)(void *ctx, uint64_t addr, uint32_t match, int fd, bool assign);
	/* (De)assign fd as a KVM irqfd raising interrupt line gsi. */
	int (*irqfd)(void *ctx, unsigned gsi, int fd, bool assign);
};

struct virtio_mmio_params {
	struct virtio_dev_params dev;
	struct io_bus *bus;          /* the guest's MMIO bus */
	uint64_t base;               /* VIRTIO_MMIO_SIZE bytes from here */
	unsigned gsi;                /* the interrupt line, edge-triggered */
	const struct virtio_mmio_host_ops *host;
	void *host_ctx;
};

struct virtio_mmio {
	struct virtio_dev vd;        /* features, status, queues; its lock */
	struct virtio_mmio_params p;
	int config_fd;               /* written for a configuration interrupt */
	unsigned nr_irqfds;          /* queues' call fds routed, then config_fd */
	unsigned nr_ioeventfds;
	bool registered;             /* on the bus */
};

/* Puts the device on the bus at p->base with its ioeventfds and irqfds. */
int virtio_mmio_init(struct virtio_mmio *vm, const struct virtio_mmio_params *p,
		     struct azerr *e);
void virtio_mmio_destroy(struct virtio_mmio *vm);

/* Snapshots: the common registers (STATE_VIRTIO_DEV #index) and where the
 * device is (STATE_VIRTIO_MMIO #index: window and line, which load
 * checks against this device's). The ioeventfds and irqfds were set by
 * virtio_mmio_init and do not depend on the registers, so load has
 * nothing to redo for them. The back-end is not started: see
 * virtio_dev_start_loaded. */
int virtio_mmio_save(struct virtio_mmio *vm, struct state_set *s, uint32_t index,
		     struct azerr *e);
int virtio_mmio_load(struct virtio_mmio *vm, const struct state_set *s, uint32_t index,
		     const struct guest_mem *mem, struct azerr *e);

/* The kernel command-line argument that describes a device at base on
 * line gsi to Linux (VIRTIO_MMIO_CMDLINE_DEVICES):
 * "virtio_mmio.device=4K@0x<base>:<gsi>". Returns the length written, or
 * -1 when len is too small. */
int virtio_mmio_cmdline_arg(uint64_t base, unsigned gsi, char *buf, size_t len);

#endif
