/* azote-card-rng: a virtio-rng (entropy) device as a sandboxed vhost-user
 * back-end, serving Firecracker's entropy device.
 *
 *   azote-card-rng (--socket PATH | --fd N) [--bw-limit BUCKET]
 *                  [--ops-limit BUCKET] [--seccomp kill|log|off]
 *                  [--stats-fd N] [--user UID[:GID]]
 *
 * It serves no resource: the random bytes come from getrandom(2), which
 * needs no file, so confinement leaves it nothing to reach. The start-up
 * is every card's (card_main.c); the device, a ring served by one worker
 * under the card's limiter, cards/limited_ring.h's; the requests,
 * request.h's. */
#include <stdio.h>
#include <sys/syscall.h>

#include "cards/card_main.h"
#include "cards/limited_ring.h"
#include "cards/rng/opts.h"
#include "cards/rng/request.h"

/* Requests served before the worker looks at its command eventfd again:
 * a guest keeping the ring full delays a stop by at most this many
 * 64 KiB draws. */
#define RNG_BUDGET 64

struct rng_card {
	struct rng_opts o;
	struct limited_ring ring;   /* the device: its ring, worker and limiter */
	struct rng_server srv;      /* what the worker serves the ring with */
	struct card_rng_stats own_stats;  /* where counts go without a page */
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct rng_card *c = card;

	*common = &c->o.card;
	return rng_opts_parse(argc, argv, &c->o, e);
}

static enum limited_pass pass(void *srv, struct virtq *q, uint64_t *wait_ns)
{
	return rng_serve(srv, q, wait_ns);
}

/* The device: virtio-rng (virtio 1.2 §5.4), one ring, no config space. */
static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct rng_card *c = card;

	c->srv = (struct rng_server){ .limit = &c->ring.limit, .source = rng_getrandom,
				      .stats = stats ? &stats->rng : &c->own_stats,
				      .budget = RNG_BUDGET };
	if (limited_ring_init(&c->ring, "rng", &c->o.limit, pass, &c->srv, 0, e))
		return NULL;
	return &c->ring.vu;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct rng_card *c = card;

	snprintf(buf, size, "entropy from getrandom(2)%s",
		 c->ring.limit.on ? ", rate limited" : "");
}

/* Beyond the base list and every card's: the random bytes, and the
 * limiter's timer (its reads are the base list's read). */
static const int extra_syscalls[] = { SYS_getrandom, SYS_timerfd_settime };
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
};

static struct rng_card card;
static const struct card_kind rng_kind = {
	.name = "azote-card-rng",
	.card = &card,
	.parse = parse,
	.usage = rng_opts_usage,
	.filter = &filter,
	.create = create,         /* nothing to open: no open, no destroy */
	.describe = describe,
	.limiters = { &card.ring.limit },
	.nr_limiters = 1,
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &rng_kind);
}
