/* azote-card-net: a virtio-net device on a host TAP as a sandboxed
 * vhost-user back-end.
 *
 *   azote-card-net (--socket PATH | --fd N) --tap NAME [--mac MAC]
 *                  [--queues N] [--mtu N] [--seccomp kill|log|off]
 *                  [--log-level L]
 *
 * The TAP must exist (see tap.h). With --socket it listens on PATH and
 * serves one front-end at a time (QEMU's -netdev vhost-user); with --fd it
 * serves the connected socket it inherited from azote and exits when azote
 * goes away. */
#include <getopt.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "cards/net/device.h"
#include "common/log.h"
#include "common/size.h"
#include "jail/fds.h"
#include "jail/seccomp.h"
#include "vhost/server.h"

struct opts {
	const char *socket;
	int fd;
	const char *tap;
	uint8_t mac[MAC_LEN];
	bool has_mac;
	unsigned queues, mtu;
	enum jail_seccomp_mode seccomp;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-net (--socket PATH | --fd N) --tap NAME [--mac MAC]\n"
		"                      [--queues N] [--mtu N] [--seccomp kill|log|off]\n"
		"                      [--log-level error|warning|info|debug]\n"
		"Serves the existing TAP device NAME as a vhost-user-net device.\n"
		"  --mac MAC     the guest's address (default: a random local one)\n"
		"  --queues N    queue pairs, 1-%d; more than 1 needs a multi_queue TAP\n"
		"  --mtu N       MTU offered to the guest (VIRTIO_NET_F_MTU), %d-%d\n",
		NET_MAX_PAIRS, NET_MIN_MTU, NET_MAX_MTU);
}

static int parse_args(int argc, char **argv, struct opts *o, struct azerr *e)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "tap", required_argument, NULL, 't' },
		{ "mac", required_argument, NULL, 'm' },
		{ "queues", required_argument, NULL, 'q' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "seccomp", required_argument, NULL, 'S' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level level;
	uint64_t v;
	int c;

	*o = (struct opts){ .fd = -1, .queues = 1 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 't': o->tap = optarg; break;
		case 'm':
			if (mac_parse(optarg, o->mac, "--mac", e))
				return -1;
			o->has_mac = true;
			break;
		case 'f':
			if (parse_uint(optarg, 3, 65535, &v))
				return azerr_set(e, "--fd '%s': must be a number from 3 to "
						 "65535", optarg);
			o->fd = (int)v;
			break;
		case 'q':
			if (parse_uint(optarg, 1, NET_MAX_PAIRS, &v))
				return azerr_set(e, "--queues '%s': must be a number from 1 "
						 "to %d", optarg, NET_MAX_PAIRS);
			o->queues = (unsigned)v;
			break;
		case 'M':
			if (parse_uint(optarg, NET_MIN_MTU, NET_MAX_MTU, &v))
				return azerr_set(e, "--mtu '%s': must be a number from %d "
						 "to %d", optarg, NET_MIN_MTU, NET_MAX_MTU);
			o->mtu = (unsigned)v;
			break;
		case 'S':
			if (jail_seccomp_parse(optarg, &o->seccomp))
				return azerr_set(e, "--seccomp '%s': must be kill, log or off",
						 optarg);
			break;
		case 'l':
			if (log_parse_level(optarg, &level))
				return azerr_set(e, "--log-level '%s': unknown level", optarg);
			log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return azerr_set(e, "bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return azerr_set(e, "unexpected argument '%s'", argv[optind]);
	if (!o->tap)
		return azerr_set(e, "--tap NAME is required");
	if (!o->socket == (o->fd < 0))
		return azerr_set(e, "give exactly one of --socket PATH and --fd N");
	return 0;
}

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
	char macbuf[MAC_STR_LEN];
	struct opts o;
	struct azerr e;
	int listen_fd = -1;
	unsigned rules;

	log_init("azote-card-net", LOG_WARN);
	if (parse_args(argc, argv, &o, &e)) {
		log_error("%s", e.msg);
		return 2;
	}
	/* Before anything is opened: drop whatever the parent leaked. */
	if (jail_close_fds(&o.fd, o.fd >= 0, &e))
		goto fail;
	signal(SIGPIPE, SIG_IGN);
	if (o.fd >= 0 && vu_server_check_fd(o.fd, &e))
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
	if (o.socket && (listen_fd = vu_server_listen(o.socket, &e)) < 0)
		goto fail;
	if (net_device_init(&dev, o.mac, o.mtu, &e))
		goto fail;
	if (jail_seccomp_apply_args(o.seccomp, extra_syscalls,
				    sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
				    arg_rules, sizeof(arg_rules) / sizeof(arg_rules[0]),
				    &rules, &e))
		goto fail;
	log_info("serving TAP %s (%u queue pair%s%s, MAC %s, MTU %u), seccomp: %u rules",
		 o.tap, o.queues, o.queues > 1 ? "s" : "",
		 dev.tap.multi_queue ? ", multi_queue" : "", mac_format(o.mac, macbuf),
		 o.mtu ? o.mtu : dev.tap.mtu, rules);
	if (vu_server_run(&dev.vu, o.fd, listen_fd, o.socket, &e) == 0)
		return 0;
fail:
	log_error("%s", e.msg);
	return 1;
}
