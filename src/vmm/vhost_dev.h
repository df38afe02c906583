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
#include <stdint.h>
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
	/* Its rings ran since the last snapshot written (or the boot, or the
	 * restore) with a back-end that does not set the dirty log's bits for
	 * what it writes (VHOST_F_LOG_ALL): those writes are in no record,
	 * even once its driver has reset it, so no Diff snapshot can be taken
	 * before a Full one. Cleared as the dirty log is. */
	bool wrote_unlogged;
	uint32_t rings_on;          /* which of them, bit per queue */
	/* A snapshot stopped the rings (vmm/vhost_devs_state.h); a resume
	 * restarts them at base[]. */
	bool parked;
	uint16_t base[VIRTIO_MAX_QUEUES];
	bool dead;                  /* the back-end hung up */
	struct event_handler hangup;
	/* The avail index each ring starts from at the next start, set by
	 * vhost_devs_restore around it; NULL: 0 (DRIVER_OK). */
	const uint16_t *restored_base;
	pid_t card_pid;             /* the card azote started, or 0 */
	int ctl_fd;                 /* its control channel, or -1 */
	struct page_relay *relay;   /* its page relay (vmm/page_relay.h), or NULL */
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

/* Hands the enabled queues of q (the transport's, or a snapshot's) to the
 * back-end with the driver's features: SET_FEATURES, SET_MEM_TABLE, the
 * dirty log when the VM tracks changed pages and the back-end can log
 * (SET_LOG_BASE, VHOST_F_LOG_ALL, each ring's used ring logged; else it
 * sets wrote_unlogged), then each ring from avail index base[i] (NULL: 0, a fresh start), with the
 * transport's kick and call eventfds. What DRIVER_OK does, and what a
 * resume or restore does from saved state. Call with d->vd->lock held.
 * The answers may take VHOST_SEQUENCE_MS in all, as for the stop. */
int vhost_dev_start_rings(struct vhost_dev *d, uint64_t features,
			  const struct virtio_queue *q, const uint16_t *base,
			  struct azerr *e);
/* Stops every ring handed to the back-end (GET_VRING_BASE: it finishes
 * what it took) and, if base is not NULL, stores each one's next avail
 * index there. Tries every ring; -1 with e for the last that failed. The
 * card's answers may take VHOST_SEQUENCE_MS in all (vu_fe_begin). */
int vhost_dev_stop_rings(struct vhost_dev *d, uint16_t *base, struct azerr *e);

#endif
