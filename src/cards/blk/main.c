/* azote-card-blk: a virtio-blk device as a sandboxed vhost-user back-end.
 *
 *   azote-card-blk (--socket PATH | --fd N) --image IMG [--ro] [--queues N]
 *                  [--direct] [--poll-us N] [--bw-limit BUCKET]
 *                  [--ops-limit BUCKET] [--seccomp kill|log|off]
 *                  [--user UID[:GID]] [--log-level L]
 *
 * With --socket it listens on PATH and serves one front-end at a time,
 * accepting the next after a disconnect (QEMU reconnects this way). With
 * --fd it serves the connected socket it inherited (azote starts cards
 * over a socketpair) and exits when the front-end goes away. The start-up
 * is every card's (card_main.c); what is the block card's is here. */
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cards/blk/device.h"
#include "cards/blk/opts.h"
#include "cards/card_main.h"
#include "common/log.h"

struct blk_card {
	struct blk_opts o;
	struct blk_device dev;
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct blk_card *c = card;

	*common = &c->o.card;
	return blk_opts_parse(argc, argv, &c->o, e);
}

static int open_image(void *card, struct azerr *e)
{
	struct blk_card *c = card;

	return blk_image_open(&c->dev.img, c->o.image, c->o.ro, c->o.direct, e);
}

static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct blk_card *c = card;

	if (blk_device_init(&c->dev, &c->o, stats ? &stats->blk : NULL, e))
		return NULL;
	return &c->dev.vu;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct blk_card *c = card;

	snprintf(buf, size, "%s (%llu sectors%s, %u queue%s)", c->o.image,
		 (unsigned long long)(c->dev.img.size / VIRTIO_BLK_SECTOR),
		 c->o.ro ? ", read-only" : "", c->o.queues, c->o.queues > 1 ? "s" : "");
}

static void close_image(void *card)
{
	struct blk_card *c = card;

	blk_image_close(&c->dev.img);
}

/* azote's update after boot beside new limits: a new image. */
static int control(void *card, const struct card_ctl_req *req, const int *fds,
		   unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e)
{
	struct blk_card *c = card;

	if (req->op != CARD_CTL_SET_IMAGE) {
		for (unsigned i = 0; i < nr_fds; i++)
			close(fds[i]);
		return azerr_set(e, "control request %u is not a block card's", req->op);
	}
	if (blk_device_swap_image(&c->dev, fds, nr_fds, e) < 0)
		return -1;
	rep->sectors = c->dev.img.size / VIRTIO_BLK_SECTOR;
	log_info("image replaced by azote: %llu sectors", (unsigned long long)rep->sectors);
	return 0;
}

/* io_uring is the block card's addition to the base list and every
 * card's, and the size of a new image that is a block device (control).
 * At SET_IMAGE (blk_device_swap_image): fdatasync of the old image, statx
 * of the new one's O_DIRECT alignment. */
static const int extra_syscalls[] = { SYS_io_uring_enter, SYS_fdatasync, SYS_statx };
static const struct jail_syscall_arg extra_args[] = { JAIL_ARG_EQ(SYS_ioctl, 1, BLKGETSIZE64) };
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	.args = extra_args,
	.nr_args = sizeof(extra_args) / sizeof(extra_args[0]),
};

static struct blk_card card;
static const struct card_kind blk_kind = {
	.name = "azote-card-blk",
	.card = &card,
	.parse = parse,
	.usage = blk_opts_usage,
	.filter = &filter,
	.open = open_image,
	.create = create,
	.describe = describe,
	.destroy = close_image,
	.limiters = { &card.dev.limit },
	.nr_limiters = 1,
	.control = control,
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &blk_kind);
}
