#include "fake_card.h"

#include <stdio.h>
#include <string.h>

#include "vmm/card_update.h"
#include "vmm/device_kind.h"
#include "vmm/vm.h"

_Static_assert(FAKE_CARD_QUEUES <= VIRTIO_MAX_QUEUES, "a fake card's queues are a device's");

int vhost_dev_start_rings(struct vhost_dev *d, uint64_t features,
			  const struct virtio_queue *q, const uint16_t *base,
			  struct azerr *e)
{
	struct fake_card *c = fake_card_of(d);

	(void)features;
	c->starts++;
	for (unsigned i = 0; i < d->vd->p.nr_queues; i++) {
		if (!q[i].enabled)
			continue;
		if ((int)i == c->refuse_queue) {
			d->started = d->rings_on != 0;
			return azerr_set(e, "%s: queue %u: the card refuses it", d->name, i);
		}
		c->started_at[i] = base ? base[i] : 0;
		d->rings_on |= 1u << i;
	}
	d->started = true;
	return 0;
}

int vhost_dev_stop_rings(struct vhost_dev *d, uint16_t *base, struct azerr *e)
{
	struct fake_card *c = fake_card_of(d);
	int r = 0;

	c->stops++;
	for (unsigned i = 0; i < d->vd->p.nr_queues; i++) {
		if (!(d->rings_on & (1u << i)))
			continue;
		d->rings_on &= ~(1u << i);
		if (c->stop_fails)
			r = azerr_set(e, "%s: queue %u: GET_VRING_BASE timed out", d->name, i);
		else if (base)
			base[i] = c->stop_at[i];
	}
	d->started = false;
	return r;
}

static int be_start(void *ctx, uint64_t features, struct virtio_queue *q, unsigned n,
		    struct azerr *e)
{
	struct vhost_dev *d = ctx;
	const uint16_t *base = d->restored_base;

	(void)n;
	d->restored_base = NULL;
	d->parked = false;
	return vhost_dev_start_rings(d, features, q, base, e);
}

static void be_stop(void *ctx)
{
	struct vhost_dev *d = ctx;
	struct azerr e;

	d->parked = false;
	if (d->started)
		(void)vhost_dev_stop_rings(d, NULL, &e);
}

/* The card's answer to NET_PAIRS (vmm/card_update.c, which checks it):
 * its count in use, set first when pairs is not 0. */
int card_update_net_pairs(struct vhost_dev *d, unsigned pairs, unsigned max_pairs,
			  struct azerr *e)
{
	struct fake_card *c = fake_card_of(d);

	c->pairs_calls++;
	c->pairs_asked = pairs;
	c->pairs_max = max_pairs;
	c->stops_before_pairs = c->stops;
	c->starts_before_pairs = c->starts;
	if (c->pairs_refused)
		return azerr_set(e, "%s: the card refused: NET_PAIRS", d->name);
	if (pairs)
		c->pairs = pairs;
	return (int)c->pairs;
}

static void be_config_read(void *ctx, unsigned off, void *data, unsigned len)
{
	memcpy(data, ((struct vhost_dev *)ctx)->config + off, len);
}

const struct virtio_backend_ops fake_card_be_ops = {
	.start = be_start, .stop = be_stop, .config_read = be_config_read,
};

void fake_card_init(struct fake_card *c)
{
	memset(c, 0, sizeof(*c));
	c->refuse_queue = -1;
	c->pairs = 1;
}

static void no_notify(struct virtio_dev *vd)
{
	(void)vd;
}

static const struct virtio_transport_ops transport_ops = { .notify_config = no_notify };

int fake_card_dev_init(struct vhost_dev *d, struct virtio_dev *vd, struct vm *vm,
		       const struct device_kind *k, unsigned nr_queues, uint64_t features,
		       struct azerr *e)
{
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->kind = k;
	d->vd = vd;
	d->config_size = k->config_size;
	d->fe.features = features;
	d->card_pid = 1;  /* a card azote started, with a control channel */
	snprintf(d->name, sizeof(d->name), "virtio-%s drive0", k->name);
	memset(d->config, 0x5a, d->config_size);
	struct virtio_dev_params p = {
		.name = d->name, .device_id = k->virtio_id, .device_features = features,
		.nr_queues = nr_queues, .queue_max_size = 256, .config_size = d->config_size,
		.ops = &fake_card_be_ops, .ops_ctx = d,
	};
	return virtio_dev_init(vd, &p, VHOST_DEV_CONFIG_MAX, &transport_ops, vd, e);
}

void fake_driver_negotiate(struct virtio_dev *vd, uint64_t features)
{
	virtio_dev_write_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vd->driver_feature_select = 0;
	virtio_dev_set_driver_features(vd, (uint32_t)features);
	vd->driver_feature_select = 1;
	virtio_dev_set_driver_features(vd, (uint32_t)(features >> 32));
	virtio_dev_write_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       VIRTIO_STATUS_FEATURES_OK);
}

void fake_driver_enable_queue(struct virtio_dev *vd, unsigned q, uint64_t desc)
{
	struct virtio_queue *vq = &vd->queues[q];

	vq->size = 64;
	vq->desc = desc;
	vq->driver = desc + 0x1000;
	vq->device = desc + 0x2000;
	vq->enabled = true;
}
