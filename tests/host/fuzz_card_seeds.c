/* fuzz-card-seeds: writes the seed corpora of fuzz_card_rings and
 * fuzz_card_control (fuzz/), each input framed as its target reads it,
 * the section or request made by the encoders azote uses.
 *
 *   fuzz-card-seeds DIR    writes DIR/fuzz_card_rings/NAME and
 *                          DIR/fuzz_card_control/NAME (the folders exist)
 *
 * make && build/tests/fuzz-card-seeds fuzz/corpus rewrites the committed
 * seeds. Exit 0, or 2 with a message. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iface/card_control.h"
#include "virtio/virtio.h"
#include "vmm/card_rings.h"

static const char *dir;

static void put(const char *target, const char *name, const void *a, size_t alen,
		const void *b, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
	    fclose(f)) {
		fprintf(stderr, "fuzz-card-seeds: cannot write %s\n", path);
		exit(2);
	}
}

/* fuzz_card_rings: byte 0 the kind (0 net, 1 blk, 2 rng, 3 balloon,
 * 4 vsock, 5 pmem; its index) and the largest queue size (bits 3 and 4:
 * 256, 1024, 32768), byte 1 the queue count (also the pairs of
 * card-net-pairs) less one, byte 2 the configuration size. */
static void rings(const char *name, unsigned kind, unsigned max_bits, const struct card_rings *r)
{
	const uint8_t head[3] = { (uint8_t)(kind | max_bits << 3), (uint8_t)(r->nr_queues - 1), 0 };
	unsigned char sec[CARD_RINGS_HDR_SIZE + CARD_RINGS_MAX_QUEUES * CARD_RINGS_QUEUE_SIZE];

	card_rings_encode(r, sec);
	put("fuzz_card_rings", name, head, sizeof(head), sec, card_rings_size(r->nr_queues));
}

static void config(const char *name, unsigned kind, uint32_t id, unsigned size)
{
	const uint8_t head[3] = { (uint8_t)kind, 0, (uint8_t)size };
	unsigned char cfg[255], sec[CARD_CONFIG_HDR_SIZE + sizeof(cfg)];

	for (unsigned i = 0; i < size; i++)
		cfg[i] = (unsigned char)(i * 37 + 11);
	card_config_encode(id, cfg, size, sec);
	put("fuzz_card_rings", name, head, sizeof(head), sec, card_config_size(size));
}

/* A card-net-pairs section of pairs, for a net device of max_pairs. */
static void net_pairs(const char *name, unsigned pairs, unsigned max_pairs)
{
	const uint8_t head[3] = { 0, (uint8_t)(max_pairs - 1), 0 };
	unsigned char sec[CARD_NET_PAIRS_SIZE];

	card_net_pairs_encode(pairs, sec);
	put("fuzz_card_rings", name, head, sizeof(head), sec, sizeof(sec));
}

static void ring_seeds(void)
{
	struct card_rings blk = {
		.virtio_id = VIRTIO_ID_BLOCK, .started = true, .nr_queues = 1,
		.features = 0x130000246ULL, .protocol_features = 0x2203,
	};
	blk.q[0] = (struct card_ring){ .size = 256, .last_avail = 0xfffe, .enabled = true,
				       .desc = 0x100000, .avail = 0x101000, .used = 0x102000 };
	rings("blk-started", 1, 0, &blk);

	/* rx, tx and control; control never enabled, its size as reset left it. */
	struct card_rings net = {
		.virtio_id = VIRTIO_ID_NET, .started = true, .nr_queues = 3,
		.features = 0x130af8003ULL, .protocol_features = 0x2203,
	};
	for (unsigned i = 0; i < 2; i++)
		net.q[i] = (struct card_ring){ .size = 1024, .last_avail = (uint16_t)(7 * i),
					       .enabled = true, .desc = 0x200000 + 0x10000 * i,
					       .avail = 0x204002 + 0x10000 * i,
					       .used = 0x208004 + 0x10000 * i };
	net.q[2] = (struct card_ring){ .size = 1024 };
	rings("net-1024", 0, 1, &net);

	/* A vsock device its driver never started. */
	struct card_rings vsock = { .virtio_id = VIRTIO_ID_VSOCK, .nr_queues = 3 };
	rings("vsock-not-started", 4, 0, &vsock);

	/* Every queue a section holds, alternately enabled. */
	struct card_rings many = {
		.virtio_id = VIRTIO_ID_BALLOON, .started = true, .nr_queues = CARD_RINGS_MAX_QUEUES,
		.features = 1ULL << 32,
	};
	for (unsigned i = 0; i < CARD_RINGS_MAX_QUEUES; i++)
		many.q[i] = (struct card_ring){ .size = (uint16_t)(1u << (i % 16)),
						.enabled = !(i & 1), .last_avail = (uint16_t)i,
						.desc = 0x1000ULL * i, .avail = 0x1000ULL * i + 0x800,
						.used = 0x1000ULL * i + 0xc00 };
	rings("balloon-32-queues", 3, 2, &many);

	config("blk-config", 1, VIRTIO_ID_BLOCK, 60);
	config("balloon-config", 3, VIRTIO_ID_BALLOON, 12);
	config("rng-config-empty", 2, VIRTIO_ID_RNG, 0);
	net_pairs("net-pairs-2-of-4", 2, 4);
	net_pairs("net-pairs-8-of-8", 8, 8);
}

/* fuzz_card_control: byte 0 the fds (bits 0 and 1), azote's memfd (bit
 * 2), the MMDS size made the document's (bit 7); byte 1 the message's
 * length less a request's (0); the request; the document. */
static void control(const char *name, uint8_t flags, const struct card_ctl_req *req,
		    const char *doc)
{
	uint8_t buf[2 + sizeof(*req)] = { flags, 0 };

	memcpy(buf + 2, req, sizeof(*req));
	put("fuzz_card_control", name, buf, sizeof(buf), doc, doc ? strlen(doc) : 0);
}

static void control_seeds(void)
{
	static const char doc[] = "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-12345678\"}}}";
	const struct rate_limiter bw = {
		.has_bandwidth = true,
		.bandwidth = { .size = 1 << 20, .one_time_burst = 1 << 24, .refill_time_ms = 100 },
	}, ops = {
		.has_ops = true, .ops = { .size = 1000, .refill_time_ms = 1000 },
	};
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS, .nr_limits = 1, .given = { 1 } };

	card_ctl_limiter_put(&req.limit[0], &bw);
	control("limits-blk", 0, &req, NULL);
	req = (struct card_ctl_req){ .op = CARD_CTL_SET_LIMITS, .nr_limits = 2,
				     .given = { 1, 1 } };
	card_ctl_limiter_put(&req.limit[0], &bw);
	card_ctl_limiter_put(&req.limit[1], &ops);
	control("limits-net", 0, &req, NULL);

	req = (struct card_ctl_req){ .op = CARD_CTL_SET_MMDS };
	req.mmds = (struct card_ctl_mmds){ .ipv4 = 0xfea9fea9, .version = 2,
					   .size = strlen(doc) };
	control("mmds-v2", 0x80 | 4 | 1, &req, doc);
	req.mmds.version = 1;
	req.mmds.imds_compat = 1;
	control("mmds-v1-imds", 0x80 | 4 | 1, &req, doc);

	req = (struct card_ctl_req){ .op = CARD_CTL_MEM_LOADED };
	control("mem-loaded", 0, &req, NULL);

	req = (struct card_ctl_req){ .op = CARD_CTL_NET_PAIRS };
	control("net-pairs-ask", 0, &req, NULL);
	req.net_pairs = 2;
	control("net-pairs-set", 0, &req, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-card-seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	ring_seeds();
	control_seeds();
	return 0;
}
