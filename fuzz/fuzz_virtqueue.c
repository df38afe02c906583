/* libFuzzer target: a hostile driver's ring. The input is the whole guest
 * memory image (descriptor table, available ring, indirect tables, request
 * headers) for a small queue; every chain the virtqueue accepts is then
 * parsed as a virtio-blk request. Nothing may crash, hang or touch memory
 * outside the guest image; every iovec must lie inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/blk/req.h"
#include "cards/virtio/gmem.h"
#include "virtio/virtio.h"
#include "cards/virtio/virtqueue.h"

#include "fuzz_pop.h"
#include "fuzz_ring_mem.h"

#define MEM FUZZ_RING_MEM
#define NUM  16

static uint8_t *mem;

static void check_inside(const struct iovec *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = v[i].iov_base;
		if (p < mem || p + v[i].iov_len > mem + MEM || p + v[i].iov_len < p)
			abort();
		/* Touch both ends: ASan reports any escape. */
		if (v[i].iov_len) {
			volatile uint8_t x = p[0];
			x = p[v[i].iov_len - 1];
			(void)x;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iovec iov[64], dv[64];
	struct virtq_chain c = { .iov = iov, .cap = 64 };
	struct gmem g = { 0 };
	struct virtq q = { .callfd = -1 };
	struct blk_geom geom = { .sectors = 1 << 20, .max_discard_sectors = 1024,
				 .max_write_zeroes_sectors = 1024 };
	struct blk_op op;

	mem = fuzz_ring_mem(&g, data, size);
	/* Rings at fixed places; the first bytes choose features. */
	uint64_t features = (size ? data[0] & 1 : 0) ? VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) : 0;
	features |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (virtq_start(&q, &g, NUM, 0x100, 0x300, 0x400, false, 0, features, NULL))
		abort();
	/* Bounded: at most one ring's worth plus the hostile extra. */
	for (int i = 0; i < 2 * NUM; i++) {
		if (!fuzz_pop(&q, &c))
			break;
		check_inside(c.iov, c.nr_out + c.nr_in);
		blk_req_parse(&c, &geom, dv, 64, &op);
		if (op.kind == BLK_OP_READ || op.kind == BLK_OP_WRITE ||
		    op.kind == BLK_OP_GET_ID)
			check_inside(op.data, op.nr_data);
		if (op.status_ptr && (op.status_ptr < mem || op.status_ptr >= mem + MEM))
			abort();
		virtq_push(&q, &c, blk_req_used_len(&op, 0));
	}
	virtq_rearm(&q);
	virtq_notify(&q);
	return 0;
}
