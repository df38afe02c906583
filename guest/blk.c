/* virtio-blk: set-up, config space, and request submission. */
#include "blk.h"
#include "boot.h"
#include "lib.h"

#define CFG_CAPACITY      0
#define CFG_SIZE_MAX      8
#define CFG_SEG_MAX       12
#define CFG_BLK_SIZE      20
#define CFG_NUM_QUEUES    34
#define CFG_MAX_DISCARD   36
#define CFG_DISCARD_ALIGN 44
#define CFG_MAX_WZ        48
#define SYNC_TIMEOUT_US   10000000

static bool read_cfg32(struct blk *b, u32 off, u32 *out, unsigned feature)
{
	*out = 0;
	return !virtio_has(&b->v, feature) ||
	       virtio_cfg_read(&b->v, off, out, 4, 4);
}

/* VIRTIO_BLK_F_MQ's num_queues (1 without it), checked against the
 * number of queues wanted. */
static bool queues_offered(struct blk *b)
{
	static char why[96];
	u16 n = 1;

	if (virtio_has(&b->v, VIRTIO_BLK_F_MQ) &&
	    !virtio_cfg_read(&b->v, CFG_NUM_QUEUES, &n, 2, 2))
		return false;
	b->num_queues = n;
	if (n >= b->nr_queues)
		return true;
	snprintf(why, sizeof(why), "reason=device_queues_too_few queues=%u num_queues=%u",
		 b->nr_queues, n);
	b->v.why = why;
	return false;
}

/* Queue i: its ring, then its request slots. */
static bool queue_setup(struct blk *b, unsigned i, u16 max_size)
{
	struct blk_queue *bq = &b->qs[i];

	if (!virtio_queue(&b->v, &bq->q, (u16)i, max_size))
		return false;
	bq->reqs = alloc_pages(sizeof(struct blk_req) * bq->q.size);
	bq->slot_of = alloc_pages(2ULL * bq->q.size);
	if (!bq->reqs || !bq->slot_of) {
		b->v.why = "reason=out_of_memory";
		return false;
	}
	return true;
}

bool blk_open(struct blk *b, struct report *r)
{
	u64 qmax = param_u64("qsize", VIRTQ_MAX_SIZE, 1, VIRTQ_MAX_SIZE);
	u64 nq = param_u64("queues", 1, 1, BLK_MAX_QUEUES);
	u64 want = 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		   1ULL << VIRTIO_BLK_F_RO | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		   1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_DISCARD |
		   1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	bool ok;

	memset(b, 0, sizeof(*b));
	b->nr_queues = (unsigned)nq;
	if (param_u64("event_idx", 0, 0, 1))
		want |= 1ULL << VIRTIO_F_RING_EVENT_IDX;
	/* Only when more than one queue is wanted: one queue negotiates as
	 * it always did. */
	if (nq > 1)
		want |= 1ULL << VIRTIO_BLK_F_MQ;
	ok = virtio_open(&b->v, VIRTIO_ID_BLOCK, want, r) &&
	     virtio_cfg_read(&b->v, CFG_CAPACITY, &b->capacity, 8, 4) &&
	     read_cfg32(b, CFG_SIZE_MAX, &b->size_max, VIRTIO_BLK_F_SIZE_MAX) &&
	     read_cfg32(b, CFG_SEG_MAX, &b->seg_max, VIRTIO_BLK_F_SEG_MAX) &&
	     read_cfg32(b, CFG_BLK_SIZE, &b->blk_size, VIRTIO_BLK_F_BLK_SIZE) &&
	     read_cfg32(b, CFG_MAX_DISCARD, &b->max_discard_sectors, VIRTIO_BLK_F_DISCARD) &&
	     read_cfg32(b, CFG_DISCARD_ALIGN, &b->discard_align, VIRTIO_BLK_F_DISCARD) &&
	     read_cfg32(b, CFG_MAX_WZ, &b->max_wz_sectors, VIRTIO_BLK_F_WRITE_ZEROES) &&
	     queues_offered(b);
	for (unsigned i = 0; ok && i < b->nr_queues; i++)
		ok = queue_setup(b, i, (u16)qmax);
	ok = ok && virtio_driver_ok(&b->v);
	if (!ok) {
		rep_fail(r, "%s", b->v.why);
		virtio_reset(&b->v);
		return false;
	}
	/* A limit of 0 means none (qemu-storage-daemon offers SIZE_MAX with
	 * size_max 0, and Linux copes); a segment limit under a sector could
	 * not carry a request. */
	if (b->size_max && b->size_max < SECTOR) {
		rep_fail(r, "reason=device_size_max_too_small size_max=%u", b->size_max);
		return false;
	}
	return true;
}

int blk_submit(struct blk *b, unsigned qi, unsigned slot, u32 type, u64 sector,
	       const struct vq_seg *data, unsigned n)
{
	struct vq_seg segs[BLK_MAX_SEGS + 2];
	struct blk_queue *bq = &b->qs[qi];
	struct blk_req *req = &bq->reqs[slot];
	int head;

	if (n > BLK_MAX_SEGS)
		return -1;
	req->hdr.type = type;
	req->hdr.reserved = 0;
	req->hdr.sector = sector;
	req->status = 0xff;   /* a device that never writes it is caught */
	segs[0] = (struct vq_seg){ &req->hdr, sizeof(req->hdr), false };
	for (unsigned i = 0; i < n; i++)
		segs[1 + i] = data[i];
	segs[1 + n] = (struct vq_seg){ &req->status, 1, true };
	head = vq_add(&bq->q, segs, n + 2);
	if (head >= 0)
		bq->slot_of[head] = (u16)slot;
	return head;
}

int blk_sync(struct blk *b, u32 type, u64 sector, const struct vq_seg *data,
	     unsigned n)
{
	struct blk_queue *bq = &b->qs[b->cur];
	int head = blk_submit(b, b->cur, 0, type, sector, data, n);
	u32 len;

	if (head < 0) {
		b->v.why = "reason=request_too_big_for_queue";
		return BLK_S_DEVICE_FAILED;
	}
	if (!vq_sync(&bq->q, (u16)head, &len, SYNC_TIMEOUT_US))
		return BLK_S_DEVICE_FAILED;
	if (len < 1 || bq->reqs[0].status > VIRTIO_BLK_S_UNSUPP) {
		b->v.why = "reason=device_bad_status";
		return BLK_S_DEVICE_FAILED;
	}
	return bq->reqs[0].status;
}

const char *blk_status_name(struct blk *b, int status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK: return "ok";
	case VIRTIO_BLK_S_IOERR: return "ioerr";
	case VIRTIO_BLK_S_UNSUPP: return "unsupp";
	}
	return b->v.why ? b->v.why : "failed";
}

void blk_close(struct blk *b)
{
	virtio_reset(&b->v);
}
