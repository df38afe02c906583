/* virtio-balloon (virtio 1.2 §5.5), served by azote-card-balloon:
 * Firecracker's PUT /balloon. The card serves the rings (inflate, deflate,
 * statistics, free page reporting); the target size is azote's, in the
 * device configuration it keeps (vhost_dev's config, which the guest reads
 * from azote): PATCH /balloon writes a new one there. */
#include "vmm/device_kind.h"

#include <endian.h>
#include <string.h>

#include "iface/card.h"
#include "virtio/virtio.h"
#include "virtio/virtio_balloon.h"
#include "vmm/vhost_dev.h"

/* "Other" (base class 0xff), as QEMU's virtio-balloon-pci and azote's
 * virtio-rng: no class names a balloon. */
#define CLASS_OTHER 0xff0000

/* What azote shows of what a card may offer: free page hinting (a
 * Firecracker developer preview azote does not implement) and page
 * poisoning would open configuration fields past the 8 bytes azote keeps. */
#define BALLOON_NOT_OFFERED \
	(1ULL << VIRTIO_BALLOON_F_FREE_PAGE_HINT | 1ULL << VIRTIO_BALLOON_F_PAGE_POISON)

static void balloon_card_args(const void *dev, struct card_argv *a)
{
	const struct balloon_config *c = dev;

	card_argv_opt_u(a, CARD_BALLOON_OPT_STATS_INTERVAL, c->stats_polling_interval_s);
	if (c->deflate_on_oom)
		card_argv_flag(a, CARD_BALLOON_OPT_DEFLATE_ON_OOM);
	if (c->free_page_reporting)
		card_argv_flag(a, CARD_BALLOON_OPT_REPORTING);
}

void balloon_config_set_target(uint8_t *config, uint32_t amount_mib)
{
	uint32_t num_pages = htole32(amount_mib * VIRTIO_BALLOON_PAGES_PER_MIB);

	memcpy(config + VIRTIO_BALLOON_CFG_NUM_PAGES, &num_pages, sizeof(num_pages));
}

/* Inflate and deflate rings, then the statistics ring and the reporting
 * ring when their features are offered (virtio/virtio_balloon.h's
 * numbering); the target into the configuration the guest reads. */
static unsigned balloon_layout(struct vhost_dev *d, const void *dev, unsigned nr_queues,
			       uint64_t *features)
{
	const struct balloon_config *c = dev;
	unsigned want;

	*features &= ~BALLOON_NOT_OFFERED;
	want = balloon_nr_rings(*features);
	balloon_config_set_target(d->config, c->amount_mib);
	return nr_queues < want ? nr_queues : want;
}

static void balloon_collect(const struct card_stats *cs, struct metrics *m, unsigned idx)
{
	const struct card_balloon_stats *s = &cs->balloon;
	struct balloon_metrics *b = &m->balloon;

	(void)idx;
	metric_store(&b->inflate_count, card_stat_read(&s->inflate_count));
	metric_store(&b->deflate_count, card_stat_read(&s->deflate_count));
	metric_store(&b->stats_updates_count, card_stat_read(&s->stats_updates_count));
	metric_store(&b->stats_update_fails, card_stat_read(&s->stats_update_fails));
	metric_store(&b->event_fails, card_stat_read(&s->event_fails));
	metric_store(&b->free_page_report_count, card_stat_read(&s->free_page_report_count));
	metric_store(&b->free_page_report_freed, card_stat_read(&s->free_page_report_freed));
	metric_store(&b->free_page_report_fails, card_stat_read(&s->free_page_report_fails));
}

const struct device_kind device_kind_balloon = {
	.name = "balloon", .virtio_id = VIRTIO_ID_BALLOON, .pci_class = CLASS_OTHER,
	.config_size = VIRTIO_BALLOON_CONFIG_SIZE, .list = &vm_balloons,
	.card_args = balloon_card_args, .layout = balloon_layout, .collect = balloon_collect,
};
