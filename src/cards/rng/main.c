/* azote-card-rng: a virtio-rng (entropy) device as a sandboxed vhost-user
 * back-end, serving Firecracker's entropy device.
 *
 *   azote-card-rng (--socket PATH | --fd N) [--bw-limit BUCKET]
 *                  [--ops-limit BUCKET] [--seccomp kill|log|off]
 *                  [--stats-fd N] [--user UID[:GID]]
 *
 * It serves no resource: the random bytes come from getrandom(2), which
 * needs no file, so confinement leaves it nothing to reach. The start-up
 * is every card's (card_main.c); the device is device.h's. */
#include <stdio.h>
#include <sys/syscall.h>

#include "cards/card_main.h"
#include "cards/rng/device.h"
#include "cards/rng/opts.h"

struct rng_card {
	struct rng_opts o;
	struct rng_device dev;
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct rng_card *c = card;

	*common = &c->o.card;
	return rng_opts_parse(argc, argv, &c->o, e);
}

static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct rng_card *c = card;

	if (rng_device_init(&c->dev, &c->o.limit, stats ? &stats->rng : NULL, e))
		return NULL;
	return &c->dev.vu;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct rng_card *c = card;

	snprintf(buf, size, "entropy from getrandom(2)%s",
		 c->dev.limit.on ? ", rate limited" : "");
}

/* Beyond the base list: the random bytes, and the limiter's timer (its
 * reads are the base list's read); and a lazy restore's (card_main.h). */
static const int extra_syscalls[] = {
	SYS_getrandom, SYS_timerfd_settime, CARD_LAZY_MEM_SYSCALLS,
};
static const struct jail_syscall_arg arg_rules[] = { CARD_LAZY_MEM_ARGS };
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	.args = arg_rules, .nr_args = sizeof(arg_rules) / sizeof(arg_rules[0]),
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
	.limiters = { &card.dev.limit },
	.nr_limiters = 1,
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &rng_kind);
}
