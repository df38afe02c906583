#include "cards/net/device.h"

#include <endian.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "common/log.h"
#include "virtio/virtio.h"

uint64_t net_device_features(unsigned nr_pairs, unsigned mtu)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) |
		     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		     VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
		     VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		     VIRTIO_BIT(VIRTIO_NET_F_STATUS);

	if (mtu)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
	/* Multiqueue needs the control queue to choose the pairs in use. */
	if (nr_pairs > 1)
		f |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) | VIRTIO_BIT(VIRTIO_NET_F_MQ);
	return f;
}

int net_ring_role(unsigned idx, uint64_t features, unsigned nr_pairs,
		  struct net_ring_role *r)
{
	unsigned pairs = features & VIRTIO_BIT(VIRTIO_NET_F_MQ) ? nr_pairs : 1;

	if (idx < 2 * pairs) {
		r->pair = idx / 2;
		r->kind = idx % 2 ? NET_TXQ : NET_RXQ;
		return 0;
	}
	if (idx == 2 * pairs && (features & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ))) {
		r->pair = 0;
		r->kind = NET_CTRLQ;
		return 0;
	}
	return -1;
}

void net_device_config(const struct net_device *d, struct virtio_net_config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, d->mac, MAC_LEN);
	c->status = htole16(VIRTIO_NET_S_LINK_UP);
	c->max_virtqueue_pairs = htole16((uint16_t)d->nr_pairs);
	c->mtu = htole16((uint16_t)d->mtu);
}

static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net_config c;

	net_device_config(dev, &c);
	/* The backend checked [off, off+len) against NET_CONFIG_SIZE. */
	memcpy(buf, (uint8_t *)&c + off, len);
}

/* The pairs in use to the workers, pairs_lock held: with a control queue
 * of ours the first pairs_in_use, otherwise every one (whoever serves the
 * control queue, QEMU, enables rings to choose). Pair 0 is left alone: it
 * is always in use (VQ_PAIRS_SET takes at least 1), and pair 0's worker
 * calls this from its pass over the control ring, where a request to
 * itself would have it apply the requests pending for it (a stop of that
 * very ring) inside the pass (pair.c, apply). */
static void apply_pairs(struct net_device *d)
{
	for (unsigned i = 1; i < d->nr_pairs; i++)
		net_pair_set_active(d->pairs[i], !d->env.ctrl_mq || i < d->pairs_in_use);
}

/* A control request chose the pairs in use; runs on pair 0's worker, in
 * the middle of its pass over the control ring. */
static void set_pairs(void *ctx, unsigned pairs)
{
	struct net_device *d = ctx;

	pthread_mutex_lock(&d->pairs_lock);
	d->pairs_in_use = pairs;
	apply_pairs(d);
	pthread_mutex_unlock(&d->pairs_lock);
}

static void set_features(void *dev, uint64_t features)
{
	struct net_device *d = dev;
	struct azerr e;
	bool ctrl_mq = (features & VIRTIO_BIT(VIRTIO_NET_F_MQ)) &&
		       (features & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ));

	/* No ring runs now (the server stopped them). */
	d->features = features;
	net_mode_init(&d->mode, features, d->mtu, d->tap.mtu);
	if (tap_set_mode(&d->tap, &d->mode, &e))
		log_error("%s", e.msg);
	/* §5.1.6.5.5: with a control queue of ours, multiqueue starts at one
	 * pair. The same features again are the same driver's rings
	 * restarting (azote sends them on every start: a snapshot's resume),
	 * whose choice stands: it will not make it again. A new driver comes
	 * after a reset, which forgot it. */
	pthread_mutex_lock(&d->pairs_lock);
	if (ctrl_mq != d->env.ctrl_mq)
		d->pairs_in_use = 1;
	d->env.ctrl_mq = ctrl_mq;
	apply_pairs(d);
	pthread_mutex_unlock(&d->pairs_lock);
	log_debug("%s: driver features 0x%llx, %u-byte header, TAP offloads 0x%x",
		  d->tap.name, (unsigned long long)features, d->mode.hdr_len,
		  tap_offloads(&d->mode));
}

/* The driver is gone, no ring runs: back to a fresh device's pairs, so
 * that the next driver starts with one. */
static void reset(void *dev)
{
	struct net_device *d = dev;

	pthread_mutex_lock(&d->pairs_lock);
	d->env.ctrl_mq = false;
	d->pairs_in_use = 1;
	apply_pairs(d);
	pthread_mutex_unlock(&d->pairs_lock);
}

int net_device_pairs(struct net_device *d, unsigned want, struct azerr *e)
{
	int r = (int)want;

	pthread_mutex_lock(&d->pairs_lock);
	if (!d->env.ctrl_mq) {
		r = azerr_set(e, "control: NET_PAIRS: the driver's features (0x%llx) have no "
			      "multiqueue with the control queue: its pairs are not the "
			      "card's to keep", (unsigned long long)d->features);
	} else if (want) {
		d->pairs_in_use = want;
		apply_pairs(d);
		log_info("%s: %u queue pairs in use, as azote says", d->tap.name, want);
	} else {
		r = (int)d->pairs_in_use;
	}
	pthread_mutex_unlock(&d->pairs_lock);
	return r;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct net_device *d = dev;
	struct net_ring_role r;

	/* The server only starts rings below vu.nr_queues. */
	if (net_ring_role(idx, d->features, d->nr_pairs, &r))
		return azerr_set(e, "vring %u is no queue of a %u-pair device with "
				 "features 0x%llx", idx, d->nr_pairs,
				 (unsigned long long)d->features);
	d->role[idx] = r;
	net_pair_set_queue(d->pairs[r.pair], r.kind, q);
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct net_device *d = dev;

	(void)q;
	net_pair_set_queue(d->pairs[d->role[idx].pair], d->role[idx].kind, NULL);
}

static const struct vu_device_ops net_ops = {
	.get_config = get_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
	.reset = reset,
};

int net_device_init(struct net_device *d, const uint8_t mac[MAC_LEN],
		    unsigned mtu, struct card_net_stats *stats,
		    const struct rate_limiter *rx, const struct rate_limiter *tx,
		    struct azerr *e)
{
	d->nr_pairs = d->tap.nr;
	memcpy(d->mac, mac, MAC_LEN);
	d->mtu = mtu;
	net_mode_init(&d->mode, 0, mtu, d->tap.mtu);
	card_limiter_init(&d->rx_limit, rx);
	card_limiter_init(&d->tx_limit, tx);
	pthread_mutex_init(&d->pairs_lock, NULL);
	d->pairs_in_use = 1;
	if (net_mmds_init(&d->mmds, e))
		return -1;
	d->env = (struct net_pair_env){
		.tap_name = d->tap.name, .multi_queue = d->tap.multi_queue,
		.max_pairs = d->nr_pairs, .mode = &d->mode, .stats = stats,
		.rx_limit = &d->rx_limit, .tx_limit = &d->tx_limit, .mmds = &d->mmds,
		.set_pairs = set_pairs, .ctx = d,
	};
	d->vu = (struct vu_device){
		.ops = &net_ops,
		.dev = d,
		.features = net_device_features(d->nr_pairs, mtu),
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = 2 * d->nr_pairs + (d->nr_pairs > 1),
		/* vhost-user-net counts queue pairs (QEMU compares it with
		 * -netdev vhost-user,queues=N). */
		.queue_num = d->nr_pairs,
		.config_size = NET_CONFIG_SIZE,
	};
	for (unsigned i = 0; i < d->nr_pairs; i++) {
		d->pairs[i] = net_pair_create(i, d->tap.fd[i], &d->env, e);
		if (!d->pairs[i])
			return -1;
	}
	return 0;
}
