#include "cards/pmem/opts.h"

#include "iface/card.h"

void pmem_opts_usage(FILE *f)
{
	fputs("usage: azote-card-pmem (--socket PATH | --fd N) --file PATH [--ro]\n"
	      "                       [--bw-limit BUCKET] [--ops-limit BUCKET]\n"
	      "                       [--seccomp kill|log|off] [--stats-fd N]\n"
	      "                       [--control-fd N] [--user UID[:GID]]\n"
	      "                       " CARD_OPTS_SYNOPSIS_RESTORE
	      "                       [--log-level error|warning|info|debug]\n"
	      "Serves the request ring of a virtio-pmem device as Firecracker's pmem:\n"
	      "the guest reaches the file's bytes through the hypervisor's mapping of\n"
	      "it, and each flush it asks for is an fdatasync(2) of the file.\n"
	      CARD_OPTS_USAGE_FRONT_END
	      "  --file PATH    the backing file, a regular file of at least one byte,\n"
	      "               opened read-write (read-only with --ro)\n"
	      "  --ro           the guest cannot write the file (the hypervisor maps it\n"
	      "               read-only); flushes are still answered\n"
	      "  --bw-limit BUCKET   Firecracker's pmem rate_limiter.bandwidth: a flush\n"
	      "               costs the file's whole length in bytes; BUCKET is\n"
	      "               size=N,refill_time=MS[,one_time_burst=N]\n"
	      "               (size 0 or refill_time 0: no limit)\n"
	      "  --ops-limit BUCKET  rate_limiter.ops: a flush costs one\n"
	      CARD_OPTS_USAGE_STATS_FD
	      "  --control-fd N azote's changes after boot (new limits) on this\n"
	      "               SOCK_SEQPACKET socket\n"
	      CARD_OPTS_USAGE_RESTORE_JAIL_LOG, f);
}

static const struct option longopts[] = {
	CARD_OPTS_LONGOPTS,
	{ CARD_PMEM_OPT_FILE, required_argument, NULL, 'F' },
	{ CARD_PMEM_OPT_RO, no_argument, NULL, 'r' },
	{ CARD_PMEM_OPT_BW_LIMIT, required_argument, NULL, 'B' },
	{ CARD_PMEM_OPT_OPS_LIMIT, required_argument, NULL, 'O' },
	{ NULL, 0, NULL, 0 },
};

static int parse_own(int c, const char *arg, void *card, struct azerr *e)
{
	struct pmem_opts *o = card;

	switch (c) {
	case 'F':
		o->file = arg;
		return 0;
	case 'r':
		o->ro = true;
		return 0;
	case 'B':
		return rate_limiter_parse(&o->limit, false, "--" CARD_PMEM_OPT_BW_LIMIT, arg, e);
	default: /* 'O' */
		return rate_limiter_parse(&o->limit, true, "--" CARD_PMEM_OPT_OPS_LIMIT, arg, e);
	}
}

enum card_opts_action pmem_opts_parse(int argc, char **argv, struct pmem_opts *o,
				      struct azerr *e)
{
	enum card_opts_action a;

	*o = (struct pmem_opts){ 0 };
	a = card_opts_parse(argc, argv, longopts, &o->card, parse_own, o, e);
	/* Checked here, not at open: a file not named is the command line's
	 * fault (exit status 2), one that cannot be served the host's (1). */
	if (a == CARD_OPTS_RUN && (!o->file || !*o->file)) {
		azerr_set(e, "--%s PATH is required: the backing file", CARD_PMEM_OPT_FILE);
		a = CARD_OPTS_ERROR;
	}
	return a;
}
