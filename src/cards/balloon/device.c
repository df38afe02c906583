/* The balloon card's part of its worker (cards/poll_worker.h runs the
 * thread): each ring's chains by its role, and the statistics buffer held
 * and handed back on the timer, on a new interval and on the ring's stop. */
#include "cards/balloon/device.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "cards/balloon/request.h"
#include "cards/poll_worker.h"
#include "common/log.h"
#include "virtio/virtio.h"

/* Chains served on one ring before the worker looks at its command
 * eventfd again: an inflate chain costs at most 256 page lookups and
 * discards, so a guest keeping its rings full delays a stop by at most
 * 64 such chains a ring. */
#define BALLOON_BUDGET 64

_Static_assert(BALLOON_MAX_RINGS <= POLL_WORKER_MAX_RINGS, "one worker serves every ring");

/* The control thread's SET_STATS_INTERVAL (arg: the seconds). */
enum { CMD_INTERVAL = POLL_WORKER_OWN };

struct balloon_worker {
	struct balloon_server srv;
	struct card_balloon_stats own_stats;  /* where counts go without a page */
	struct poll_worker *pw;

	/* Owned by the worker. */
	enum balloon_ring role[BALLOON_MAX_RINGS];  /* of each ring it serves */
	struct virtq *stats_q;      /* the statistics ring while it runs */
	unsigned interval_s;
};

/* Fires the statistics timer every seconds from now (0: disarms it). */
static void arm_timer(struct balloon_worker *w, unsigned seconds)
{
	uint64_t ns = (uint64_t)seconds * 1000000000u;

	poll_worker_arm_timer(w->pw, ns, ns);
}

/* Hands the held statistics buffer back (the guest then posts fresh
 * figures). */
static void return_stats(struct balloon_worker *w)
{
	if (w->stats_q && !balloon_stats_return(&w->srv, w->stats_q))
		log_debug("balloon: no statistics buffer to return (the driver has not "
			  "posted it again yet)");
}

static bool serve(void *card, unsigned idx, struct virtq *q)
{
	struct balloon_worker *w = card;

	return balloon_serve(&w->srv, q, w->role[idx]) == BALLOON_MORE;
}

/* An interval is over: the statistics buffer goes back. */
static bool timer(void *card)
{
	return_stats(card);
	return false;
}

/* arg: the ring's role (queue_start asked balloon_ring_role). */
static void start(void *card, unsigned idx, struct virtq *q, uint64_t arg)
{
	struct balloon_worker *w = card;

	w->role[idx] = (enum balloon_ring)arg;
	if (w->role[idx] == BALLOON_RING_STATS) {
		w->stats_q = q;
		arm_timer(w, w->interval_s);
	}
}

/* The held statistics buffer goes back before the ring is let go:
 * whatever comes next (a snapshot, a reset, another card) finds it used,
 * and the driver posts it again. Every other chain was completed when
 * taken. */
static void stop(void *card, unsigned idx, struct virtq *q)
{
	struct balloon_worker *w = card;

	if (w->role[idx] == BALLOON_RING_STATS && q) {
		return_stats(w);
		w->stats_q = NULL;
		arm_timer(w, 0);
	}
	w->role[idx] = BALLOON_RING_NONE;
}

static void command(void *card, const struct poll_worker_cmd *c)
{
	struct balloon_worker *w = card;

	if (c->op != CMD_INTERVAL)
		return;
	w->interval_s = (unsigned)c->arg;
	if (w->stats_q) {
		return_stats(w);
		arm_timer(w, w->interval_s);
	}
}

static const struct poll_worker_ops worker_ops = {
	.serve = serve,
	.timer = timer,
	.start = start,
	.stop = stop,
	.command = command,
};

void balloon_device_set_interval(struct balloon_device *d, unsigned seconds)
{
	poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = CMD_INTERVAL,
							     .arg = seconds });
}

/* --- vhost-user device --------------------------------------------- */

/* azote shows the guest its own copy of the configuration and fills in
 * num_pages itself: the card's is all zero (the back-end zeroed buf). */
static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	(void)off;
	(void)buf;
	(void)len;
}

/* A guest's write of the configuration, which azote passes on and drops
 * if refused (the back-end has refused those past the 8 bytes). Only
 * `actual` is the driver's to write (virtio 1.2 §5.5.4): a write touching
 * num_pages, the host's target, is refused, else a guest could rewrite
 * the target azote reports and snapshots. The card keeps `actual` for its
 * log. */
static int set_config(void *dev, uint32_t off, const void *buf, uint32_t len,
		      struct azerr *e)
{
	struct balloon_device *d = dev;

	if (len && off < VIRTIO_BALLOON_CFG_ACTUAL)
		return azerr_set(e, "balloon: the guest may not write num_pages "
				 "(config bytes %u+%u)", off, len);
	if (off == VIRTIO_BALLOON_CFG_ACTUAL && len == sizeof(uint32_t)) {
		uint32_t actual;

		memcpy(&actual, buf, sizeof(actual));
		d->actual = le32toh(actual);
		log_debug("balloon: the guest holds %u pages", d->actual);
	}
	return 0;
}

static void set_features(void *dev, uint64_t features)
{
	struct balloon_device *d = dev;

	d->features = features;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct balloon_device *d = dev;
	enum balloon_ring role = balloon_ring_role(d->features, idx);

	if (idx >= BALLOON_MAX_RINGS || role == BALLOON_RING_NONE)
		return azerr_set(e, "balloon: ring %u has no use with features 0x%llx", idx,
				 (unsigned long long)d->features);
	poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = POLL_WORKER_START,
							     .idx = idx, .q = q, .arg = role });
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct balloon_device *d = dev;

	(void)q;
	if (idx < BALLOON_MAX_RINGS)
		poll_worker_send(d->w->pw, &(struct poll_worker_cmd){ .op = POLL_WORKER_STOP,
								     .idx = idx });
}

static const struct vu_device_ops balloon_ops = {
	.get_config = get_config,
	.set_config = set_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
};

int balloon_device_init(struct balloon_device *d, uint64_t balloon_features,
			unsigned stats_interval_s, struct card_balloon_stats *stats,
			struct azerr *e)
{
	struct balloon_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return azerr_set(e, "balloon: out of memory");
	w->srv.stats = stats ? stats : &w->own_stats;
	w->srv.discard = balloon_remove;
	w->srv.budget = BALLOON_BUDGET;
	w->interval_s = stats_interval_s;
	/* pw is set before any hook runs: those wait for a command or the
	 * timer, and neither comes before the device below exists. */
	if (!(w->pw = poll_worker_start("balloon", BALLOON_MAX_RINGS, &worker_ops, w, e))) {
		free(w);
		return -1;
	}
	uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES) | balloon_features;
	d->w = w;
	d->features = features;
	d->vu = (struct vu_device){
		.ops = &balloon_ops, .dev = d,
		.features = features,
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = balloon_nr_rings(features),
		.config_size = VIRTIO_BALLOON_CONFIG_SIZE,
	};
	return 0;
}
