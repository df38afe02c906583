/* virtio-vsock (virtio 1.2 §5.10), served by azote-card-vsock. */
#include "vmm/device_kind.h"

#include "iface/card.h"
#include "vmm/vhost_dev.h"
#include "virtio/virtio.h"

/* guest_cid, le64 (§5.10.4). */
#define VSOCK_CONFIG_SIZE 8
/* "Other communications controller": what a vsock device is, as no
 * class names it better. */
#define CLASS_OTHER_COMM  0x078000
#define VSOCK_RINGS       3      /* rx, tx, event (§5.10.2) */
_Static_assert(VSOCK_CONFIG_SIZE <= VHOST_DEV_CONFIG_MAX, "vhost_dev keeps a copy");

static void vsock_card_args(const void *dev, struct card_argv *a)
{
	const struct vsock_config *c = dev;

	card_argv_opt_u(a, CARD_VSOCK_OPT_CID, c->guest_cid);
	card_argv_opt(a, CARD_VSOCK_OPT_UDS, c->uds_path);
}

/* Always the three rings; a back-end with fewer cannot serve the guest,
 * which vhost_dev then refuses. */
static unsigned vsock_layout(struct vhost_dev *d, const void *dev, unsigned nr_queues,
			     uint64_t *features)
{
	(void)d;
	(void)dev;
	(void)features;
	return nr_queues < VSOCK_RINGS ? nr_queues : VSOCK_RINGS;
}

static void vsock_collect(const struct card_stats *cs, struct metrics *m, unsigned idx)
{
	const struct card_vsock_stats *s = &cs->vsock;
	struct vsock_metrics *v = &m->vsock;

	(void)idx;
	metric_store(&v->rx_packets_count, card_stat_read(&s->rx_packets));
	metric_store(&v->tx_packets_count, card_stat_read(&s->tx_packets));
	metric_store(&v->rx_bytes_count, card_stat_read(&s->rx_bytes));
	metric_store(&v->tx_bytes_count, card_stat_read(&s->tx_bytes));
	metric_store(&v->conns_added, card_stat_read(&s->conns_added));
	metric_store(&v->conns_killed, card_stat_read(&s->conns_killed));
	metric_store(&v->conns_removed, card_stat_read(&s->conns_removed));
	metric_store(&v->tx_write_fails, card_stat_read(&s->tx_write_fails));
	metric_store(&v->rx_read_fails, card_stat_read(&s->rx_read_fails));
}

const struct device_kind device_kind_vsock = {
	.name = "vsock", .virtio_id = VIRTIO_ID_VSOCK, .pci_class = CLASS_OTHER_COMM,
	.config_size = VSOCK_CONFIG_SIZE, .list = &vm_vsocks,
	.card_args = vsock_card_args, .layout = vsock_layout, .collect = vsock_collect,
};
