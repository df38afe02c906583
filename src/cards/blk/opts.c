#include "cards/blk/opts.h"

#include <getopt.h>
#include <stdint.h>

#include "cards/limits.h"
#include "common/size.h"

void blk_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-blk (--socket PATH | --fd N) --image IMG [--ro]\n"
		"                      [--queues N] [--direct] [--poll-us N]\n"
		"                      [--seccomp kill|log|off] [--stats-fd N]\n"
		"                      [--user UID[:GID]]\n"
		"                      [--log-level error|warning|info|debug]\n"
		"Serves IMG as a vhost-user-blk device.\n"
		"  --poll-us N  after each request, spin up to N microseconds (0..%u,\n"
		"               default %u) for the next one before sleeping until a\n"
		"               kick: lower latency at low queue depth, paid in CPU time\n"
		"  --user UID[:GID]  once IMG is open, move into mount, IPC and UTS\n"
		"               namespaces of its own with an empty root and run as\n"
		"               UID:GID without capabilities (needs root)\n",
		CARD_BLK_MAX_POLL_US, BLK_POLL_US_DEFAULT);
}

static const struct option longopts[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "fd", required_argument, NULL, 'f' },
	{ "image", required_argument, NULL, 'i' },
	{ "ro", no_argument, NULL, 'r' },
	{ "queues", required_argument, NULL, 'q' },
	{ "direct", no_argument, NULL, 'd' },
	{ "poll-us", required_argument, NULL, 'p' },
	{ "seccomp", required_argument, NULL, 'S' },
	{ "stats-fd", required_argument, NULL, 'T' },
	{ "user", required_argument, NULL, 'u' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A number option in [min, max]. */
static int number(const char *opt, const char *arg, uint64_t min, uint64_t max,
		  uint64_t *v, struct azerr *e)
{
	if (parse_uint(arg, min, max, v))
		return azerr_set(e, "%s %s: must be a number from %llu to %llu", opt, arg,
				 (unsigned long long)min, (unsigned long long)max);
	return 0;
}

static int parse_one(int c, const char *arg, struct blk_opts *o, struct azerr *e)
{
	uint64_t v;

	switch (c) {
	case 's': o->socket = arg; return 0;
	case 'i': o->image = arg; return 0;
	case 'r': o->ro = true; return 0;
	case 'd': o->direct = true; return 0;
	case 'f':
		if (number("--fd", arg, 3, 65535, &v, e))
			return -1;
		o->fd = (int)v;
		return 0;
	case 'T':
		if (number("--stats-fd", arg, 3, 65535, &v, e))
			return -1;
		o->stats_fd = (int)v;
		return 0;
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
	case 'S':
		if (jail_seccomp_parse(arg, &o->seccomp))
			return azerr_set(e, "--seccomp %s: must be kill, log or off", arg);
		return 0;
	case 'u':
		if (jail_identity_parse("--user", arg, &o->user, e))
			return -1;
		o->confine = true;
		return 0;
	default: /* 'l' */
		if (log_parse_level(arg, &o->log_level))
			return azerr_set(e, "--log-level %s: unknown level", arg);
		return 0;
	}
}

enum blk_opts_action blk_opts_parse(int argc, char **argv, struct blk_opts *o,
				    struct azerr *e)
{
	int c;

	*o = (struct blk_opts){ .fd = -1, .stats_fd = -1, .queues = 1,
				.poll_us = BLK_POLL_US_DEFAULT, .log_level = LOG_WARN };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h')
			return BLK_OPTS_HELP;
		if (c == '?') {
			azerr_set(e, optopt ? "option '%s' needs a value" :
				  "unknown option '%s' (see --help)", argv[optind - 1]);
			return BLK_OPTS_ERROR;
		}
		if (parse_one(c, optarg, o, e))
			return BLK_OPTS_ERROR;
	}
	if (optind < argc) {
		azerr_set(e, "unexpected argument '%s'", argv[optind]);
		return BLK_OPTS_ERROR;
	}
	if (!o->image) {
		azerr_set(e, "--image is required");
		return BLK_OPTS_ERROR;
	}
	if (!o->socket == (o->fd < 0)) {
		azerr_set(e, "give exactly one of --socket PATH and --fd N");
		return BLK_OPTS_ERROR;
	}
	return BLK_OPTS_RUN;
}
