/* What every virtio transport keeps for a device (virtio 1.2 §2 and §3):
 * the feature bits both sides offer, the device status and its
 * transitions (FEATURES_OK checked, DRIVER_OK starts the backend, 0
 * resets), the virtqueues' fields as the driver writes them, the
 * configuration generation and the interrupt status bits. The transports
 * (virtio_pci.c, virtio_mmio.c) only decode their registers into these
 * calls and deliver interrupts their own way; the device's work is a
 * backend's (a card, over vhost-user). Nothing here reads a virtqueue.
 *
 * Every call but init, destroy, set_needs_reset and config_changed is made
 * with vd->lock held, from the vCPU thread whose access caused it. */
#ifndef AZOTE_DEVICES_VIRTIO_DEV_H
#define AZOTE_DEVICES_VIRTIO_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/guest_mem.h"
#include "base/state.h"
#include "common/err.h"
#include "virtio/virtio.h"

#define VIRTIO_MAX_QUEUES 32

/* Interrupt status bits: the PCI ISR byte (§4.1.4.5) and virtio-mmio's
 * InterruptStatus (§4.2.2) agree. */
#define VIRTIO_ISR_QUEUE  0x1
#define VIRTIO_ISR_CONFIG 0x2

struct virtio_queue {
	uint16_t max_size;
	uint16_t size;          /* as the driver set it */
	bool enabled;
	uint64_t desc, driver, device;  /* guest physical ring addresses */
	int kick_fd;            /* guest notifications (KVM ioeventfd) */
	int call_fd;            /* backend completions (a KVM irqfd) */
};

/* The device behind the transport, called with the lock held. */
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

struct virtio_dev;

/* What differs between transports around the common state. */
struct virtio_transport_ops {
	/* Deliver a configuration-change interrupt (VIRTIO_ISR_CONFIG is
	 * already set). */
	void (*notify_config)(struct virtio_dev *vd);
	/* May the backend start now? -1 with e if not (PCI: bus mastering
	 * must be on). NULL: always. */
	int (*may_start)(struct virtio_dev *vd, struct azerr *e);
	/* The device was reset (PCI: queues lose their MSI-X vectors). */
	void (*reset)(struct virtio_dev *vd);
};

struct virtio_dev_params {
	const char *name;            /* "virtio-blk drive0", for messages */
	uint16_t device_id;          /* VIRTIO_ID_* */
	uint64_t device_features;    /* what the backend offers */
	unsigned nr_queues;
	uint16_t queue_max_size;
	unsigned config_size;
	const struct virtio_backend_ops *ops;
	void *ops_ctx;
};

struct virtio_dev {
	pthread_mutex_t lock;
	struct virtio_dev_params p;
	const struct virtio_transport_ops *t;
	void *t_ctx;                 /* the transport, for its ops */
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint16_t queue_select;
	uint8_t status, config_generation, isr;
	bool started;                /* the backend runs the queues */
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];
};

/* Checks p (1..VIRTIO_MAX_QUEUES queues, config_max bytes of
 * configuration at most) and creates each queue's eventfds. */
int virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_params *p,
		    unsigned config_max, const struct virtio_transport_ops *t, void *t_ctx,
		    struct azerr *e);
/* Stops the backend if it runs, closes the eventfds. */
void virtio_dev_destroy(struct virtio_dev *vd);

/* Stops the backend if it runs (the status is left alone). */
void virtio_dev_stop(struct virtio_dev *vd);
void virtio_dev_reset(struct virtio_dev *vd);
void virtio_dev_write_status(struct virtio_dev *vd, uint8_t v);
/* The 32 feature bits the select registers point at. */
uint32_t virtio_dev_device_features(const struct virtio_dev *vd);
uint32_t virtio_dev_driver_features(const struct virtio_dev *vd);
void virtio_dev_set_driver_features(struct virtio_dev *vd, uint32_t v);
/* The selected queue, or NULL when the selector is out of range. */
struct virtio_queue *virtio_dev_queue(struct virtio_dev *vd);
/* Queue fields are the driver's until it enables the queue or the device
 * runs (§4.1.4.3.2, §4.2.2.3). */
bool virtio_dev_queue_writable(const struct virtio_dev *vd, const struct virtio_queue *q);
/* The backend runs and the device serves its driver: neither side gave
 * up on it (FAILED, NEEDS_RESET). A device restored from a snapshot
 * runs again exactly when this held as it was saved. */
bool virtio_dev_serving(const struct virtio_dev *vd);
/* Sets the low or high 32 bits of a 64-bit register. */
void virtio_set_half(uint64_t *field, bool high, uint32_t v);
/* Device configuration access at off (relative to its start); outside
 * config_size a read gives zeros and a write is dropped. */
void virtio_dev_config_access(struct virtio_dev *vd, uint64_t off, void *data,
			      const void *wdata, unsigned len);
/* A notification that did not come through KVM's ioeventfd. */
void virtio_dev_kick(struct virtio_dev *vd, uint64_t queue);

/* Take the lock themselves. The backend can no longer serve the device
 * (a card died): DEVICE_NEEDS_RESET, and tell the driver (§2.1.2). */
void virtio_dev_set_needs_reset(struct virtio_dev *vd);
/* The backend's configuration changed (e.g. a resized disk). */
void virtio_dev_config_changed(struct virtio_dev *vd);

/* Snapshots (the transports' save and load call these for their common
 * part). Take the lock themselves.
 *
 * virtio_dev_save: section STATE_VIRTIO_DEV #index: feature bits, selects,
 * status, configuration generation, ISR, every queue's size, enable and
 * ring addresses.
 *
 * virtio_dev_load: refuses another device (ID, number of queues, queue
 * maximum), under FEATURES_OK driver features this device does not
 * offer, reserved status or ISR bits, DRIVER_OK without FEATURES_OK, and
 * on an enabled queue of a running device a size that is not a power of
 * two up to the maximum or a ring that is not aligned inside mem's RAM.
 * It restores the registers only: the backend is NOT started
 * (vd->started stays false), whatever the status says.
 *
 * After a load the device's owner (vmm/vhost_dev.c) must, for each device
 * where virtio_dev_loaded_running() is true, give its back-end what the
 * rings need beyond the registers (memory table, features, each ring's
 * next available index from its own section) and then call
 * virtio_dev_start_loaded(), which hands the loaded queues to ops->start
 * as DRIVER_OK would. Until then the guest's kicks wait in the kick
 * eventfds. */
int virtio_dev_save(struct virtio_dev *vd, struct state_set *s, uint32_t index,
		    struct azerr *e);
int virtio_dev_load(struct virtio_dev *vd, const struct state_set *s, uint32_t index,
		    const struct guest_mem *mem, struct azerr *e);
bool virtio_dev_loaded_running(struct virtio_dev *vd);
int virtio_dev_start_loaded(struct virtio_dev *vd, struct azerr *e);

#endif
