/* The virtio-rng device an entropy card presents over vhost-user (virtio
 * 1.2 §5.4): one ring, the requestq, no config space, and one worker
 * thread that serves it (request.h) from its start in create to the
 * card's end. The vhost-user thread hands the ring over with queue_start
 * and takes it back with queue_stop (docs/architecture.md, "How a card
 * hands rings to its workers"). */
#ifndef AZOTE_CARDS_RNG_DEVICE_H
#define AZOTE_CARDS_RNG_DEVICE_H

#include "cards/limiter.h"
#include "cards/vhost/backend.h"
#include "iface/card_stats.h"
#include "iface/rate_limit.h"

#define RNG_NR_RINGS 1

struct rng_worker;

struct rng_device {
	struct vu_device vu;
	struct card_limiter limit;  /* the card's one: SET_LIMITS replaces it */
	struct rng_worker *w;
};

/* Sets the device up with limit (NULL: none) and starts its worker,
 * counting into stats (NULL: counted nowhere). */
int rng_device_init(struct rng_device *d, const struct rate_limiter *limit,
		    struct card_rng_stats *stats, struct azerr *e);

#endif
