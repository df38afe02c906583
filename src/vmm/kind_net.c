/* virtio-net (virtio 1.2 §5.1), served by azote-card-net. */
#include "vmm/device_kind.h"

#include <endian.h>
#include <linux/virtio_net.h>
#include <stddef.h>
#include <string.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "iface/card.h"
#include "vmm/vhost_dev.h"
#include "virtio/virtio.h"

/* The configuration through mtu (§5.1.4). */
#define NET_CONFIG_SIZE 12
#define CLASS_ETHERNET  0x020000
#define NET_F(bit)      VIRTIO_BIT(VIRTIO_NET_F_##bit)
_Static_assert(NET_CONFIG_SIZE <= VHOST_DEV_CONFIG_MAX, "vhost_dev keeps a copy");

static void net_card_args(const void *dev, struct card_argv *a)
{
	const struct net_config *c = dev;
	char mac[MAC_STR_LEN];

	card_argv_opt(a, CARD_NET_OPT_TAP, c->tap);
	if (c->has_mac)
		card_argv_opt(a, CARD_NET_OPT_MAC, mac_format(c->mac, mac));
	if (c->queues)
		card_argv_opt_u(a, CARD_NET_OPT_QUEUES, c->queues);
	if (c->mtu)
		card_argv_opt_u(a, CARD_NET_OPT_MTU, c->mtu);
	card_argv_limits(a, &c->rx_rate_limiter, CARD_NET_OPT_RX_BW_LIMIT,
			 CARD_NET_OPT_RX_OPS_LIMIT);
	card_argv_limits(a, &c->tx_rate_limiter, CARD_NET_OPT_TX_BW_LIMIT,
			 CARD_NET_OPT_TX_OPS_LIMIT);
}

/* GET_QUEUE_NUM counts queue pairs, two rings each, and the control ring
 * comes last when offered (§5.1.2). */
static unsigned net_layout(struct vhost_dev *d, const void *dev, unsigned pairs,
			   uint64_t *features)
{
	const struct net_config *c = dev;
	unsigned ctrl = *features & NET_F(CTRL_VQ) ? 1 : 0;
	unsigned max = (VIRTIO_MAX_QUEUES - ctrl) / 2;

	if (!(*features & NET_F(MQ)))
		pairs = 1;
	if (c->queues && c->queues < max)
		max = c->queues;
	/* Fewer pairs than the back-end's would move the control queue
	 * (its index follows the pairs): offer one pair then. */
	if (pairs > max) {
		log_warn("%s: the back-end has %u queue pairs, azote can show %u: "
			 "multiqueue off", d->name, pairs, max);
		*features &= ~NET_F(MQ);
		pairs = 1;
	}
	if (!(*features & NET_F(MQ))) {
		uint16_t one = htole16(1);
		memcpy(d->config + offsetof(struct virtio_net_config, max_virtqueue_pairs),
		       &one, sizeof(one));
	}
	/* A card gets the MAC on its command line; another back-end's is
	 * replaced in the configuration space the guest sees. */
	if (c->socket && c->has_mac) {
		memcpy(d->config, c->mac, 6);
		d->own_features = NET_F(MAC) & ~*features;
		*features |= NET_F(MAC);
	}
	return 2 * pairs + ctrl;
}

static void net_collect(const struct card_stats *cs, struct metrics *m, unsigned idx)
{
	const struct card_net_stats *s = &cs->net;
	struct net_metrics *n = &m->net[idx];

	metric_store(&n->rx_packets_count, card_stat_read(&s->rx_packets));
	metric_store(&n->tx_packets_count, card_stat_read(&s->tx_packets));
	metric_store(&n->rx_bytes_count, card_stat_read(&s->rx_bytes));
	metric_store(&n->tx_bytes_count, card_stat_read(&s->tx_bytes));
	metric_store(&n->rx_fails, card_stat_read(&s->rx_fails));
	metric_store(&n->tx_fails, card_stat_read(&s->tx_fails));
	metric_store(&n->rx_rate_limiter_throttled,
		     card_stat_read(&s->rx_rate_limiter_throttled));
	metric_store(&n->tx_rate_limiter_throttled,
		     card_stat_read(&s->tx_rate_limiter_throttled));
}

/* Those among which the driver's VQ_PAIRS_SET chooses once it negotiated
 * MQ with CTRL_VQ (§5.1.6.5.5): two queues a pair, then the control queue
 * (§5.1.2). */
static unsigned net_switched_pairs(const struct vhost_dev *d)
{
	const uint64_t mq = NET_F(MQ) | NET_F(CTRL_VQ);

	if ((d->vd->driver_features & mq) != mq)
		return 0;
	return (d->vd->p.nr_queues - 1) / 2;
}

const struct device_kind device_kind_net = {
	.name = "net", .virtio_id = VIRTIO_ID_NET, .pci_class = CLASS_ETHERNET,
	.config_size = NET_CONFIG_SIZE, .list = &vm_nets,
	.card_args = net_card_args, .layout = net_layout, .collect = net_collect,
	.switched_pairs = net_switched_pairs,
};
