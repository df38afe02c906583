/* azote-card-blk: a virtio-blk device as a sandboxed vhost-user back-end.
 *
 *   azote-card-blk (--socket PATH | --fd N) --image IMG [--ro] [--queues N]
 *                  [--direct] [--poll-us N] [--seccomp kill|log|off]
 *                  [--user UID[:GID]] [--log-level L]
 *
 * With --socket it listens on PATH and serves one front-end at a time,
 * accepting the next after a disconnect (QEMU reconnects this way). With
 * --fd it serves the connected socket it inherited (azote starts cards
 * over a socketpair) and exits when the front-end goes away. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "cards/blk/device.h"
#include "cards/card.h"
#include "common/log.h"
#include "common/size.h"
#include "jail/confine.h"
#include "jail/seccomp.h"
#include "vhost/server.h"

/* Spinning for the next request: QEMU's iothreads poll up to 32 µs by
 * default; past a millisecond the spinning costs more than a wake-up. */
#define POLL_US_DEFAULT 32
#define POLL_US_MAX     CARD_BLK_MAX_POLL_US

struct opts {
	const char *socket;
	int fd;
	const char *image;
	bool ro, direct;
	unsigned queues;
	unsigned poll_us;
	int stats_fd;         /* azote's counters page, or -1 */
	enum jail_seccomp_mode seccomp;
	bool confine;         /* --user given: confine to it (jail/confine.h) */
	struct jail_identity user;
};

static void usage(FILE *f)
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
		POLL_US_MAX, POLL_US_DEFAULT);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
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
	enum log_level level;
	struct azerr e;
	uint64_t v;
	int c;

	*o = (struct opts){ .fd = -1, .stats_fd = -1, .queues = 1,
			    .poll_us = POLL_US_DEFAULT };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'i': o->image = optarg; break;
		case 'r': o->ro = true; break;
		case 'd': o->direct = true; break;
		case 'f':
			if (parse_uint(optarg, 3, 65535, &v)) {
				log_error("--fd %s: must be a number from 3 to 65535", optarg);
				return -1;
			}
			o->fd = (int)v;
			break;
		case 'T':
			if (parse_uint(optarg, 3, 65535, &v)) {
				log_error("--stats-fd %s: must be a number from 3 to 65535", optarg);
				return -1;
			}
			o->stats_fd = (int)v;
			break;
		case 'q':
			if (parse_uint(optarg, 1, BLK_MAX_QUEUES, &v)) {
				log_error("--queues %s: must be a number from 1 to %d",
					  optarg, BLK_MAX_QUEUES);
				return -1;
			}
			o->queues = (unsigned)v;
			break;
		case 'p':
			if (parse_uint(optarg, 0, POLL_US_MAX, &v)) {
				log_error("--poll-us %s: must be a number from 0 to %u",
					  optarg, POLL_US_MAX);
				return -1;
			}
			o->poll_us = (unsigned)v;
			break;
		case 'S':
			if (jail_seccomp_parse(optarg, &o->seccomp)) {
				log_error("--seccomp %s: must be kill, log or off", optarg);
				return -1;
			}
			break;
		case 'u':
			if (jail_identity_parse("--user", optarg, &o->user, &e)) {
				log_error("%s", e.msg);
				return -1;
			}
			o->confine = true;
			break;
		case 'l':
			if (log_parse_level(optarg, &level)) {
				log_error("--log-level %s: unknown level", optarg);
				return -1;
			}
			log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!o->image) {
		log_error("--image is required");
		return -1;
	}
	if (!o->socket == (o->fd < 0)) {
		log_error("give exactly one of --socket PATH and --fd N");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct blk_device dev;
	/* io_uring is the block card's only addition to the base list. */
	static const int extra_syscalls[] = { SYS_io_uring_enter };
	static const struct jail_filter filter = {
		.syscalls = extra_syscalls,
		.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	};
	struct opts o;
	struct azerr e;
	struct card_stats *stats;
	int listen_fd = -1;
	unsigned rules;

	log_init("azote-card-blk", LOG_WARN);
	if (parse_args(argc, argv, &o))
		return 2;
	if (card_start(o.fd, o.stats_fd, &stats, &e))
		goto fail;
	if (blk_image_open(&dev.img, o.image, o.ro, o.direct, &e))
		goto fail;
	if (o.socket && (listen_fd = vu_server_listen(o.socket, &e)) < 0)
		goto fail;
	/* Everything from the filesystem is open; the workers not started. */
	if (o.confine && jail_confine(&o.user, &e))
		goto fail;
	if (blk_device_init(&dev, o.queues, stats ? &stats->blk : NULL,
			    (uint64_t)o.poll_us * 1000, &e))
		goto fail;
	if (jail_seccomp_apply(o.seccomp, &filter, &rules, &e))
		goto fail;
	log_info("serving %s (%llu sectors%s, %u queue%s), seccomp: %u rules",
		 o.image, (unsigned long long)(dev.img.size / VIRTIO_BLK_SECTOR),
		 o.ro ? ", read-only" : "", o.queues, o.queues > 1 ? "s" : "", rules);
	if (vu_server_run(&dev.vu, o.fd, listen_fd, o.socket, &e) == 0)
		return 0;
fail:
	log_error("%s", e.msg);
	return 1;
}
