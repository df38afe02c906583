/* azote-card-balloon: a virtio-balloon device's rings as a sandboxed
 * vhost-user back-end, serving Firecracker's balloon device.
 *
 *   azote-card-balloon (--socket PATH | --fd N) [--stats-interval S]
 *                      [--deflate-on-oom] [--free-page-reporting]
 *                      [--seccomp kill|log|off] [--stats-fd N]
 *                      [--control-fd N] [--user UID[:GID]]
 *
 * It serves no resource: what it gives back is guest memory, which it
 * maps from azote's memfd like every card. The start-up is every card's
 * (card_main.c); the device is device.h's. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cards/balloon/device.h"
#include "cards/balloon/opts.h"
#include "cards/card_main.h"

struct balloon_card {
	struct balloon_opts o;
	struct balloon_device dev;
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct balloon_card *c = card;

	*common = &c->o.card;
	return balloon_opts_parse(argc, argv, &c->o, e);
}

static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct balloon_card *c = card;

	if (balloon_device_init(&c->dev, balloon_opts_features(&c->o), c->o.stats_interval_s,
				stats ? &stats->balloon : NULL, e))
		return NULL;
	return &c->dev.vu;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct balloon_card *c = card;

	snprintf(buf, size, "a balloon (statistics %s%u s%s%s)",
		 c->o.stats_interval_s ? "every " : "off, ", c->o.stats_interval_s,
		 c->o.deflate_on_oom ? ", deflate on OOM" : "",
		 c->o.reporting ? ", free page reporting" : "");
}

/* azote's control requests beyond SET_LIMITS: SET_STATS_INTERVAL. */
static int control(void *card, const struct card_ctl_req *req, const int *fds,
		   unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e)
{
	struct balloon_card *c = card;
	int ret = 0;

	(void)rep;
	for (unsigned i = 0; i < nr_fds; i++)
		close(fds[i]);
	if (req->op != CARD_CTL_SET_STATS_INTERVAL)
		ret = azerr_set(e, "azote-card-balloon takes no control request %u", req->op);
	else if (nr_fds)
		ret = azerr_set(e, "SET_STATS_INTERVAL with %u fds", nr_fds);
	else if (!c->o.stats_interval_s)
		/* Its device offers no statistics ring: the guest has none. */
		ret = azerr_set(e, "statistics were not enabled at start (--%s 0): the "
				"interval cannot be changed", CARD_BALLOON_OPT_STATS_INTERVAL);
	else if (!req->stats_interval_s ||
		 req->stats_interval_s > CARD_BALLOON_MAX_STATS_INTERVAL)
		ret = azerr_set(e, "statistics interval %u s: must be 1 to %u (statistics "
				"cannot be turned off once on)", req->stats_interval_s,
				CARD_BALLOON_MAX_STATS_INTERVAL);
	else
		balloon_device_set_interval(&c->dev, req->stats_interval_s);
	return ret;
}

/* Beyond the base list and every card's: the statistics timer (its reads
 * are the base list's read); giving guest memory back, madvise with
 * MADV_REMOVE only (the base list allows madvise today, for malloc: this
 * rule is the card's own need, kept if that ever narrows). */
static const int extra_syscalls[] = { SYS_timerfd_settime };
static const struct jail_syscall_arg arg_rules[] = { JAIL_ARG_EQ(SYS_madvise, 2, MADV_REMOVE) };
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	.args = arg_rules, .nr_args = sizeof(arg_rules) / sizeof(arg_rules[0]),
};

static struct balloon_card card;
static const struct card_kind balloon_kind = {
	.name = "azote-card-balloon",
	.card = &card,
	.parse = parse,
	.usage = balloon_opts_usage,
	.filter = &filter,
	.create = create,         /* nothing to open: no open, no destroy */
	.describe = describe,
	.control = control,       /* no limiter: SET_LIMITS sets none */
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &balloon_kind);
}
