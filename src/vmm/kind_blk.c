/* virtio-blk (virtio 1.2 §5.2), served by azote-card-blk. */
#include "vmm/device_kind.h"

#include "iface/card.h"
#include "virtio/virtio.h"
#include "vmm/vhost_dev.h"

/* The configuration through write_zeroes_may_unmap and its padding
 * (§5.2.4). */
#define BLK_CONFIG_SIZE 60
#define CLASS_STORAGE   0x018000
_Static_assert(BLK_CONFIG_SIZE <= VHOST_DEV_CONFIG_MAX, "vhost_dev keeps a copy");

static void blk_card_args(const void *dev, struct card_argv *a)
{
	const struct drive_config *c = dev;

	card_argv_opt(a, CARD_BLK_OPT_IMAGE, c->path);
	if (c->read_only)
		card_argv_flag(a, CARD_BLK_OPT_RO);
	if (c->direct)
		card_argv_flag(a, CARD_BLK_OPT_DIRECT);
	if (c->queues)
		card_argv_opt_u(a, CARD_BLK_OPT_QUEUES, c->queues);
	if (c->has_poll_us)
		card_argv_opt_u(a, CARD_BLK_OPT_POLL_US, c->poll_us);
	if (c->uring != BLK_URING_DEFAULT)
		card_argv_opt(a, CARD_BLK_OPT_URING, blk_uring_mode_name(c->uring));
	card_argv_limits(a, &c->rate_limiter, CARD_BLK_OPT_BW_LIMIT, CARD_BLK_OPT_OPS_LIMIT);
}

/* One ring per request queue: as many as the back-end has, or fewer if
 * the drive asks for fewer. */
static unsigned blk_layout(struct vhost_dev *d, const void *dev, unsigned nr_queues,
			   uint64_t *features)
{
	const struct drive_config *c = dev;

	(void)d;
	(void)features;
	return c->queues && nr_queues > c->queues ? c->queues : nr_queues;
}

static void blk_collect(const struct card_stats *cs, struct metrics *m, unsigned idx)
{
	const struct card_blk_stats *s = &cs->blk;
	struct block_metrics *b = &m->block[idx];

	metric_store(&b->read_count, card_stat_read(&s->read_count));
	metric_store(&b->write_count, card_stat_read(&s->write_count));
	metric_store(&b->flush_count, card_stat_read(&s->flush_count));
	metric_store(&b->read_bytes, card_stat_read(&s->read_bytes));
	metric_store(&b->write_bytes, card_stat_read(&s->write_bytes));
	metric_store(&b->invalid_reqs_count, card_stat_read(&s->invalid_reqs));
	metric_store(&b->rate_limiter_throttled_events,
		     card_stat_read(&s->rate_limiter_throttled));
}

const struct device_kind device_kind_blk = {
	.name = "blk", .virtio_id = VIRTIO_ID_BLOCK, .pci_class = CLASS_STORAGE,
	.config_size = BLK_CONFIG_SIZE, .list = &vm_drives,
	.card_args = blk_card_args, .layout = blk_layout, .collect = blk_collect,
};
