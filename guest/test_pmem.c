/* pmem: the persistent memory device (virtio 1.3, 5.19), see README.md.
 * The region the configuration names must be the one the host made: its
 * size what the host says (probe.size), start and size 2 MiB aligned,
 * outside RAM, and its first probe.check bytes what the host put in the
 * file (their CRC-32, probe.crc). Then, unless probe.ro=1, a seeded
 * pattern is written at probe.off and read back, and probe.flushes FLUSH
 * requests follow one after the other, each answered OK. The host then
 * finds the pattern in the file, or with ro=1 the file as it was. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "pmem.h"

#define DEFAULT_LEN     4096
#define MAX_FLUSHES     64

/* The written pattern: byte k is byte k % 8 (little-endian) of word k / 8,
 * a hash of (seed, k / 8), so that a byte written to the wrong place, or
 * not at all, shows. The host computes the same (38-probe-qemu-pmem.sh). */
static u64 pattern_word(u64 seed, u64 i)
{
	u64 x = (seed + 1) * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 31;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

static u8 pattern_byte(u64 seed, u64 k, u64 *word)
{
	if (!(k & 7))
		*word = pattern_word(seed, k >> 3);
	return (u8)(*word >> (8 * (k & 7)));
}

/* Where the device put the region, judged against what the host said. */
static bool region_ok(struct report *r, const struct pmem *p, u64 want)
{
	u64 start = p->start, size = p->size;

	rep_kv(r, "start=0x%lx size=%lu", (unsigned long)start, (unsigned long)size);
	if (!start)
		rep_fail(r, "reason=start_zero");
	else if (start % VIRTIO_PMEM_ALIGN)
		rep_fail(r, "reason=start_unaligned");
	else if (!size)
		rep_fail(r, "reason=size_zero");
	else if (size % VIRTIO_PMEM_ALIGN)
		rep_fail(r, "reason=size_unaligned");
	else if (size != want)
		rep_fail(r, "reason=size_mismatch want=%lu", (unsigned long)want);
	else if (start + size < start)
		rep_fail(r, "reason=region_wraps");
	else if (bootinfo_overlaps_ram(start, size))
		rep_fail(r, "reason=region_in_ram");   /* two owners for a page */
	return !r->failed;
}

/* The host's bytes: the CRC-32 of the region's first `check` bytes. */
static bool content_ok(struct report *r, struct pmem *p, u64 check, u32 want)
{
	const u8 *a;
	u32 crc;

	if (check > p->size) {
		rep_fail(r, "reason=check_outside_region check=%lu", (unsigned long)check);
		return false;
	}
	if (!(a = pmem_map(p, 0, check))) {
		rep_fail(r, "%s check=%lu", p->v.why, (unsigned long)check);
		return false;
	}
	crc = crc32(0, a, check);
	rep_kv(r, "check=%lu crc=0x%08x", (unsigned long)check, crc);
	if (crc != want) {
		rep_fail(r, "reason=crc_mismatch want=0x%08x", want);
		return false;
	}
	return true;
}

/* The pattern written at off and read back; old_crc says what was there
 * (the host checks it against its file: the bytes at off are the file's
 * at off), wcrc what is there now. */
static bool write_ok(struct report *r, struct pmem *p, u64 off, u64 len, u64 seed)
{
	u64 w = 0;
	u8 *a;
	u32 old;

	rep_kv(r, "off=%lu len=%lu seed=%lu", (unsigned long)off,
	       (unsigned long)len, (unsigned long)seed);
	if (off > p->size || len > p->size - off) {
		rep_fail(r, "reason=write_outside_region");
		return false;
	}
	if (!(a = pmem_map(p, off, len))) {
		rep_fail(r, "%s", p->v.why);
		return false;
	}
	old = crc32(0, a, len);
	for (u64 k = 0; k < len; k++)
		a[k] = pattern_byte(seed, k, &w);
	/* Read back from the region, not from what the compiler kept: a
	 * read-only device drops the writes. */
	barrier();
	for (u64 k = 0; k < len; k++)
		if (a[k] != pattern_byte(seed, k, &w)) {
			rep_fail(r, "reason=readback_differs at=%lu", (unsigned long)(off + k));
			return false;
		}
	rep_kv(r, "old_crc=0x%08x written=%lu wcrc=0x%08x", old,
	       (unsigned long)len, crc32(0, a, len));
	return true;
}

/* n FLUSH requests, each sent when the one before was answered (QEMU's
 * device takes one request per notification, so more in flight at once
 * would test QEMU rather than the probe). */
static bool flushes_ok(struct report *r, struct pmem *p, unsigned n)
{
	u64 first_us = 0, max_us = 0;

	for (unsigned i = 0; i < n; i++) {
		u64 t0 = rdtsc(), us;
		u32 ret, len;
		bool ok = pmem_flush(p, &ret, &len);

		us = us_from_tsc(rdtsc() - t0);
		if (!ok) {
			rep_fail(r, "op=flush n=%u %s ret=0x%x used_len=%u", i,
				 p->v.why, ret, len);
			return false;
		}
		if (i == 0)
			first_us = us;
		max_us = MAX(max_us, us);
	}
	if (n)
		rep_kv(r, "flushes=%u flush=ok flush_len=%u flush_us=%lu flush_us_max=%lu",
		       n, VIRTIO_PMEM_RESP_SIZE, (unsigned long)first_us,
		       (unsigned long)max_us);
	else
		rep_kv(r, "flushes=0 flush=none");
	return true;
}

void test_pmem(struct report *r)
{
	const char *size_s = param_str("size", NULL), *crc_s = param_str("crc", NULL);
	u64 size = param_u64("size", 0, VIRTIO_PMEM_ALIGN, 1ULL << 46);
	u64 want_crc = param_u64("crc", 0, 0, 0xffffffffULL);
	u64 check = param_u64("check", 0, 1, 1ULL << 46);
	bool ro = param_u64("ro", 0, 0, 1);
	unsigned flushes = (unsigned)param_u64("flushes", 2, 0, MAX_FLUSHES);
	struct pmem p;

	/* Without them the checks would judge nothing: the host says. */
	if (!size_s || !crc_s) {
		rep_fail(r, "param_error=missing key=%s", !size_s ? "size" : "crc");
		return;
	}
	if (!pmem_open(&p, r))
		return;
	rep_kv(r, "queue_size=%u", p.q.size);
	if (region_ok(r, &p, size) &&
	    content_ok(r, &p, check ? check : p.size, (u32)want_crc)) {
		rep_kv(r, "mode=%s", ro ? "ro" : "rw");
		if (ro)
			rep_kv(r, "written=0");
		if ((ro || write_ok(r, &p, param_u64("off", 0, 0, 1ULL << 46),
				    param_u64("len", DEFAULT_LEN, 1, 1ULL << 40),
				    param_u64("seed", 1, 0, ~0ULL))))
			flushes_ok(r, &p, flushes);
	}
	pmem_close(&p);
}
