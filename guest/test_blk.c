/* Block tests: blk-info, blk-verify, blk-ro, blk-bench (see README.md). */
#include "blk.h"
#include "io.h"
#include "lib.h"

#define WORDS_PER_SECTOR (SECTOR / 8)
#define VERIFY_MAX_REQ   16          /* sectors per verify request */

/* The seeded pattern: every 64-bit word a hash of (seed, sector, word),
 * so a sector written to the wrong place is caught as well as a flipped
 * byte. */
static u64 pattern_word(u64 seed, u64 sector, u64 i)
{
	u64 x = seed * 0x9e3779b97f4a7c15ULL ^ sector * 0xbf58476d1ce4e5b9ULL ^
		(i + 1) * 0x94d049bb133111ebULL;

	x ^= x >> 31;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

static void fill_pattern(u8 *buf, u64 seed, u64 sector, u64 count)
{
	for (u64 s = 0; s < count; s++)
		for (u64 i = 0; i < WORDS_PER_SECTOR; i++) {
			u64 w = pattern_word(seed, sector + s, i);

			memcpy(buf + s * SECTOR + i * 8, &w, 8);
		}
}

static void report_io(struct report *r, struct blk *b, const char *op,
		      u64 sector, int st)
{
	if (st == BLK_S_DEVICE_FAILED)
		rep_fail(r, "op=%s sector=%lu %s", op, (unsigned long)sector,
			 b->v.why ? b->v.why : "reason=device_failed");
	else
		rep_fail(r, "op=%s sector=%lu status=%s", op,
			 (unsigned long)sector, blk_status_name(b, st));
}

/* Splits [buf, buf+len) into `want` segments of uneven, odd sizes (so
 * sector boundaries fall inside segments), within the device's limits.
 * Returns the number of segments, 0 if the limits cannot be met. */
static unsigned split(struct blk *b, u8 *buf, u32 len, unsigned want,
		      bool device_writes, struct vq_seg *segs)
{
	unsigned max = BLK_MAX_SEGS, n;
	u32 off = 0;

	if (b->seg_max)
		max = MIN(max, b->seg_max);
	if (want > max)
		want = max;
	if (want > len)
		want = len;
	n = want;
	if (b->size_max)       /* each segment at most size_max bytes */
		while (n < max && (len + n - 1) / n > b->size_max)
			n++;
	if (b->size_max && (len + n - 1) / n > b->size_max)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		u32 left = len - off, part = left / (n - i);

		/* skew all but the last by an odd amount */
		if (i + 1 < n && part > 8)
			part += (i & 1) ? -(u32)3 : 5;
		if (b->size_max && part > b->size_max)
			part = b->size_max;
		if (i + 1 == n)
			part = left;
		segs[i] = (struct vq_seg){ buf + off, part, device_writes };
		off += part;
	}
	return n;
}

struct range {
	u64 start, count;
};

static bool get_range(struct report *r, struct blk *b, u64 def_count,
		      struct range *rg)
{
	rg->start = param_u64("start", 0, 0, ~0ULL);
	rg->count = param_u64("sectors", MIN(def_count, b->capacity), 1, ~0ULL);
	if (rg->start >= b->capacity || rg->count > b->capacity - rg->start) {
		rep_fail(r, "reason=range_beyond_capacity capacity=%lu",
			 (unsigned long)b->capacity);
		return false;
	}
	return true;
}

/* Writes (write=true) or reads and checks the pattern over the range,
 * with requests of varying size and segmentation. `phase` shifts the
 * request sizes so that reads split differently from writes. With several
 * queues the requests take them in turn (requests[q] counts each queue's),
 * so that most sectors are read back on another queue than the one that
 * wrote them. */
static bool pattern_pass(struct report *r, struct blk *b, u8 *buf, u8 *expect,
			 const struct range *rg, u64 seed, bool write,
			 unsigned phase, u64 *requests)
{
	static const u8 lens[] = { 1, 3, 8, 2, 16, 5, 7, 4 };
	u64 bad = 0, first_bad = 0, last_bad = 0;
	unsigned k = phase;

	for (u64 s = rg->start; s < rg->start + rg->count; k++) {
		u64 nsec = MIN((u64)lens[k % sizeof(lens)], rg->start + rg->count - s);
		u8 *data = buf + 1 + (k % 7) * 3;   /* deliberately unaligned */
		u32 len = (u32)(nsec * SECTOR);
		struct vq_seg segs[BLK_MAX_SEGS];
		unsigned n = split(b, data, len, 1 + k % 4, !write, segs);
		int st;

		if (!n) {
			rep_fail(r, "reason=device_limits_too_small size_max=%u seg_max=%u",
				 b->size_max, b->seg_max);
			return false;
		}
		if (write)
			fill_pattern(data, seed, s, nsec);
		b->cur = k % b->nr_queues;
		st = blk_sync(b, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, s, segs, n);
		requests[b->cur]++;
		b->cur = 0;
		if (st != VIRTIO_BLK_S_OK) {
			report_io(r, b, write ? "write" : "read", s, st);
			return false;
		}
		if (!write) {
			fill_pattern(expect, seed, s, nsec);
			for (u64 i = 0; i < nsec; i++)
				if (memcmp(data + i * SECTOR, expect + i * SECTOR, SECTOR)) {
					if (!bad++)
						first_bad = s + i;
					last_bad = s + i;
				}
		}
		s += nsec;
	}
	if (bad) {
		rep_fail(r, "bad_sectors=%lu first_bad_sector=%lu last_bad_sector=%lu",
			 (unsigned long)bad, (unsigned long)first_bad,
			 (unsigned long)last_bad);
		return false;
	}
	return true;
}

static bool flush(struct report *r, struct blk *b)
{
	int st;

	if (!virtio_has(&b->v, VIRTIO_BLK_F_FLUSH))
		return true;
	st = blk_sync(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	if (st != VIRTIO_BLK_S_OK) {
		report_io(r, b, "flush", 0, st);
		return false;
	}
	return true;
}

/* Discard or write-zeroes over a few sectors inside the range. The range
 * is then rewritten with the pattern, so the image ends up whole. */
static bool dwz(struct report *r, struct blk *b, u8 *buf, const struct range *rg,
		u32 type, u64 seed, const char *key)
{
	bool zeroes = type == VIRTIO_BLK_T_WRITE_ZEROES;
	u32 max = zeroes ? b->max_wz_sectors : b->max_discard_sectors;
	u64 align = zeroes ? 1 : MAX(b->discard_align, 1u);
	u64 s = ALIGN_UP(rg->start + 1, align), n = MIN(8ULL, max);
	struct blk_dwz *seg = (struct blk_dwz *)buf;
	struct vq_seg vs = { seg, sizeof(*seg), false };
	int st;

	if (!virtio_has(&b->v, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD))
		return rep_kv(r, "%s=none", key), true;
	if (n < align || s + n > rg->start + rg->count)
		return rep_kv(r, "%s=range_too_small", key), true;
	n -= n % align;
	*seg = (struct blk_dwz){ s, (u32)n, 0 };
	st = blk_sync(b, type, 0, &vs, 1);
	if (st != VIRTIO_BLK_S_OK) {
		report_io(r, b, key, s, st);
		return false;
	}
	if (zeroes) {
		struct vq_seg rd = { buf, (u32)(n * SECTOR), true };

		memset(buf, 0xa5, n * SECTOR);
		st = blk_sync(b, VIRTIO_BLK_T_IN, s, &rd, 1);
		if (st != VIRTIO_BLK_S_OK) {
			report_io(r, b, "read", s, st);
			return false;
		}
		for (u64 i = 0; i < n * SECTOR; i++)
			if (buf[i]) {
				rep_fail(r, "reason=write_zeroes_left_data sector=%lu",
					 (unsigned long)(s + i / SECTOR));
				return false;
			}
	}
	/* restore the pattern there */
	{
		struct vq_seg wr = { buf, (u32)(n * SECTOR), false };

		fill_pattern(buf, seed, s, n);
		st = blk_sync(b, VIRTIO_BLK_T_OUT, s, &wr, 1);
		if (st != VIRTIO_BLK_S_OK) {
			report_io(r, b, "write", s, st);
			return false;
		}
	}
	rep_kv(r, "%s=ok", key);
	return true;
}

void test_blk_verify(struct report *r)
{
	struct blk b;
	struct range rg;
	const char *mode = param_str("verify", "both");
	bool do_write = !strcmp(mode, "both") || !strcmp(mode, "write");
	bool do_read = !strcmp(mode, "both") || !strcmp(mode, "read");
	u64 seed = param_u64("seed", 1, 0, ~0ULL), requests[BLK_MAX_QUEUES] = { 0 };
	u8 *buf, *expect;

	if (!do_write && !do_read) {
		rep_fail(r, "param_error=bad_value key=verify");
		return;
	}
	if (!blk_open(&b, r))
		return;
	if (!get_range(r, &b, 2048, &rg))
		goto out;
	buf = alloc_pages(VERIFY_MAX_REQ * SECTOR + 64);
	expect = alloc_pages(VERIFY_MAX_REQ * SECTOR);
	if (!buf || !expect) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	rep_kv(r, "mode=%s start=%lu sectors=%lu seed=%lu", mode,
	       (unsigned long)rg.start, (unsigned long)rg.count, (unsigned long)seed);
	if (do_write) {
		if (!pattern_pass(r, &b, buf, expect, &rg, seed, true, 0, requests) ||
		    !flush(r, &b))
			goto out;
	}
	if (do_read &&
	    !pattern_pass(r, &b, buf, expect, &rg, seed, false, 3, requests))
		goto out;
	if (do_write && do_read &&
	    (!dwz(r, &b, buf, &rg, VIRTIO_BLK_T_WRITE_ZEROES, seed, "write_zeroes") ||
	     !dwz(r, &b, buf, &rg, VIRTIO_BLK_T_DISCARD, seed, "discard") ||
	     !flush(r, &b)))
		goto out;
	{
		u64 total = 0;

		for (unsigned q = 0; q < b.nr_queues; q++)
			total += requests[q];
		rep_kv(r, "requests=%lu flush=%s", (unsigned long)total,
		       virtio_has(&b.v, VIRTIO_BLK_F_FLUSH) ? "ok" : "none");
	}
	/* Every queue completed requests of its own (blk_sync waited for
	 * each); a range too short to reach every queue fails. */
	if (b.nr_queues > 1) {
		rep_kv(r, "queues=%u", b.nr_queues);
		for (unsigned q = 0; q < b.nr_queues; q++)
			rep_kv(r, "q%u_requests=%lu", q, (unsigned long)requests[q]);
		for (unsigned q = 0; q < b.nr_queues; q++)
			if (!requests[q]) {
				rep_fail(r, "reason=queue_unused queue=%u", q);
				break;
			}
	}
out:
	blk_close(&b);
}

/* A read-only device: writes must fail with IOERR and change nothing. */
void test_blk_ro(struct report *r)
{
	struct blk b;
	struct range rg;
	u8 *before, *buf;
	u64 len;
	int st;

	if (!blk_open(&b, r))
		return;
	if (!get_range(r, &b, 16, &rg))
		goto out;
	if (rg.count > VERIFY_MAX_REQ) {
		rep_fail(r, "param_error=bad_value key=sectors max=%u", VERIFY_MAX_REQ);
		goto out;
	}
	len = rg.count * SECTOR;
	before = alloc_pages(len);
	buf = alloc_pages(len);
	if (!before || !buf) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	rep_kv(r, "ro=%u", virtio_has(&b.v, VIRTIO_BLK_F_RO));
	if (!virtio_has(&b.v, VIRTIO_BLK_F_RO))
		rep_fail(r, "reason=device_not_read_only");
	{
		struct vq_seg rd = { before, (u32)len, true };

		st = blk_sync(&b, VIRTIO_BLK_T_IN, rg.start, &rd, 1);
		if (st != VIRTIO_BLK_S_OK) {
			report_io(r, &b, "read", rg.start, st);
			goto out;
		}
	}
	/* the whole range in one request, then its last sector alone */
	for (int i = 0; i < 2; i++) {
		u64 s = i ? rg.start + rg.count - 1 : rg.start;
		struct vq_seg wr = { buf, i ? SECTOR : (u32)len, false };

		for (u64 j = 0; j < len; j++)
			buf[j] = (u8)~before[j];
		st = blk_sync(&b, VIRTIO_BLK_T_OUT, s, &wr, 1);
		if (st != VIRTIO_BLK_S_IOERR) {
			report_io(r, &b, "write_expected_ioerr", s, st);
			goto out;
		}
	}
	{
		struct vq_seg rd = { buf, (u32)len, true };

		st = blk_sync(&b, VIRTIO_BLK_T_IN, rg.start, &rd, 1);
		if (st != VIRTIO_BLK_S_OK) {
			report_io(r, &b, "read", rg.start, st);
			goto out;
		}
	}
	for (u64 i = 0; i < rg.count; i++)
		if (memcmp(before + i * SECTOR, buf + i * SECTOR, SECTOR)) {
			rep_fail(r, "reason=data_changed sector=%lu",
				 (unsigned long)(rg.start + i));
			goto out;
		}
	rep_kv(r, "write_status=ioerr unchanged_sectors=%lu", (unsigned long)rg.count);
out:
	blk_close(&b);
}

void test_blk_info(struct report *r)
{
	struct blk b;
	char *id;
	int st;

	if (!blk_open(&b, r))
		return;
	id = alloc_pages(4096);
	if (!id) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	rep_kv(r, "capacity=%lu bytes=%lu blk_size=%u offered=0x%lx features=0x%lx "
	       "queue_size=%u seg_max=%u size_max=%u ro=%u flush=%u discard=%u "
	       "write_zeroes=%u bars_assigned=%u", (unsigned long)b.capacity,
	       (unsigned long)(b.capacity * SECTOR), b.blk_size,
	       (unsigned long)b.v.offered, (unsigned long)b.v.features, b.qs[0].q.size,
	       b.seg_max, b.size_max, virtio_has(&b.v, VIRTIO_BLK_F_RO),
	       virtio_has(&b.v, VIRTIO_BLK_F_FLUSH),
	       virtio_has(&b.v, VIRTIO_BLK_F_DISCARD),
	       virtio_has(&b.v, VIRTIO_BLK_F_WRITE_ZEROES), pci_bars_assigned);
	if (b.nr_queues > 1)
		rep_kv(r, "queues=%u num_queues=%u", b.nr_queues, b.num_queues);
	{
		struct vq_seg seg = { id, 20, true };

		st = blk_sync(&b, VIRTIO_BLK_T_GET_ID, 0, &seg, 1);
	}
	if (st == VIRTIO_BLK_S_OK) {
		/* up to 20 bytes, NUL-padded; shown with anything unprintable
		 * (and spaces) as '_' so the line stays key=value */
		id[20] = '\0';
		for (int i = 0; i < 20 && id[i]; i++)
			if (id[i] <= ' ' || id[i] > '~' || id[i] == '=')
				id[i] = '_';
		rep_kv(r, "serial=%s", id[0] ? id : "(empty)");
	} else if (st == VIRTIO_BLK_S_UNSUPP) {
		rep_kv(r, "serial=unsupported");
	} else {
		report_io(r, &b, "get_id", 0, st);
	}
	if (b.capacity == 0)
		rep_fail(r, "reason=zero_capacity");
out:
	blk_close(&b);
}
