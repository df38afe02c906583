#include "cards/net/opts.h"

#include <stdint.h>

#include "cards/net/hdr.h"
#include "cards/net/tap.h"
#include "common/size.h"
#include "iface/card.h"

void net_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-net (--socket PATH | --fd N) --tap NAME [--mac MAC]\n"
		"                      [--queues N] [--mtu N] [--rx-bw-limit BUCKET]\n"
		"                      [--rx-ops-limit BUCKET] [--tx-bw-limit BUCKET]\n"
		"                      [--tx-ops-limit BUCKET] [--seccomp kill|log|off]\n"
		"                      [--stats-fd N] [--control-fd N] [--user UID[:GID]]\n"
		"                      " CARD_OPTS_SYNOPSIS_RESTORE
		"                      [--log-level error|warning|info|debug]\n"
		"Serves the existing TAP device NAME as a vhost-user-net device.\n"
		CARD_OPTS_USAGE_FRONT_END
		"  --tap NAME    the TAP device; the card never creates one (`ip tuntap\n"
		"                add dev NAME mode tap`)\n"
		CARD_OPTS_USAGE_STATS_FD
		"  --control-fd N  azote's changes after boot (new limits) on this\n"
		"                SOCK_SEQPACKET socket\n"
		"  --mac MAC     the guest's address (default: a random local one)\n"
		"  --queues N    queue pairs, 1-%d (default 1); more than 1 needs a\n"
		"                multi_queue TAP\n"
		"  --mtu N       MTU offered to the guest (VIRTIO_NET_F_MTU), %d-%d\n"
		"                (default: none offered)\n"
		"  --rx-bw-limit BUCKET, --rx-ops-limit BUCKET  Firecracker's\n"
		"                rx_rate_limiter: bytes and frames the guest receives;\n"
		"                BUCKET is size=N,refill_time=MS[,one_time_burst=N]\n"
		"                (size 0 or refill_time 0: no limit)\n"
		"  --tx-bw-limit BUCKET, --tx-ops-limit BUCKET  tx_rate_limiter: what\n"
		"                it sends\n"
		"  --user UID[:GID]  once the TAP is open, move into mount, IPC and UTS\n"
		"                namespaces of its own with an empty root and run as\n"
		"                UID:GID without capabilities (needs root)\n"
		CARD_OPTS_USAGE_RESTORE CARD_OPTS_USAGE_SECCOMP_LOG CARD_OPTS_USAGE_EXIT,
		NET_MAX_PAIRS, NET_MIN_MTU, NET_MAX_MTU);
}

static const struct option longopts[] = {
	CARD_OPTS_LONGOPTS,
	{ CARD_NET_OPT_TAP, required_argument, NULL, 't' },
	{ CARD_NET_OPT_MAC, required_argument, NULL, 'm' },
	{ CARD_NET_OPT_QUEUES, required_argument, NULL, 'q' },
	{ CARD_NET_OPT_MTU, required_argument, NULL, 'M' },
	{ CARD_NET_OPT_RX_BW_LIMIT, required_argument, NULL, 'b' },
	{ CARD_NET_OPT_RX_OPS_LIMIT, required_argument, NULL, 'o' },
	{ CARD_NET_OPT_TX_BW_LIMIT, required_argument, NULL, 'B' },
	{ CARD_NET_OPT_TX_OPS_LIMIT, required_argument, NULL, 'O' },
	{ NULL, 0, NULL, 0 },
};

/* The name of a rate limit option, for its messages. */
static const char *limit_option(int c)
{
	switch (c) {
	case 'b': return "--" CARD_NET_OPT_RX_BW_LIMIT;
	case 'o': return "--" CARD_NET_OPT_RX_OPS_LIMIT;
	case 'B': return "--" CARD_NET_OPT_TX_BW_LIMIT;
	default: return "--" CARD_NET_OPT_TX_OPS_LIMIT;
	}
}

/* One of the net card's own options: -1 with e on a bad value. */
static int parse_own(int c, const char *arg, void *card, struct azerr *e)
{
	struct net_opts *o = card;
	uint64_t v;

	switch (c) {
	case 't':
		/* Here, so that a name no TAP can have is a command-line
		 * fault (CARD_EXIT_USAGE), as every other bad value is. */
		if (ifname_check(arg, "--tap", e))
			return -1;
		o->tap = arg;
		return 0;
	case 'm':
		o->has_mac = !mac_parse(arg, o->mac, "--mac", e);
		return o->has_mac ? 0 : -1;
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
	default: /* 'b', 'o', 'B', 'O': --{rx,tx}-{bw,ops}-limit */
		return rate_limiter_parse(c == 'b' || c == 'o' ? &o->rx_limit : &o->tx_limit,
					  c == 'o' || c == 'O', limit_option(c), arg, e);
	}
}

enum card_opts_action net_opts_parse(int argc, char **argv, struct net_opts *o,
				     struct azerr *e)
{
	enum card_opts_action a;

	*o = (struct net_opts){ .queues = 1 };
	a = card_opts_parse(argc, argv, longopts, &o->card, parse_own, o, e);
	if (a != CARD_OPTS_RUN)
		return a;
	if (!o->tap) {
		azerr_set(e, "--tap NAME is required");
		return CARD_OPTS_ERROR;
	}
	return CARD_OPTS_RUN;
}
