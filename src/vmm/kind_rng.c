/* virtio-rng, the entropy device (virtio 1.2 §5.4), served by
 * azote-card-rng: Firecracker's PUT /entropy. */
#include "vmm/device_kind.h"

#include "iface/card.h"
#include "virtio/virtio.h"

/* No configuration space (§5.4.4); one ring, the requestq (§5.4.2). "Other"
 * (base class 0xff) is the class QEMU's virtio-rng-pci shows: no class
 * names a random number generator. */
#define RNG_CONFIG_SIZE 0
#define CLASS_OTHER     0xff0000
#define RNG_RINGS       1

static void rng_card_args(const void *dev, struct card_argv *a)
{
	const struct rng_config *c = dev;

	card_argv_limits(a, &c->rate_limiter, CARD_RNG_OPT_BW_LIMIT, CARD_RNG_OPT_OPS_LIMIT);
}

/* The requestq only: a back-end offering more rings gets the first used. */
static unsigned rng_layout(struct vhost_dev *d, const void *dev, unsigned nr_queues,
			   uint64_t *features)
{
	(void)d;
	(void)dev;
	(void)features;
	return nr_queues < RNG_RINGS ? nr_queues : RNG_RINGS;
}

static void rng_collect(const struct card_stats *cs, struct metrics *m, unsigned idx)
{
	const struct card_rng_stats *s = &cs->rng;
	struct entropy_metrics *r = &m->entropy;

	(void)idx;
	metric_store(&r->entropy_event_fails, card_stat_read(&s->event_fails));
	metric_store(&r->entropy_event_count, card_stat_read(&s->event_count));
	metric_store(&r->entropy_bytes, card_stat_read(&s->bytes));
	metric_store(&r->host_rng_fails, card_stat_read(&s->host_rng_fails));
	metric_store(&r->entropy_rate_limiter_throttled,
		     card_stat_read(&s->rate_limiter_throttled));
}

const struct device_kind device_kind_rng = {
	.name = "rng", .virtio_id = VIRTIO_ID_RNG, .pci_class = CLASS_OTHER,
	.config_size = RNG_CONFIG_SIZE, .list = &vm_rngs,
	.card_args = rng_card_args, .layout = rng_layout, .collect = rng_collect,
};
