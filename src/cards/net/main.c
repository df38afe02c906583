/* azote-card-net: a virtio-net device on a host TAP as a sandboxed
 * vhost-user back-end.
 *
 *   azote-card-net (--socket PATH | --fd N) --tap NAME [--mac MAC]
 *                  [--queues N] [--mtu N] [--rx-bw-limit BUCKET]
 *                  [--rx-ops-limit BUCKET] [--tx-bw-limit BUCKET]
 *                  [--tx-ops-limit BUCKET] [--seccomp kill|log|off]
 *                  [--stats-fd N] [--log-level L]
 *
 * The TAP must exist (see tap.h). With --socket it listens on PATH and
 * serves one front-end at a time (QEMU's -netdev vhost-user); with --fd it
 * serves the connected socket it inherited from azote and exits when azote
 * goes away. The start-up is every card's (card_main.c); what is the net
 * card's is here. */
#include <linux/if_tun.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cards/card_main.h"
#include "cards/net/device.h"
#include "cards/net/opts.h"
#include "common/log.h"

struct net_card {
	struct net_opts o;
	struct net_device dev;
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct net_card *c = card;

	*common = &c->o.card;
	return net_opts_parse(argc, argv, &c->o, e);
}

/* The TAP, and a MAC address when --mac gave none: drawn here, before
 * the filter, whose lists have no getrandom. */
static int open_tap(void *card, struct azerr *e)
{
	struct net_card *c = card;
	struct net_opts *o = &c->o;

	if (tap_open(&c->dev.tap, TAP_TUN_DEV, o->tap, o->queues, e))
		return -1;
	if (o->mtu > c->dev.tap.mtu)
		log_warn("--mtu %u is larger than %s's MTU %u: the host drops what it "
			 "cannot take (ip link set %s mtu %u)", o->mtu, o->tap,
			 c->dev.tap.mtu, o->tap, o->mtu);
	if (!o->has_mac && mac_random(o->mac)) {
		tap_close(&c->dev.tap);
		return azerr_set(e, "no randomness for a MAC address: give --mac");
	}
	return 0;
}

static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct net_card *c = card;

	if (net_device_init(&c->dev, c->o.mac, c->o.mtu, stats ? &stats->net : NULL,
			    &c->o.rx_limit, &c->o.tx_limit, e))
		return NULL;
	return &c->dev.vu;
}

/* NET_PAIRS: the count asked for, checked, then the count in use. */
static int net_pairs(struct net_card *c, const struct card_ctl_req *req, unsigned nr_fds,
		     struct card_ctl_reply *rep, struct azerr *e)
{
	int want = card_ctl_net_pairs(req, nr_fds, c->dev.nr_pairs, e);
	int in_use = want < 0 ? -1 : net_device_pairs(&c->dev, (unsigned)want, e);

	if (in_use < 0)
		return -1;
	rep->net_pairs = (uint32_t)in_use;
	return 0;
}

/* azote's control requests beyond SET_LIMITS: SET_MMDS, NET_PAIRS. */
static int control(void *card, const struct card_ctl_req *req, const int *fds,
		   unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e)
{
	struct net_card *c = card;
	int ret;

	switch (req->op) {
	case CARD_CTL_SET_MMDS:
		ret = net_mmds_set(&c->dev.mmds, req, fds, nr_fds, e);
		break;
	case CARD_CTL_NET_PAIRS:
		ret = net_pairs(c, req, nr_fds, rep, e);
		break;
	default:
		ret = azerr_set(e, "azote-card-net takes no control request %u", req->op);
		break;
	}
	for (unsigned i = 0; i < nr_fds; i++)
		close(fds[i]);
	return ret;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct net_card *c = card;
	char mac[MAC_STR_LEN];

	snprintf(buf, size, "TAP %s (%u queue pair%s%s, MAC %s, MTU %u)", c->o.tap,
		 c->o.queues, c->o.queues > 1 ? "s" : "",
		 c->dev.tap.multi_queue ? ", multi_queue" : "", mac_format(c->o.mac, mac),
		 c->o.mtu ? c->o.mtu : c->dev.tap.mtu);
}

static void close_tap(void *card)
{
	struct net_card *c = card;

	tap_close(&c->dev.tap);
}

/* Beyond the base list and every card's: gathered writes to the TAP, and
 * the three TAP ioctls a new driver or a multiqueue change needs. */
static const int extra_syscalls[] = { SYS_writev };
static const struct jail_syscall_arg arg_rules[] = {
	JAIL_ARG_EQ(SYS_ioctl, 1, TUNSETVNETHDRSZ),
	JAIL_ARG_EQ(SYS_ioctl, 1, TUNSETOFFLOAD),
	JAIL_ARG_EQ(SYS_ioctl, 1, TUNSETQUEUE),
};
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	.args = arg_rules, .nr_args = sizeof(arg_rules) / sizeof(arg_rules[0]),
};

static struct net_card card;
static const struct card_kind net_kind = {
	.name = "azote-card-net",
	.card = &card,
	.parse = parse,
	.usage = net_opts_usage,
	.filter = &filter,
	.open = open_tap,
	.create = create,
	.describe = describe,
	.destroy = close_tap,
	.limiters = { &card.dev.rx_limit, &card.dev.tx_limit },
	.nr_limiters = 2,
	.control = control,
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &net_kind);
}
