/* The virtio-blk device a block card presents over vhost-user: features,
 * config space, and its queues' workers. */
#ifndef AZOTE_CARDS_BLK_DEVICE_H
#define AZOTE_CARDS_BLK_DEVICE_H

#include <pthread.h>

#include "cards/blk/image.h"
#include "cards/blk/opts.h"
#include "iface/card.h"
#include "cards/blk/queue.h"
#include "cards/vhost/backend.h"

#define BLK_MAX_QUEUES CARD_BLK_MAX_QUEUES
/* Segments per request advertised to the driver (seg_max). */
#define BLK_SEG_MAX 254
#define BLK_SIZE_MAX (1u << 20)

struct blk_device {
	struct blk_image img;
	unsigned nr_queues;
	struct blk_queue_shared shared;
	struct card_limiter limit;
	struct blk_queue *queues[BLK_MAX_QUEUES];
	struct vu_device vu;
	/* The vhost-user thread starts and stops rings, the control thread
	 * swaps images: one at a time. running[i]: queue i's ring, or NULL. */
	pthread_mutex_t lock;
	struct virtq *running[BLK_MAX_QUEUES];
};

/* Sets up the device for an opened image and starts its queue workers as
 * o asks (--queues, --poll-us, --uring, the rate limiter's buckets);
 * stats: azote's counters page, or NULL. */
int blk_device_init(struct blk_device *d, const struct blk_opts *o,
		    struct card_blk_stats *stats, struct azerr *e);

/* A new image for the running device (a PATCH of path_on_host): fds[0]
 * for buffered I/O, fds[1] opened O_DIRECT when the card runs --direct.
 * Every running queue stops at a request boundary (what is in flight
 * completes on the old image), the image and the capacity change, the
 * queues start again; the old fds are closed. On failure nothing changes
 * and fds are closed. The new image keeps the old one's read-only flag,
 * DISCARD support and GET_ID. */
int blk_device_swap_image(struct blk_device *d, const int *fds, unsigned nr_fds,
			  struct azerr *e);

/* The config space as the driver reads it (for tests). */
void blk_device_config(const struct blk_device *d, struct virtio_blk_config *c);

#endif
