/* A virtio-pci device whose work a vhost-user back-end does: a card azote
 * starts itself (--drive, --net) over a socketpair, or a server someone
 * else runs (--vhost-user-blk socket=...). azote only translates between
 * the virtio-pci transport and vhost-user messages; the data path runs
 * guest -> KVM ioeventfd -> card and card -> irqfd -> guest.
 *
 * If the back-end goes away, the device is marked DEVICE_NEEDS_RESET (the
 * guest's driver sees its I/O fail) and azote keeps running. */
#ifndef AZOTE_VMM_VHOST_DEV_H
#define AZOTE_VMM_VHOST_DEV_H

#include <stdbool.h>
#include <sys/types.h>

#include "cards/stats.h"
#include "vmm/vhost_frontend.h"
#include "devices/virtio_pci.h"
#include "base/event_loop.h"

struct vm;

#define VHOST_DEV_CONFIG_MAX 256

struct vhost_dev {
	struct vm *vm;
	char name[96];              /* "virtio-blk drive0" */
	uint16_t device_id;         /* VIRTIO_ID_* */
	struct vu_frontend fe;
	struct virtio_pci vp;
	bool vp_ready;
	uint8_t config[VHOST_DEV_CONFIG_MAX];  /* cached device configuration */
	unsigned config_size;
	uint64_t own_features;      /* offered by azote, not the back-end */
	bool started;               /* rings handed to the back-end */
	bool dead;                  /* the back-end hung up */
	struct event_handler hangup;
	pid_t card_pid;             /* the card azote started, or 0 */
	const struct card_stats *stats; /* its counters (read-only), or NULL */
};

struct vhost_dev_params {
	uint16_t device_id;         /* VIRTIO_ID_BLOCK or VIRTIO_ID_NET */
	const char *id;             /* drive_id / iface_id */
	const char *socket;         /* connect here, or ... */
	char *const *card_argv;     /* ... start this card (argv[0] is the path);
				     * "--fd N" is appended */
	unsigned max_queues;        /* 0: what the back-end offers (net: pairs) */
	const uint8_t *mac;         /* net: the MAC to show instead of the
				     * back-end's, or NULL */
};

/* Connects (or starts the card), negotiates, reads the device's
 * configuration and puts the device on the VM's PCI bus. */
int vhost_dev_create(struct vhost_dev *d, struct vm *vm,
		     const struct vhost_dev_params *p, struct azerr *e);
/* Stops the rings, closes the connection, ends and reaps the card. */
void vhost_dev_destroy(struct vhost_dev *d);

#endif
