/* A card's rings in a snapshot section: see card_rings.h. */
#include "vmm/card_rings.h"

#include <string.h>

size_t card_rings_size(unsigned nr_queues)
{
	return CARD_RINGS_HDR_SIZE + (size_t)nr_queues * CARD_RINGS_QUEUE_SIZE;
}

/* Explicit byte order, so that the layout is the same whatever the host. */
static unsigned char *put(unsigned char *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return p + bytes;
}

static uint64_t get(const unsigned char **p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += bytes;
	return v;
}

void card_rings_encode(const struct card_rings *r, unsigned char *buf)
{
	unsigned char *p = buf;

	p = put(p, CARD_RINGS_VERSION, 4);
	p = put(p, r->virtio_id, 4);
	p = put(p, r->started, 4);
	p = put(p, r->nr_queues, 4);
	p = put(p, r->features, 8);
	p = put(p, r->protocol_features, 8);
	for (unsigned i = 0; i < r->nr_queues; i++) {
		const struct card_ring *q = &r->q[i];
		p = put(p, q->size, 2);
		p = put(p, q->last_avail, 2);
		p = put(p, q->enabled, 4);
		p = put(p, q->desc, 8);
		p = put(p, q->avail, 8);
		p = put(p, q->used, 8);
	}
}

/* A queue's size and ring addresses are checked only for rings that ran
 * (started): before DRIVER_OK a driver may write anything there and
 * enable the queue, and a device saved so must load; its rings are not
 * the card's until DRIVER_OK, which the transport checks again. */
static int check_queue(const struct card_rings_expect *x, unsigned i,
		       const struct card_ring *q, uint64_t enabled, bool started,
		       struct azerr *e)
{
	if (enabled > 1)
		return azerr_set(e, "%s: snapshot queue %u: enabled is %llu, not 0 or 1",
				 x->dev, i, (unsigned long long)enabled);
	if (!q->enabled || !started)
		return 0;
	if (!q->size || q->size > x->queue_max_size || (q->size & (q->size - 1)))
		return azerr_set(e, "%s: snapshot queue %u: size %u is not a power of 2 "
				 "up to %u", x->dev, i, q->size, x->queue_max_size);
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return azerr_set(e, "%s: snapshot queue %u: misaligned ring (desc 0x%llx, "
				 "avail 0x%llx, used 0x%llx)", x->dev, i,
				 (unsigned long long)q->desc, (unsigned long long)q->avail,
				 (unsigned long long)q->used);
	return 0;
}

int card_rings_decode(const void *data, size_t len, const struct card_rings_expect *x,
		      struct card_rings *r, struct azerr *e)
{
	const unsigned char *p = data;
	uint64_t version, started, n;

	memset(r, 0, sizeof(*r));
	if (x->nr_queues > CARD_RINGS_MAX_QUEUES)
		return azerr_set(e, "%s: %u queues, a card-rings section holds %d",
				 x->dev, x->nr_queues, CARD_RINGS_MAX_QUEUES);
	if (len < CARD_RINGS_HDR_SIZE)
		return azerr_set(e, "%s: snapshot card-rings section is %zu bytes, "
				 "shorter than its %d-byte header", x->dev, len,
				 CARD_RINGS_HDR_SIZE);
	version = get(&p, 4);
	r->virtio_id = (uint32_t)get(&p, 4);
	started = get(&p, 4);
	n = get(&p, 4);
	r->features = get(&p, 8);
	r->protocol_features = get(&p, 8);
	if (version != CARD_RINGS_VERSION)
		return azerr_set(e, "%s: snapshot card-rings version %llu (this azote "
				 "reads %d)", x->dev, (unsigned long long)version,
				 CARD_RINGS_VERSION);
	if (r->virtio_id != x->virtio_id)
		return azerr_set(e, "%s: snapshot has virtio device id %u here, the "
				 "device is id %u", x->dev, r->virtio_id, x->virtio_id);
	if (started > 1)
		return azerr_set(e, "%s: snapshot started is %llu, not 0 or 1", x->dev,
				 (unsigned long long)started);
	if (n != x->nr_queues)
		return azerr_set(e, "%s: snapshot has %llu queues, the device %u", x->dev,
				 (unsigned long long)n, x->nr_queues);
	if (len != card_rings_size(x->nr_queues))
		return azerr_set(e, "%s: snapshot card-rings section is %zu bytes, "
				 "%zu expected for %u queues", x->dev, len,
				 card_rings_size(x->nr_queues), x->nr_queues);
	r->started = started;
	r->nr_queues = x->nr_queues;
	for (unsigned i = 0; i < r->nr_queues; i++) {
		struct card_ring *q = &r->q[i];
		q->size = (uint16_t)get(&p, 2);
		q->last_avail = (uint16_t)get(&p, 2);
		uint64_t enabled = get(&p, 4);
		q->enabled = enabled == 1;
		q->desc = get(&p, 8);
		q->avail = get(&p, 8);
		q->used = get(&p, 8);
		if (check_queue(x, i, q, enabled, r->started, e) < 0)
			return -1;
	}
	/* Started with no queue enabled is not refused: a driver may set
	 * DRIVER_OK having enabled none, and the card was then started with
	 * its features and memory table and no ring. The restorer checks the
	 * queues against the transport's. */
	return 0;
}

size_t card_config_size(unsigned config_size)
{
	return CARD_CONFIG_HDR_SIZE + (size_t)config_size;
}

void card_config_encode(uint32_t virtio_id, const void *config, unsigned config_size,
			unsigned char *buf)
{
	unsigned char *p = buf;

	p = put(p, CARD_CONFIG_VERSION, 4);
	p = put(p, virtio_id, 4);
	p = put(p, config_size, 4);
	memcpy(p, config, config_size);
}

int card_config_decode(const void *data, size_t len, const char *dev, uint32_t virtio_id,
		       unsigned config_size, void *config, struct azerr *e)
{
	const unsigned char *p = data;
	uint64_t version, id, size;

	if (len < CARD_CONFIG_HDR_SIZE)
		return azerr_set(e, "%s: snapshot card-config section is %zu bytes, shorter "
				 "than its %d-byte header", dev, len, CARD_CONFIG_HDR_SIZE);
	version = get(&p, 4);
	id = get(&p, 4);
	size = get(&p, 4);
	if (version != CARD_CONFIG_VERSION)
		return azerr_set(e, "%s: snapshot card-config version %llu (this azote reads "
				 "%d)", dev, (unsigned long long)version, CARD_CONFIG_VERSION);
	if (id != virtio_id)
		return azerr_set(e, "%s: snapshot card-config has virtio device id %llu, the "
				 "device is id %u", dev, (unsigned long long)id, virtio_id);
	if (size != config_size)
		return azerr_set(e, "%s: snapshot card-config size %llu, the device's "
				 "configuration is %u bytes", dev, (unsigned long long)size,
				 config_size);
	if (len != card_config_size(config_size))
		return azerr_set(e, "%s: snapshot card-config section is %zu bytes, %zu "
				 "expected for %u bytes of configuration", dev, len,
				 card_config_size(config_size), config_size);
	memcpy(config, p, config_size);
	return 0;
}

void card_net_pairs_encode(unsigned pairs, unsigned char buf[CARD_NET_PAIRS_SIZE])
{
	put(put(buf, CARD_NET_PAIRS_VERSION, 4), pairs, 4);
}

int card_net_pairs_decode(const void *data, size_t len, const char *dev, unsigned max_pairs,
			  unsigned *pairs, struct azerr *e)
{
	const unsigned char *p = data;
	uint64_t version, n;

	if (len != CARD_NET_PAIRS_SIZE)
		return azerr_set(e, "%s: snapshot card-net-pairs section is %zu bytes, not %d",
				 dev, len, CARD_NET_PAIRS_SIZE);
	version = get(&p, 4);
	n = get(&p, 4);
	if (version != CARD_NET_PAIRS_VERSION)
		return azerr_set(e, "%s: snapshot card-net-pairs version %llu (this azote reads "
				 "%d)", dev, (unsigned long long)version, CARD_NET_PAIRS_VERSION);
	if (!n || n > max_pairs)
		return azerr_set(e, "%s: snapshot card-net-pairs: pairs %llu, not 1 to the "
				 "device's %u", dev, (unsigned long long)n, max_pairs);
	*pairs = (unsigned)n;
	return 0;
}
