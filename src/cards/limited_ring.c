/* One ring under one limiter, served by a poll worker (limited_ring.h). */
#include "cards/limited_ring.h"

#include <stdbool.h>
#include <stdlib.h>

#include "cards/poll_worker.h"
#include "virtio/virtio.h"

#define LIMITED_NR_RINGS 1

struct limited_worker {
	const char *name;           /* the card's, for messages */
	limited_pass_fn pass;
	void *srv;
	struct poll_worker *pw;

	/* Owned by the worker. */
	bool throttled;             /* a request waits for the timer */
};

/* Serves the ring, unless a refused request waits for the timer. Returns
 * whether work is left that no fd will announce. */
static bool serve(void *card, unsigned idx, struct virtq *q)
{
	struct limited_worker *w = card;
	uint64_t wait_ns = 0;

	(void)idx;
	if (w->throttled)
		return false;
	switch (w->pass(w->srv, q, &wait_ns)) {
	case LIMITED_IDLE:
		return false;
	case LIMITED_THROTTLED:
		w->throttled = true;
		poll_worker_arm_timer(w->pw, wait_ns, 0);
		return false;
	default: /* LIMITED_MORE */
		return true;
	}
}

/* The limiter's wait is over: the refused request is asked for again. */
static bool timer(void *card)
{
	struct limited_worker *w = card;

	w->throttled = false;
	return true;
}

/* Nothing is in flight: a request is completed when taken, or put back
 * (the throttled one). The next ring asks the limiter afresh. */
static void stop(void *card, unsigned idx, struct virtq *q)
{
	struct limited_worker *w = card;

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

/* EVENT_IDX and INDIRECT_DESC are the ring's (virtq_start); neither card
 * has a feature of its own. */
static void set_features(void *dev, uint64_t features)
{
	(void)dev;
	(void)features;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct limited_ring *d = dev;

	if (idx >= LIMITED_NR_RINGS)
		return azerr_set(e, "%s has %d ring, not %u", d->w->name, LIMITED_NR_RINGS,
				 idx + 1);
	poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = POLL_WORKER_START,
							     .idx = idx, .q = q });
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct limited_ring *d = dev;

	(void)q;
	/* Only a started ring is stopped, and only ring 0 starts. */
	if (idx < LIMITED_NR_RINGS)
		poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = POLL_WORKER_STOP,
								     .idx = idx });
}

/* No get_config: the back-end answers with zeros (backend.h); no
 * set_config: the driver writes no configuration. */
static const struct vu_device_ops limited_ops = {
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
};

int limited_ring_init(struct limited_ring *d, const char *name, const struct rate_limiter *limit,
		      limited_pass_fn pass, void *srv, uint32_t config_size, struct azerr *e)
{
	struct limited_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return azerr_set(e, "%s: out of memory", name);
	card_limiter_init(&d->limit, limit);
	w->name = name;
	w->pass = pass;
	w->srv = srv;
	/* pw is set before any hook runs: those wait for a command or the
	 * timer, and neither comes before the device below exists. */
	if (!(w->pw = poll_worker_start(name, LIMITED_NR_RINGS, &worker_ops, w, e))) {
		free(w);
		return -1;
	}
	d->w = w;
	d->vu = (struct vu_device){
		.ops = &limited_ops, .dev = d,
		.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES),
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = LIMITED_NR_RINGS,
		.config_size = config_size,
	};
	return 0;
}
