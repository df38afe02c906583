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
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "cards/blk/device.h"
#include "cards/blk/opts.h"
#include "cards/card.h"
#include "common/log.h"
#include "jail/confine.h"
#include "jail/seccomp.h"
#include "cards/vhost/server.h"

int main(int argc, char **argv)
{
	static struct blk_device dev;
	/* io_uring is the block card's only addition to the base list. */
	static const int extra_syscalls[] = { SYS_io_uring_enter };
	static const struct jail_filter filter = {
		.syscalls = extra_syscalls,
		.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	};
	struct blk_opts o;
	struct azerr e;
	struct card_stats *stats;
	int listen_fd = -1;
	unsigned rules;

	log_init("azote-card-blk", LOG_WARN);
	switch (blk_opts_parse(argc, argv, &o, &e)) {
	case CARD_OPTS_HELP:
		blk_opts_usage(stdout);
		return 0;
	case CARD_OPTS_ERROR:
		log_error("%s", e.msg);
		blk_opts_usage(stderr);
		return 2;
	case CARD_OPTS_RUN:
		break;
	}
	log_set_level(o.card.log_level);
	if (card_start(o.card.fd, o.card.stats_fd, &stats, &e))
		goto fail;
	if (blk_image_open(&dev.img, o.image, o.ro, o.direct, &e))
		goto fail;
	if (o.card.socket && (listen_fd = vu_server_listen(o.card.socket, &e)) < 0)
		goto fail;
	/* Everything from the filesystem is open; the workers not started. */
	if (o.card.confine && jail_confine(&o.card.user, &e))
		goto fail;
	if (blk_device_init(&dev, o.queues, stats ? &stats->blk : NULL,
			    (uint64_t)o.poll_us * 1000, &e))
		goto fail;
	if (jail_seccomp_apply(o.card.seccomp, &filter, &rules, &e))
		goto fail;
	log_info("serving %s (%llu sectors%s, %u queue%s), seccomp: %u rules",
		 o.image, (unsigned long long)(dev.img.size / VIRTIO_BLK_SECTOR),
		 o.ro ? ", read-only" : "", o.queues, o.queues > 1 ? "s" : "", rules);
	if (vu_server_run(&dev.vu, o.card.fd, listen_fd, o.card.socket, &e) == 0)
		return 0;
fail:
	log_error("%s", e.msg);
	return 1;
}
