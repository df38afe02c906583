/* The back-end (card) side of vhost-user: one server loop every card uses.
 * It negotiates features, maps guest memory, tracks each vring's state and
 * hands the device a started virtq when a ring is ready to run, taking it
 * back before anything the ring depends on changes.
 *
 * A ring runs when all hold: memory table set, SET_VRING_NUM and
 * SET_VRING_ADDR received, a kick fd set (SET_VRING_KICK starts the ring),
 * and the ring enabled (SET_VRING_ENABLE 1, or no PROTOCOL_FEATURES
 * negotiated). GET_VRING_BASE stops it and returns the next avail index.
 * A message that changes a running ring's setup (memory, addresses, fds,
 * features) stops the ring, applies, and restarts it.
 *
 * Device callbacks are called from the server's thread only. */
#ifndef AZOTE_CARDS_VHOST_BACKEND_H
#define AZOTE_CARDS_VHOST_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "vhost/msg.h"
#include "vhost/protocol.h"
#include "cards/virtio/gmem.h"
#include "cards/virtio/virtqueue.h"
#include "cards/virtio/vlog.h"

struct vu_device_ops {
	/* Fills buf with len bytes of device config space from offset off
	 * (range already checked against config_size; buf zeroed). NULL: the
	 * card's config space is all zero (azote keeps the real one, or there
	 * is none). */
	void (*get_config)(void *dev, uint32_t off, void *buf, uint32_t len);
	/* Writes len bytes at off; -1 (with e) refuses the write. NULL: the
	 * config space is read-only. */
	int (*set_config)(void *dev, uint32_t off, const void *buf, uint32_t len,
			  struct azerr *e);
	/* The driver's feature choice, before any ring starts. */
	void (*set_features)(void *dev, uint64_t features);
	/* Ring idx is ready: the device processes q from now on (q->kickfd
	 * signals work, q->callfd takes notifications). q stays valid and
	 * untouched by the server until queue_stop returns. */
	int (*queue_start)(void *dev, unsigned idx, struct virtq *q, struct azerr *e);
	/* Stop processing q: return once every request taken from it is
	 * completed (pushed) and the device no longer touches it. */
	void (*queue_stop)(void *dev, unsigned idx, struct virtq *q);
	/* The driver is gone, every ring stopped: a device reset
	 * (RESET_DEVICE, or RESET_OWNER without it: what azote sends when
	 * the guest resets the device) or the front-end's end. A ring that
	 * stops and starts again without it (a pause, a change of memory
	 * or of the log) is the same driver's. NULL: the device keeps
	 * nothing of a driver's. */
	void (*reset)(void *dev);
};

/* A device offering VHOST_USER_PROTOCOL_F_LOG_SHMFD is offered
 * VHOST_F_LOG_ALL too: it must write guest memory only into the chains it
 * pops, and complete them through virtq_push/virtq_fill with the length it
 * wrote, logging any other byte it writes with virtq_log_write
 * (virtqueue.h), so that the log sees every page it changes. */
struct vu_device {
	const struct vu_device_ops *ops;
	void *dev;
	uint64_t features;          /* virtio features offered (device+ring) */
	uint64_t protocol_features; /* offered, within what the server knows */
	unsigned nr_queues;         /* at most VHOST_USER_MAX_QUEUES */
	unsigned queue_num;         /* GET_QUEUE_NUM's answer, 0: nr_queues
				     * (vhost-user-net counts queue pairs) */
	uint32_t config_size;       /* at most VHOST_USER_MAX_CONFIG */
};

struct vu_vring {
	struct virtq q;
	unsigned num;
	struct vhost_user_vring_addr addr;
	bool has_addr;
	uint16_t base;              /* next avail index while stopped */
	int kickfd, callfd, errfd;
	bool enabled;
	bool running;               /* handed to the device */
	bool failed;                /* could not start; retried once changed */
};

struct vu_backend {
	const struct vu_device *dev;
	int sock;
	const char *name;           /* for messages: socket path or "fd N" */
	bool owner;
	uint64_t features;          /* acked */
	bool features_set;
	uint64_t protocol_features; /* acked */
	uint8_t status;
	struct gmem mem;
	struct vlog log;            /* SET_LOG_BASE's, or empty */
	/* Memory fds (guest RAM, dirty log) that cannot be sealed against
	 * shrinking are refused, not taken with a warning: azote, the
	 * front-end of --fd, makes them sealable (server.c). */
	bool seals_required;
	bool broken;                /* a failure the front-end cannot be told */
	bool replied;               /* the current request got its answer */
	struct vu_vring vrings[VHOST_USER_MAX_QUEUES];
};

/* The protocol features this server implements; a device offers a subset. */
#define VU_BACKEND_PROTOCOL_FEATURES \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_STATUS))

void vu_backend_init(struct vu_backend *b, const struct vu_device *dev);

struct uffd_pager;
/* On a lazy restore (docs/snapshot.md): the pager (common/uffd_pager.h)
 * every memory region this process maps from then on is registered with,
 * and forgotten by before it is unmapped. One per process, set before the
 * front-end connects. */
void vu_backend_set_pager(struct uffd_pager *p);

/* Serves one front-end connection on sock until it closes (returns 0) or
 * breaks the protocol beyond recovery (returns -1 with e). Requests that
 * are malformed or refused get a failure reply when the front-end asked for
 * one (REPLY_ACK) and are logged; the connection carries on. On return
 * every ring is stopped, memory unmapped and state reset, so the backend
 * can serve the next connection. sock is not closed. */
int vu_backend_serve(struct vu_backend *b, int sock, const char *name,
		     struct azerr *e);

/* Handles one received request (exposed for tests and fuzzing), taking
 * ownership of its fds. Returns 0 when handled, -1 when refused (with e);
 * replies as the protocol asks. A refused request that expects a reply of
 * its own and could not be given one sets b->broken: the connection must
 * end. */
int vu_backend_handle(struct vu_backend *b, struct vu_msg *m, struct azerr *e);

/* Stops every ring, unmaps memory, forgets negotiated state (the device
 * too: its reset hook). */
void vu_backend_reset(struct vu_backend *b);

#endif
