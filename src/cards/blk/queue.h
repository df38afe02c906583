/* One virtio-blk queue's worker: a thread with its own io_uring that turns
 * requests into I/O on the image, keeps several in flight and completes
 * them in any order. With nothing in flight it spins on the ring for a
 * while (poll_ns) before it sleeps until a kick.
 *
 * Workers are created at start-up, before the sandbox closes (no thread or
 * ring creation afterwards), and idle until the vhost-user server starts
 * their ring. */
#ifndef AZOTE_CARDS_BLK_QUEUE_H
#define AZOTE_CARDS_BLK_QUEUE_H

#include <stdbool.h>

#include "cards/blk/image.h"
#include "cards/blk/req.h"
#include "cards/limiter.h"
#include "iface/card_stats.h"
#include "common/err.h"
#include "cards/virtio/virtqueue.h"
#include "iface/blk_uring.h"

struct blk_queue;

struct blk_queue_shared {
	const struct blk_image *img;
	struct blk_geom geom;
	bool writethrough;   /* FLUSH not negotiated: every write is synced */
	struct card_blk_stats *stats;  /* azote's counters page, or NULL */
	uint64_t poll_ns;    /* spin this long for requests before sleeping */
	enum blk_uring_mode uring;  /* how each worker's io_uring is set up */
	/* The card's one limiter, shared by its queues as Firecracker's
	 * device has one for its queue: a request refused stays on its
	 * ring and that queue's worker waits on a timer of its own. */
	struct card_limiter *limit;
};

/* Creates the worker for queue idx (thread, io_uring restricted to the
 * operations it uses, control eventfd). */
struct blk_queue *blk_queue_create(unsigned idx, const struct blk_queue_shared *sh,
				   struct azerr *e);

/* Hands q to the worker, which processes it from now on. */
void blk_queue_start(struct blk_queue *bq, struct virtq *q);

/* Takes q back: returns once every request taken is completed. */
void blk_queue_stop(struct blk_queue *bq);

#endif
