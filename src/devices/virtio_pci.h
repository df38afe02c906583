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

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "devices/msix.h"
#include "devices/pci.h"
#include "virtio/virtio.h"

#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040   /* + virtio device id (modern) */
#define VIRTIO_PCI_MAX_QUEUES  32

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

struct virtio_queue {
	uint16_t max_size;
	uint16_t size;          /* as the driver set it */
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device;  /* guest physical ring addresses */
	int kick_fd;            /* guest notifications (KVM ioeventfd) */
	int call_fd;            /* backend completions (irqfd on the vector) */
	int msix_source;
};

/* The device behind the transport. Called with the transport's lock held,
 * from the vCPU thread whose access caused it. */
struct virtio_backend_ops {
	/* DRIVER_OK: run the enabled queues with the negotiated features. */
	int (*start)(void *ctx, uint64_t features, struct virtio_queue *q,
		     unsigned nr_queues, struct azerr *e);
	/* The driver reset the device: stop every queue. */
	void (*stop)(void *ctx);
	/* Device configuration space; [off, off+len) is inside config_size. */
	void (*config_read)(void *ctx, unsigned off, void *data, unsigned len);
	void (*config_write)(void *ctx, unsigned off, const void *data, unsigned len);
};

/* What the transport needs from the hypervisor beyond MSI-X. */
struct virtio_pci_host_ops {
	/* (De)assign fd as an ioeventfd for guest writes at addr. */
	int (*ioeventfd)(void *ctx, uint64_t addr, int fd, bool assign);
};

struct virtio_pci_params {
	const char *name;            /* "virtio-blk drive0", for messages */
	uint16_t device_id;          /* VIRTIO_ID_* */
	uint32_t class_code;
	uint64_t device_features;    /* what the backend offers */
	unsigned nr_queues;
	uint16_t queue_max_size;
	unsigned config_size;
	const struct virtio_backend_ops *ops;
	void *ops_ctx;
	const struct virtio_pci_host_ops *host;
	const struct msix_host_ops *msix_host;
	void *host_ctx;              /* for both host op tables */
};

struct virtio_pci {
	pthread_mutex_t lock;
	struct pci_device pci;
	struct msix msix;
	struct virtio_pci_params p;
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint16_t config_vector;
	uint16_t queue_select;
	uint8_t status, config_generation, isr;
	bool started;                /* the backend runs the queues */
	uint64_t notify_base;        /* BAR 0 address while decoded, else 0 */
	uint8_t cfg_cap;             /* VIRTIO_PCI_CAP_PCI_CFG offset */
	struct virtio_queue queues[VIRTIO_PCI_MAX_QUEUES];
};

/* Builds the PCI function (capabilities, BAR, MSI-X with one vector per
 * queue plus one for configuration changes) and its eventfds. */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_params *p,
		    struct azerr *e);
void virtio_pci_destroy(struct virtio_pci *vp);

/* The backend can no longer serve the device (a card died): set
 * DEVICE_NEEDS_RESET and tell the driver, as §2.1.2 prescribes. */
void virtio_pci_set_needs_reset(struct virtio_pci *vp);
/* The backend's configuration changed (e.g. a resized disk). */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* The transport features azote can offer on top of the device's own. */
uint64_t virtio_pci_transport_features(uint64_t device_features);

#endif
