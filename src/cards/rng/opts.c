#include "cards/rng/opts.h"

#include "iface/card.h"

void rng_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-rng (--socket PATH | --fd N)\n"
		"                      [--bw-limit BUCKET] [--ops-limit BUCKET]\n"
		"                      [--seccomp kill|log|off] [--stats-fd N]\n"
		"                      [--control-fd N] [--user UID[:GID]]\n"
		"                      " CARD_OPTS_SYNOPSIS_RESTORE
		"                      [--log-level error|warning|info|debug]\n"
		"Serves a virtio-rng (entropy) device as Firecracker's: each request's\n"
		"device-writable buffers get random bytes from the host's getrandom(2),\n"
		"at most %d a request.\n"
		CARD_OPTS_USAGE_FRONT_END
		"  --bw-limit BUCKET   Firecracker's entropy rate_limiter.bandwidth: a\n"
		"               request costs its whole writable length in bytes;\n"
		"               BUCKET is size=N,refill_time=MS[,one_time_burst=N]\n"
		"               (size 0 or refill_time 0: no limit)\n"
		"  --ops-limit BUCKET  rate_limiter.ops: a request costs one\n"
		CARD_OPTS_USAGE_STATS_FD
		"  --control-fd N azote's changes after boot (new limits) on this\n"
		"               SOCK_SEQPACKET socket\n"
		CARD_OPTS_USAGE_RESTORE_JAIL_LOG,
		CARD_RNG_MAX_REQUEST);
}

static const struct option longopts[] = {
	CARD_OPTS_LONGOPTS,
	{ CARD_RNG_OPT_BW_LIMIT, required_argument, NULL, 'B' },
	{ CARD_RNG_OPT_OPS_LIMIT, required_argument, NULL, 'O' },
	{ NULL, 0, NULL, 0 },
};

static int parse_own(int c, const char *arg, void *card, struct azerr *e)
{
	struct rng_opts *o = card;

	if (c == 'B')
		return rate_limiter_parse(&o->limit, false, "--" CARD_RNG_OPT_BW_LIMIT, arg, e);
	/* 'O' */
	return rate_limiter_parse(&o->limit, true, "--" CARD_RNG_OPT_OPS_LIMIT, arg, e);
}

enum card_opts_action rng_opts_parse(int argc, char **argv, struct rng_opts *o,
				     struct azerr *e)
{
	*o = (struct rng_opts){ 0 };
	return card_opts_parse(argc, argv, longopts, &o->card, parse_own, o, e);
}
