#include "cards/blk/opts.h"

#include <stdint.h>

#include "iface/card.h"
#include "common/size.h"

void blk_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-blk (--socket PATH | --fd N) --image IMG [--ro]\n"
		"                      [--queues N] [--direct] [--poll-us N] [--uring MODE]\n"
		"                      [--bw-limit BUCKET] [--ops-limit BUCKET]\n"
		"                      [--seccomp kill|log|off] [--stats-fd N]\n"
		"                      [--control-fd N] [--user UID[:GID]]\n"
		"                      " CARD_OPTS_SYNOPSIS_RESTORE
		"                      [--log-level error|warning|info|debug]\n"
		"Serves IMG as a vhost-user-blk device.\n"
		CARD_OPTS_USAGE_FRONT_END
		"  --image IMG  the raw image, a regular file or a block device: the\n"
		"               disk is its whole 512-byte sectors\n"
		"  --ro         open IMG read-only; the guest's writes fail\n"
		"  --queues N   request queues, 1..%u (default 1), a thread each\n"
		"  --direct     O_DIRECT for the requests aligned as IMG needs\n"
		CARD_OPTS_USAGE_STATS_FD
		"  --control-fd N  azote's changes after boot (new limits, a new\n"
		"               image as an fd) on this SOCK_SEQPACKET socket\n"
		"  --poll-us N  after each request, spin up to N microseconds (0..%u,\n"
		"               default %u) for the next one before sleeping until a\n"
		"               kick: lower latency at low queue depth, paid in CPU time\n"
		"  --uring MODE each queue's io_uring: default, single-issuer (only its\n"
		"               worker submits) or defer-taskrun (that, and completions\n"
		"               run only when the worker waits for them); Linux 6.1\n"
		"  --bw-limit BUCKET   Firecracker's rate_limiter.bandwidth: bytes read\n"
		"               and written; BUCKET is size=N,refill_time=MS\n"
		"               [,one_time_burst=N] (size 0 or refill_time 0: no limit)\n"
		"  --ops-limit BUCKET  rate_limiter.ops: requests\n"
		"  --user UID[:GID]  once IMG is open, move into mount, IPC and UTS\n"
		"               namespaces of its own with an empty root and run as\n"
		"               UID:GID without capabilities (needs root)\n"
		CARD_OPTS_USAGE_RESTORE CARD_OPTS_USAGE_SECCOMP_LOG CARD_OPTS_USAGE_EXIT,
		CARD_BLK_MAX_QUEUES, CARD_BLK_MAX_POLL_US, BLK_POLL_US_DEFAULT);
}

static const struct option longopts[] = {
	CARD_OPTS_LONGOPTS,
	{ CARD_BLK_OPT_IMAGE, required_argument, NULL, 'i' },
	{ CARD_BLK_OPT_RO, no_argument, NULL, 'r' },
	{ CARD_BLK_OPT_QUEUES, required_argument, NULL, 'q' },
	{ CARD_BLK_OPT_DIRECT, no_argument, NULL, 'd' },
	{ CARD_BLK_OPT_POLL_US, required_argument, NULL, 'p' },
	{ CARD_BLK_OPT_URING, required_argument, NULL, 'U' },
	{ CARD_BLK_OPT_BW_LIMIT, required_argument, NULL, 'B' },
	{ CARD_BLK_OPT_OPS_LIMIT, required_argument, NULL, 'O' },
	{ NULL, 0, NULL, 0 },
};

/* A number option in [min, max]. */
static int number(const char *opt, const char *arg, uint64_t min, uint64_t max,
		  uint64_t *v, struct azerr *e)
{
	if (parse_uint(arg, min, max, v))
		return azerr_set(e, "%s '%s': must be a number from %llu to %llu", opt, arg,
				 (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* One of the block card's own options. */
static int parse_own(int c, const char *arg, void *card, struct azerr *e)
{
	struct blk_opts *o = card;
	uint64_t v;

	switch (c) {
	case 'i': o->image = arg; return 0;
	case 'r': o->ro = true; return 0;
	case 'd': o->direct = true; return 0;
	case 'q':
		if (number("--queues", arg, 1, CARD_BLK_MAX_QUEUES, &v, e))
			return -1;
		o->queues = (unsigned)v;
		return 0;
	case 'p':
		if (number("--poll-us", arg, 0, CARD_BLK_MAX_POLL_US, &v, e))
			return -1;
		o->poll_us = (unsigned)v;
		return 0;
	case 'U':
		if (blk_uring_mode_parse(arg, &o->uring) < 0)
			return azerr_set(e, "--uring '%s': must be %s", arg, BLK_URING_MODES);
		return 0;
	case 'B':
		return rate_limiter_parse(&o->limit, false, "--" CARD_BLK_OPT_BW_LIMIT, arg, e);
	default: /* 'O' */
		return rate_limiter_parse(&o->limit, true, "--" CARD_BLK_OPT_OPS_LIMIT, arg, e);
	}
}

enum card_opts_action blk_opts_parse(int argc, char **argv, struct blk_opts *o,
				     struct azerr *e)
{
	enum card_opts_action a;

	*o = (struct blk_opts){ .queues = 1, .poll_us = BLK_POLL_US_DEFAULT };
	a = card_opts_parse(argc, argv, longopts, &o->card, parse_own, o, e);
	if (a != CARD_OPTS_RUN)
		return a;
	if (!o->image) {
		azerr_set(e, "--image is required");
		return CARD_OPTS_ERROR;
	}
	return CARD_OPTS_RUN;
}
