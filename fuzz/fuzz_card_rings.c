/* libFuzzer target: a snapshot's card-rings, card-config and
 * card-net-pairs sections (vmm/card_rings.c), user input of PUT
 * /snapshot/load and --restore.
 *
 * Input: byte 0 picks the device kind (its virtio id) and its largest
 * queue size (256, 1024 or 32768), byte 1 its queue count (1 to
 * CARD_RINGS_MAX_QUEUES, or one more, which the decoder must refuse),
 * which is also its queue pairs for card-net-pairs, byte 2 its
 * configuration size (0 to 255); the rest is the section, given to the
 * three decoders. Each must accept exactly what card_rings.h says it does
 * (a second reading of the documented layout decides), name the device
 * when it refuses, and hand back only what it promises: the expected id
 * and queue count, on a started device enabled queues of a power-of-2
 * size within the maximum with aligned rings; the configuration's bytes,
 * and nothing copied from a refused one; a count of pairs of 1 to the
 * device's, nothing from a refused one. An accepted section encodes back
 * to the same bytes.
 *
 * Seeds: tests/host/fuzz_card_seeds.c, from the encoders. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtio.h"
#include "vmm/card_rings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *dev;
	uint32_t virtio_id;
} kinds[] = {
	{ "virtio-net net0", VIRTIO_ID_NET },
	{ "virtio-blk drive0", VIRTIO_ID_BLOCK },
	{ "virtio-rng rng0", VIRTIO_ID_RNG },
	{ "virtio-balloon balloon0", VIRTIO_ID_BALLOON },
	{ "virtio-vsock vsock0", VIRTIO_ID_VSOCK },
	{ "virtio-pmem pmem0", VIRTIO_ID_PMEM },
};
static const unsigned max_sizes[] = { 256, 1024, 32768, 256 };

/* A little-endian field of the section, read apart from the decoder. */
static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static bool names(const struct azerr *e, const char *dev)
{
	return !strncmp(e->msg, dev, strlen(dev)) && e->msg[strlen(dev)] == ':';
}

/* Whether card_rings.h says the section is one for device x. */
static bool rings_valid(const uint8_t *s, size_t len, const struct card_rings_expect *x)
{
	if (x->nr_queues > CARD_RINGS_MAX_QUEUES || len != card_rings_size(x->nr_queues) ||
	    le(s, 4) != CARD_RINGS_VERSION || le(s + 4, 4) != x->virtio_id ||
	    le(s + 8, 4) > 1 || le(s + 12, 4) != x->nr_queues)
		return false;
	bool started = le(s + 8, 4) == 1;
	for (unsigned i = 0; i < x->nr_queues; i++) {
		const uint8_t *q = s + CARD_RINGS_HDR_SIZE + i * CARD_RINGS_QUEUE_SIZE;
		uint64_t qsize = le(q, 2), enabled = le(q + 4, 4);

		if (enabled > 1)
			return false;
		if (enabled && started &&
		    (!qsize || qsize > x->queue_max_size || (qsize & (qsize - 1)) ||
		     le(q + 8, 8) % 16 || le(q + 16, 8) % 2 || le(q + 24, 8) % 4))
			return false;
	}
	return true;
}

static void check_rings(const uint8_t *s, size_t len, const struct card_rings_expect *x)
{
	static const struct card_ring zero;
	struct card_rings r;
	struct azerr e = { "" };
	int ret = card_rings_decode(s, len, x, &r, &e);

	if ((ret == 0) != rings_valid(s, len, x) || (ret && (ret != -1 || !names(&e, x->dev))))
		abort();
	if (ret)
		return;
	if (r.virtio_id != x->virtio_id || r.nr_queues != x->nr_queues)
		abort();
	for (unsigned i = 0; i < CARD_RINGS_MAX_QUEUES; i++) {
		const struct card_ring *q = &r.q[i];

		if (i >= r.nr_queues) {
			if (memcmp(q, &zero, sizeof(*q)))
				abort();
			continue;
		}
		if (q->enabled && r.started && (!q->size || q->size > x->queue_max_size ||
				   (q->size & (q->size - 1)) || q->desc % 16 || q->avail % 2 ||
				   q->used % 4))
			abort();
	}
	unsigned char *again = malloc(len);

	if (!again)
		abort();
	card_rings_encode(&r, again);
	if (memcmp(again, s, len))
		abort();
	free(again);
}

static void check_config(const uint8_t *s, size_t len, const char *dev, uint32_t id,
			 unsigned config_size)
{
	bool valid = len == card_config_size(config_size) && le(s, 4) == CARD_CONFIG_VERSION &&
		     le(s + 4, 4) == id && le(s + 8, 4) == config_size;
	unsigned char *config = malloc(config_size + 1), *again = malloc(len + 1);
	struct azerr e = { "" };

	if (!config || !again)
		abort();
	memset(config, 0xa5, config_size);
	int ret = card_config_decode(s, len, dev, id, config_size, config, &e);

	if ((ret == 0) != valid)
		abort();
	if (ret) {
		if (ret != -1 || !names(&e, dev))
			abort();
		for (unsigned i = 0; i < config_size; i++)
			if (config[i] != 0xa5)
				abort();
	} else {
		if (memcmp(config, s + CARD_CONFIG_HDR_SIZE, config_size))
			abort();
		card_config_encode(id, config, config_size, again);
		if (memcmp(again, s, len))
			abort();
	}
	free(config);
	free(again);
}

static void check_net_pairs(const uint8_t *s, size_t len, const char *dev,
			    unsigned max_pairs)
{
	bool valid = len == CARD_NET_PAIRS_SIZE && le(s, 4) == CARD_NET_PAIRS_VERSION &&
		     le(s + 4, 4) >= 1 && le(s + 4, 4) <= max_pairs;
	unsigned char again[CARD_NET_PAIRS_SIZE];
	unsigned pairs = 0xa5a5a5a5;
	struct azerr e = { "" };
	int ret = card_net_pairs_decode(s, len, dev, max_pairs, &pairs, &e);

	if ((ret == 0) != valid)
		abort();
	if (ret) {
		if (ret != -1 || !names(&e, dev) || pairs != 0xa5a5a5a5)
			abort();
		return;
	}
	card_net_pairs_encode(pairs, again);
	if (memcmp(again, s, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned k = (data[0] & 7) % (sizeof(kinds) / sizeof(kinds[0]));
	const struct card_rings_expect x = {
		.dev = kinds[k].dev, .virtio_id = kinds[k].virtio_id,
		.nr_queues = data[1] % (CARD_RINGS_MAX_QUEUES + 1) + 1,
		.queue_max_size = max_sizes[data[0] >> 3 & 3],
	};

	check_rings(data + 3, size - 3, &x);
	check_config(data + 3, size - 3, x.dev, x.virtio_id, data[2]);
	check_net_pairs(data + 3, size - 3, x.dev, x.nr_queues);
	return 0;
}
