/* azote-card-net: a virtio-net device on a host TAP as a sandboxed
 * vhost-user back-end.
 *
 *   azote-card-net (--socket PATH | --fd N) --tap NAME [--mac MAC]
 *                  [--queues N] [--mtu N] [--seccomp kill|log|off]
 *                  [--stats-fd N] [--log-level L]
 *
 * The TAP must exist (see tap.h). With --socket it listens on PATH and
 * serves one front-end at a time (QEMU's -netdev vhost-user); with --fd it
 * serves the connected socket it inherited from azote and exits when azote
 * goes away. */
#include <linux/if_tun.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "cards/net/device.h"
#include "cards/net/opts.h"
#include "cards/card.h"
#include "common/log.h"
#include "jail/confine.h"
#include "jail/seccomp.h"
#include "cards/vhost/server.h"

int main(int argc, char **argv)
{
	static struct net_device dev;
	/* Beyond the base list: gathered writes to the TAP, and the three
	 * TAP ioctls a new driver or a multiqueue change needs. */
	static const int extra_syscalls[] = { SYS_writev };
	static const struct jail_syscall_arg arg_rules[] = {
		{ SYS_ioctl, 1, TUNSETVNETHDRSZ },
		{ SYS_ioctl, 1, TUNSETOFFLOAD },
		{ SYS_ioctl, 1, TUNSETQUEUE },
	};
	static const struct jail_filter filter = {
		.syscalls = extra_syscalls,
		.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
		.args = arg_rules, .nr_args = sizeof(arg_rules) / sizeof(arg_rules[0]),
	};
	char macbuf[MAC_STR_LEN];
	struct net_opts o;
	struct azerr e;
	int listen_fd = -1;
	unsigned rules;

	log_init("azote-card-net", LOG_WARN);
	switch (net_opts_parse(argc, argv, &o, &e)) {
	case CARD_OPTS_HELP:
		net_opts_usage(stdout);
		return 0;
	case CARD_OPTS_ERROR:
		log_error("%s", e.msg);
		net_opts_usage(stderr);
		return 2;
	case CARD_OPTS_RUN:
		break;
	}
	log_set_level(o.card.log_level);
	struct card_stats *stats;
	if (card_start(o.card.fd, o.card.stats_fd, &stats, &e))
		goto fail;
	if (tap_open(&dev.tap, TAP_TUN_DEV, o.tap, o.queues, &e))
		goto fail;
	if (o.mtu > dev.tap.mtu)
		log_warn("--mtu %u is larger than %s's MTU %u: the host drops what it "
			 "cannot take (ip link set %s mtu %u)", o.mtu, o.tap,
			 dev.tap.mtu, o.tap, o.mtu);
	if (!o.has_mac && mac_random(o.mac)) {
		azerr_set(&e, "no randomness for a MAC address: give --mac");
		goto fail;
	}
	if (o.card.socket && (listen_fd = vu_server_listen(o.card.socket, &e)) < 0)
		goto fail;
	/* Everything from the filesystem is open; the workers not started. */
	if (o.card.confine && jail_confine(&o.card.user, &e))
		goto fail;
	if (net_device_init(&dev, o.mac, o.mtu, stats ? &stats->net : NULL, &e))
		goto fail;
	if (jail_seccomp_apply(o.card.seccomp, &filter, &rules, &e))
		goto fail;
	log_info("serving TAP %s (%u queue pair%s%s, MAC %s, MTU %u), seccomp: %u rules",
		 o.tap, o.queues, o.queues > 1 ? "s" : "",
		 dev.tap.multi_queue ? ", multi_queue" : "", mac_format(o.mac, macbuf),
		 o.mtu ? o.mtu : dev.tap.mtu, rules);
	if (vu_server_run(&dev.vu, o.card.fd, listen_fd, o.card.socket, &e) == 0)
		return 0;
fail:
	log_error("%s", e.msg);
	return 1;
}
