/* A virtio device (virtio-pci or virtio-mmio) whose work a vhost-user back-end does: a card azote
 * starts itself (--drive, --net) over a socketpair, or a server someone
 * else runs (--vhost-user-blk socket=...). What differs between kinds of
 * device is in their entry of vmm/device_kind.h. azote only translates between
 * the virtio-pci transport and vhost-user messages; the data path runs
 * guest -> KVM ioeventfd -> card and card -> irqfd -> guest.
 *
 * If the back-end goes away, the device is marked DEVICE_NEEDS_RESET (the
 * guest's driver sees its I/O fail) and azote keeps running. */
#ifndef AZOTE_VMM_VHOST_DEV_H
#define AZOTE_VMM_VHOST_DEV_H

#include <stdbool.h>
#include <sys/types.h>

#include "iface/card_stats.h"
#include "vmm/device_kind.h"
#include "vmm/vhost_frontend.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_pci.h"
#include "base/event_loop.h"

struct vm;

#define VHOST_DEV_CONFIG_MAX 256

struct vhost_dev {
	struct vm *vm;
	char name[96];              /* "virtio-blk drive0" */
	const struct device_kind *kind;
	struct vu_frontend fe;
	enum vm_transport transport;
	union {
		struct virtio_pci pci;
		struct virtio_mmio mmio;
	} t;
	struct virtio_dev *vd;      /* t's common state, once t is set up */
	uint8_t config[VHOST_DEV_CONFIG_MAX];  /* cached device configuration */
	unsigned config_size;
	uint64_t own_features;      /* offered by azote, not the back-end */
	bool started;               /* rings handed to the back-end */
	bool dead;                  /* the back-end hung up */
	struct event_handler hangup;
	pid_t card_pid;             /* the card azote started, or 0 */
	int ctl_fd;                 /* its control channel, or -1 */
	const struct card_stats *stats; /* its counters (read-only), or NULL */
};

/* Where the guest finds a device: on the PCI bus (a free slot), or as
 * virtio-mmio at mmio_base with interrupt line gsi. */
struct vhost_dev_place {
	enum vm_transport transport;
	uint64_t mmio_base;
	unsigned gsi;
};

/* The device of kind k configured by dev (an element of k's list in
 * vm_config): connects to its socket or starts its card, negotiates, reads
 * the device's configuration and puts the device where `at` says. */
int vhost_dev_create(struct vhost_dev *d, struct vm *vm, const struct device_kind *k,
		     const void *dev, const struct vhost_dev_place *at, struct azerr *e);
/* Stops the rings, closes the connection, ends and reaps the card. */
void vhost_dev_destroy(struct vhost_dev *d);

#endif
