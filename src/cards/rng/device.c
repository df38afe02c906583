/* The entropy card's part of its worker (cards/poll_worker.h runs the
 * thread): its one ring served from getrandom(2) under its limiter, a
 * refused request waiting for the timer. */
#include "cards/rng/device.h"

#include <stdlib.h>

#include "cards/poll_worker.h"
#include "cards/rng/request.h"
#include "virtio/virtio.h"

/* Requests served before the worker looks at its command eventfd again:
 * a guest keeping the ring full delays a stop by at most this many
 * 64 KiB draws. */
#define RNG_BUDGET 64

struct rng_worker {
	struct rng_server srv;
	struct card_rng_stats own_stats;  /* where counts go without a page */
	struct poll_worker *pw;

	/* Owned by the worker. */
	bool throttled;             /* a request waits for the timer */
};

/* Serves the ring; a request the limiter refused waits for the timer,
 * and kicks meanwhile are not served (they would only be refused again).
 * Returns whether work is left that no fd will announce. */
static bool serve(void *card, unsigned idx, struct virtq *q)
{
	struct rng_worker *w = card;
	uint64_t wait_ns = 0;

	(void)idx;
	if (w->throttled)
		return false;
	switch (rng_serve(&w->srv, q, &wait_ns)) {
	case RNG_IDLE:
		return false;
	case RNG_THROTTLED:
		w->throttled = true;
		poll_worker_arm_timer(w->pw, wait_ns, 0);
		return false;
	default: /* RNG_MORE */
		return true;
	}
}

/* The limiter's wait is over: the refused request is asked for again. */
static bool timer(void *card)
{
	struct rng_worker *w = card;

	w->throttled = false;
	return true;
}

/* Nothing is in flight: a request is completed when taken, or put back
 * (the throttled one). The next ring asks the limiter afresh. */
static void stop(void *card, unsigned idx, struct virtq *q)
{
	struct rng_worker *w = card;

	(void)idx;
	(void)q;
	w->throttled = false;
	poll_worker_arm_timer(w->pw, 0, 0);
}

static const struct poll_worker_ops worker_ops = {
	.serve = serve,
	.timer = timer,
	.stop = stop,
};

/* --- vhost-user device --------------------------------------------- */

/* No config space (config_size 0): the back-end asks for nothing. */
static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	(void)off;
	(void)buf;
	(void)len;
}

/* EVENT_IDX and INDIRECT_DESC are the ring's (virtq_start); the device
 * has no feature of its own. */
static void set_features(void *dev, uint64_t features)
{
	(void)dev;
	(void)features;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct rng_device *d = dev;

	if (idx >= RNG_NR_RINGS)
		return azerr_set(e, "rng has %d ring, not %u", RNG_NR_RINGS, idx + 1);
	poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = POLL_WORKER_START,
							     .idx = idx, .q = q });
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct rng_device *d = dev;

	(void)q;
	/* Only a started ring is stopped, and only ring 0 starts. */
	if (idx < RNG_NR_RINGS)
		poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = POLL_WORKER_STOP,
								     .idx = idx });
}

static const struct vu_device_ops rng_ops = {
	.get_config = get_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
};

int rng_device_init(struct rng_device *d, const struct rate_limiter *limit,
		    struct card_rng_stats *stats, struct azerr *e)
{
	struct rng_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return azerr_set(e, "rng: out of memory");
	card_limiter_init(&d->limit, limit);
	w->srv.limit = &d->limit;
	w->srv.stats = stats ? stats : &w->own_stats;
	w->srv.source = rng_getrandom;
	w->srv.budget = RNG_BUDGET;
	/* pw is set before any hook runs: those wait for a command or the
	 * timer, and neither comes before the device below exists. */
	if (!(w->pw = poll_worker_start("rng", RNG_NR_RINGS, &worker_ops, w, e))) {
		free(w);
		return -1;
	}
	d->w = w;
	d->vu = (struct vu_device){
		.ops = &rng_ops, .dev = d,
		.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES),
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = RNG_NR_RINGS,
		.config_size = 0,
	};
	return 0;
}
