#include "cards/net/opts.h"

#include <getopt.h>

#include "cards/net/hdr.h"
#include "cards/net/tap.h"
#include "common/size.h"

void net_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-net (--socket PATH | --fd N) --tap NAME [--mac MAC]\n"
		"                      [--queues N] [--mtu N] [--seccomp kill|log|off]\n"
		"                      [--stats-fd N] [--user UID[:GID]]\n"
		"                      [--log-level error|warning|info|debug]\n"
		"Serves the existing TAP device NAME as a vhost-user-net device.\n"
		"  --mac MAC     the guest's address (default: a random local one)\n"
		"  --queues N    queue pairs, 1-%d; more than 1 needs a multi_queue TAP\n"
		"  --mtu N       MTU offered to the guest (VIRTIO_NET_F_MTU), %d-%d\n"
		"  --user UID[:GID]  once the TAP is open, move into mount, IPC and UTS\n"
		"                namespaces of its own with an empty root and run as\n"
		"                UID:GID without capabilities (needs root)\n",
		NET_MAX_PAIRS, NET_MIN_MTU, NET_MAX_MTU);
}

/* One option's value: -1 with e on a bad one. */
static int parse_opt(int c, const char *arg, struct net_opts *o, struct azerr *e)
{
	uint64_t v;

	switch (c) {
	case 's':
		o->socket = arg;
		return 0;
	case 't':
		o->tap = arg;
		return 0;
	case 'm':
		o->has_mac = !mac_parse(arg, o->mac, "--mac", e);
		return o->has_mac ? 0 : -1;
	case 'f':
	case 'F':
		if (parse_uint(arg, 3, 65535, &v))
			return azerr_set(e, "--%s '%s': must be a number from 3 to 65535",
					 c == 'f' ? "fd" : "stats-fd", arg);
		*(c == 'f' ? &o->fd : &o->stats_fd) = (int)v;
		return 0;
	case 'q':
		if (parse_uint(arg, 1, NET_MAX_PAIRS, &v))
			return azerr_set(e, "--queues '%s': must be a number from 1 to %d",
					 arg, NET_MAX_PAIRS);
		o->queues = (unsigned)v;
		return 0;
	case 'M':
		if (parse_uint(arg, NET_MIN_MTU, NET_MAX_MTU, &v))
			return azerr_set(e, "--mtu '%s': must be a number from %d to %d",
					 arg, NET_MIN_MTU, NET_MAX_MTU);
		o->mtu = (unsigned)v;
		return 0;
	case 'S':
		if (jail_seccomp_parse(arg, &o->seccomp))
			return azerr_set(e, "--seccomp '%s': must be kill, log or off", arg);
		return 0;
	case 'u':
		if (jail_identity_parse("--user", arg, &o->user, e))
			return -1;
		o->confine = true;
		return 0;
	default: /* 'l' */
		if (log_parse_level(arg, &o->log_level))
			return azerr_set(e, "--log-level '%s': must be error, warning, info "
					 "or debug", arg);
		return 0;
	}
}

enum net_opts_action net_opts_parse(int argc, char **argv, struct net_opts *o,
				    struct azerr *e)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "tap", required_argument, NULL, 't' },
		{ "mac", required_argument, NULL, 'm' },
		{ "queues", required_argument, NULL, 'q' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "seccomp", required_argument, NULL, 'S' },
		{ "stats-fd", required_argument, NULL, 'F' },
		{ "user", required_argument, NULL, 'u' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct net_opts){ .fd = -1, .stats_fd = -1, .queues = 1,
				.log_level = LOG_WARN };
	opterr = 0;
	optind = 0; /* full re-initialisation, so that tests can parse again */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h')
			return NET_OPTS_HELP;
		if (c == '?') {
			azerr_set(e, optopt ? "option '%s' needs a value" : "unknown option '%s'",
				  argv[optind - 1]);
			return NET_OPTS_ERROR;
		}
		if (parse_opt(c, optarg, o, e))
			return NET_OPTS_ERROR;
	}
	if (optind < argc)
		azerr_set(e, "unexpected argument '%s'", argv[optind]);
	else if (!o->tap)
		azerr_set(e, "--tap NAME is required");
	else if (!o->socket == (o->fd < 0))
		azerr_set(e, "give exactly one of --socket PATH and --fd N");
	else
		return NET_OPTS_RUN;
	return NET_OPTS_ERROR;
}
