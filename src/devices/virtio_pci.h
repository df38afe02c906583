/* The virtio-pci modern transport (virtio 1.2 §4.1) in the hypervisor.
 *
 * azote emulates only the transport: configuration space, the common and
 * ISR structures, MSI-X, and the notification area. The device itself — its
 * feature bits, configuration fields and virtqueues — is a backend (a card
 * over vhost-user). Virtqueue notifications go from the guest to the backend
 * through KVM ioeventfds on the notify addresses; completions come back as
 * eventfds attached to MSI-X vectors as KVM irqfds. azote never reads or
 * writes a virtqueue.
 *
 * BAR 0 (64-bit memory) layout:
 *   0x0000 common configuration     0x3000 notifications (4 bytes/queue)
 *   0x1000 ISR status               0x4000 MSI-X table
 *   0x2000 device configuration     0x5000 MSI-X pending bits */
#ifndef AZOTE_DEVICES_VIRTIO_PCI_H
#define AZOTE_DEVICES_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "devices/msix.h"
#include "devices/pci.h"
#include "devices/virtio_dev.h"

#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040   /* + virtio device id (modern) */

/* BAR 0 layout. */
#define VIRTIO_PCI_COMMON_OFF  0x0000
#define VIRTIO_PCI_COMMON_LEN  0x3c
#define VIRTIO_PCI_ISR_OFF     0x1000
#define VIRTIO_PCI_DEVICE_OFF  0x2000
#define VIRTIO_PCI_DEVICE_MAX  0x1000
#define VIRTIO_PCI_NOTIFY_OFF  0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_OFF    0x4000
#define VIRTIO_PCI_PBA_OFF     0x5000
#define VIRTIO_PCI_BAR_SIZE    0x8000

/* What the transport needs from the hypervisor beyond MSI-X. */
struct virtio_pci_host_ops {
	/* (De)assign fd as an ioeventfd for guest writes at addr. */
	int (*ioeventfd)(void *ctx, uint64_t addr, int fd, bool assign);
};

struct virtio_pci_params {
	struct virtio_dev_params dev;
	uint32_t class_code;
	const struct virtio_pci_host_ops *host;
	const struct msix_host_ops *msix_host;
	void *host_ctx;              /* for both host op tables */
};

struct virtio_pci {
	struct virtio_dev vd;        /* features, status, queues; its lock */
	struct pci_device pci;
	struct msix msix;
	struct virtio_pci_params p;
	uint16_t config_vector;
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
	int queue_source[VIRTIO_MAX_QUEUES];  /* msix_add_source of its call fd */
	uint64_t notify_base;        /* BAR 0 address while decoded, else 0 */
	uint8_t cfg_cap;             /* VIRTIO_PCI_CAP_PCI_CFG offset */
};

/* Builds the PCI function (capabilities, BAR, MSI-X with one vector per
 * queue plus one for configuration changes) and its eventfds. */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_params *p,
		    struct azerr *e);
void virtio_pci_destroy(struct virtio_pci *vp);

/* Snapshots: the common registers (STATE_VIRTIO_DEV #index), the MSI-X
 * table (STATE_MSIX #index) and the transport's vectors (STATE_VIRTIO_PCI
 * #index). Load after pci_bus_load, which has already put BAR 0 and its
 * notify ioeventfds where the loaded registers say; load then routes the
 * unmasked vectors and attaches the queues' call fds as irqfds. The
 * back-end is not started: see virtio_dev_start_loaded. */
int virtio_pci_save(struct virtio_pci *vp, struct state_set *s, uint32_t index,
		    struct azerr *e);
int virtio_pci_load(struct virtio_pci *vp, const struct state_set *s, uint32_t index,
		    const struct guest_mem *mem, struct azerr *e);

#endif
