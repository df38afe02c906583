/* rng: the entropy device (virtio 1.2, 5.4), see README.md. Requests of
 * several sizes and a chain of three buffers, each used length checked
 * (not 0, not beyond the buffers) and the bytes checked to be written
 * (not all zero) and not repeated; with probe.max=N one buffer larger
 * than N, whose used length must stay within N (a device that caps a
 * request, as azote's card and Firecracker do at 64 KiB); with
 * probe.secs=S only a rate: requests of probe.size bytes one at a time
 * for S seconds, for a host checking the device's rate limit. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "rng.h"

#define BIG_MIN       (128 * 1024)   /* probe.max's buffer, at least */
#define CHECK_MIN     16             /* bytes enough to expect a non-zero one */

static bool all_zero(const u8 *p, u32 len)
{
	for (u32 i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* One request into zeroed buffers; FAILs naming `what` if the device
 * fails it or leaves a segment it says it filled (CHECK_MIN bytes or
 * more of it) all zero. */
static bool fill(struct report *r, struct rng *g, const struct vq_seg *segs,
		 unsigned n, u32 *len, const char *what)
{
	u32 left;

	for (unsigned i = 0; i < n; i++)
		memset(segs[i].addr, 0, segs[i].len);
	if (!rng_read(g, segs, n, len)) {
		rep_fail(r, "op=%s %s", what, g->v.why);
		return false;
	}
	left = *len;
	for (unsigned i = 0; i < n && left; i++) {
		u32 part = MIN(left, segs[i].len);

		if (part >= CHECK_MIN && all_zero(segs[i].addr, part)) {
			rep_fail(r, "op=%s reason=bytes_all_zero seg=%u len=%u",
				 what, i, *len);
			return false;
		}
		left -= part;
	}
	return true;
}

/* Single buffers of 1, 64 and 4096 bytes, a second 64 that must differ
 * from the first, and a chain of three odd-sized, unaligned buffers on
 * separate pages. */
static bool basic(struct report *r, struct rng *g, u8 *buf)
{
	static const u32 sizes[] = { 1, 64, 4096 };
	struct vq_seg chain[3] = {
		{ buf + 3, 17, true },
		{ buf + 4096 + 5, 300, true },
		{ buf + 2 * 4096 + 1, 2000, true },
	};
	u8 *again = buf + 3 * 4096;
	u32 len;

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct vq_seg s = { buf, sizes[i], true };
		char what[32];

		snprintf(what, sizeof(what), "single size=%u", sizes[i]);
		if (!fill(r, g, &s, 1, &len, what))
			return false;
		rep_kv(r, "got_%u=%u", sizes[i], len);
	}
	/* Two more 64-byte requests into separate buffers: a device that
	 * hands out the same bytes again is caught. */
	{
		struct vq_seg a = { buf, 64, true }, b = { again, 64, true };
		u32 la, lb;

		if (!fill(r, g, &a, 1, &la, "repeat_a") ||
		    !fill(r, g, &b, 1, &lb, "repeat_b"))
			return false;
		if (MIN(la, lb) >= CHECK_MIN && !memcmp(buf, again, MIN(la, lb))) {
			rep_fail(r, "reason=bytes_repeated len=%u", MIN(la, lb));
			return false;
		}
	}
	if (!fill(r, g, chain, ARRAY_SIZE(chain), &len, "chain"))
		return false;
	rep_kv(r, "chain=%u+%u+%u got_chain=%u", chain[0].len, chain[1].len,
	       chain[2].len, len);
	return true;
}

/* probe.max=N: one buffer larger than N gets at most N bytes. */
static bool capped(struct report *r, struct rng *g, u64 max)
{
	u32 size = (u32)MAX((u64)BIG_MIN, 2 * max), len;
	struct vq_seg s = { alloc_pages(size), size, true };

	if (!s.addr) {
		rep_fail(r, "reason=out_of_memory");
		return false;
	}
	if (!fill(r, g, &s, 1, &len, "big"))
		return false;
	rep_kv(r, "max=%lu big=%u big_used=%u", (unsigned long)max, size, len);
	if (len > max) {
		rep_fail(r, "reason=device_exceeded_max");
		return false;
	}
	return true;
}

/* probe.secs=S: requests of `size` bytes, one at a time, for S seconds. */
static bool rate(struct report *r, struct rng *g, u64 secs, u32 size)
{
	struct vq_seg s = { alloc_pages(size), size, true };
	u64 t0, end, ticks, us, reqs0 = g->reqs, bytes0 = g->bytes, reqs, bytes;
	u32 len;

	if (!s.addr) {
		rep_fail(r, "reason=out_of_memory");
		return false;
	}
	mark("rng", "rate", "start");
	t0 = rdtsc();
	end = t0 + tsc_from_us(secs * 1000000);
	while (rdtsc() < end)
		if (!rng_read(g, &s, 1, &len)) {
			rep_fail(r, "op=rate reqs=%lu %s",
				 (unsigned long)(g->reqs - reqs0), g->v.why);
			return false;
		}
	ticks = rdtsc() - t0;
	mark("rng", "rate", "end");
	us = MAX(us_from_tsc(ticks), 1ULL);
	reqs = g->reqs - reqs0;
	bytes = g->bytes - bytes0;
	rep_kv(r, "size=%u secs=%lu rate_reqs=%lu rate_bytes=%lu us=%lu "
	       "rate_ticks=%lu reqs_per_s=%lu bytes_per_s=%lu", size,
	       (unsigned long)secs, (unsigned long)reqs, (unsigned long)bytes,
	       (unsigned long)us, (unsigned long)ticks,
	       (unsigned long)(reqs * 1000000 / us),
	       (unsigned long)(bytes * 1000000 / us));
	return true;
}

void test_rng(struct report *r)
{
	u64 max = param_u64("max", 0, 1, 16 * MIB);
	u64 secs = param_u64("secs", 0, 1, 3600);
	u64 size = param_u64("size", 64, 1, 16 * MIB);
	struct rng g;
	u8 *buf;

	if (!rng_open(&g, r))
		return;
	rep_kv(r, "queue_size=%u", g.q.size);
	buf = alloc_pages(4 * 4096);
	if (!buf) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	/* A rate is measured alone: nothing else drains the device's
	 * buckets first (probe.max, if asked for, still runs). */
	if ((!secs && !basic(r, &g, buf)) ||
	    (max && !capped(r, &g, max)) ||
	    (secs && !rate(r, &g, secs, (u32)size)))
		goto out;
	rep_kv(r, "reqs=%lu bytes=%lu max_used=%u irq=%s interrupts=%lu",
	       (unsigned long)g.reqs, (unsigned long)g.bytes, g.max_used,
	       g.v.irq ? "msix" : "polled", (unsigned long)virtio_irqs);
out:
	rng_close(&g);
}
