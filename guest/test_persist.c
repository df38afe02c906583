/* persist: state that must survive a snapshot and restore (README.md).
 *
 * Each round reads a record from a disk sector, checks that it holds what
 * the previous round wrote (the counter kept in memory), increments the
 * counter, writes it, flushes and reads it back; and checks that time
 * moved on (the TSC never goes back, the PIT still counts). Between rounds
 * it waits, which is when a host pauses, snapshots, and restores the VM in
 * a new process. The probe cannot know it was restored, so every check is
 * an invariant across rounds: a write lost or done twice, memory reset to
 * its boot state, or a clock restored behind breaks it. With probe.irq=1
 * each request's completion must come with its MSI-X interrupt, so the
 * interrupt path (MSI-X table, LAPIC, the VMM's routing) must survive the
 * restore too. */
#include "blk.h"
#include "boot.h"
#include "io.h"
#include "lib.h"

#define RECORD_MAGIC 0x53495352455a4f41ULL   /* "AOZERSIS" */

struct record {
	u64 magic, counter, check;
};

/* In memory only: a restored VM has them only if its memory was saved. */
static u64 counter;
static u64 last_tsc;

static u64 record_check(u64 c)
{
	return ~c ^ RECORD_MAGIC;
}

/* The counter the sector holds: 0 for a blank sector (before round 1),
 * -1 for anything that is not a record. */
static long long record_counter(const u8 *sec)
{
	struct record rec;

	memcpy(&rec, sec, sizeof(rec));
	if (rec.magic == RECORD_MAGIC && rec.check == record_check(rec.counter))
		return (long long)rec.counter;
	for (unsigned i = 0; i < SECTOR; i++)
		if (sec[i])
			return -1;
	return 0;
}

static bool sector_io(struct report *r, struct blk *b, u32 type, u64 sector, u8 *buf,
		      const char *op)
{
	struct vq_seg seg = { buf, SECTOR, type == VIRTIO_BLK_T_IN };
	int st = blk_sync(b, type, sector, type == VIRTIO_BLK_T_FLUSH ? NULL : &seg,
			  type == VIRTIO_BLK_T_FLUSH ? 0 : 1);

	if (st == VIRTIO_BLK_S_OK)
		return true;
	rep_fail(r, "op=%s sector=%lu %s", op, (unsigned long)sector,
		 st == BLK_S_DEVICE_FAILED && b->v.why ? b->v.why : blk_status_name(b, st));
	return false;
}

/* The PIT counts: two reads 100 us apart differ (it ticks every 0.84 us). */
static bool pit_counts(void)
{
	u16 a = timer_pit_count();

	udelay(100);
	return timer_pit_count() != a;
}

static bool round_once(struct report *r, struct blk *b, u64 sector, u8 *buf, u64 round)
{
	u64 now = rdtsc();
	long long disk;

	if (last_tsc && now <= last_tsc) {
		rep_fail(r, "reason=tsc_went_back round=%lu", (unsigned long)round);
		return false;
	}
	if (!pit_counts()) {
		rep_fail(r, "reason=pit_stopped round=%lu", (unsigned long)round);
		return false;
	}
	if (!sector_io(r, b, VIRTIO_BLK_T_IN, sector, buf, "read"))
		return false;
	disk = record_counter(buf);
	if (disk < 0 || (u64)disk != counter) {
		rep_fail(r, "reason=%s round=%lu memory=%lu disk=%lld",
			 disk < 0 ? "disk_record_corrupt" : "disk_memory_disagree",
			 (unsigned long)round, (unsigned long)counter, disk);
		return false;
	}
	counter++;
	struct record rec = { RECORD_MAGIC, counter, record_check(counter) };
	memset(buf, 0, SECTOR);
	memcpy(buf, &rec, sizeof(rec));
	if (!sector_io(r, b, VIRTIO_BLK_T_OUT, sector, buf, "write") ||
	    (virtio_has(&b->v, VIRTIO_BLK_F_FLUSH) &&
	     !sector_io(r, b, VIRTIO_BLK_T_FLUSH, 0, buf, "flush")))
		return false;
	memset(buf, 0xa5, SECTOR);
	if (!sector_io(r, b, VIRTIO_BLK_T_IN, sector, buf, "read"))
		return false;
	if (record_counter(buf) != (long long)counter) {
		rep_fail(r, "reason=readback_differs round=%lu wrote=%lu read=%lld",
			 (unsigned long)round, (unsigned long)counter, record_counter(buf));
		return false;
	}
	last_tsc = rdtsc();
	printk("PROBE persist: round %lu ok counter=%lu\n", (unsigned long)round,
	       (unsigned long)counter);
	return true;
}

void test_persist(struct report *r)
{
	u64 rounds = param_u64("rounds", 5, 1, 1000000000);
	u64 pause_ms = param_u64("pause_ms", 200, 0, 3600000);
	u64 sector = param_u64("start", 0, 0, ~0ULL);
	struct blk b;
	u8 *buf;

	if (!blk_open(&b, r))
		return;
	rep_kv(r, "sector=%lu rounds=%lu pause_ms=%lu", (unsigned long)sector,
	       (unsigned long)rounds, (unsigned long)pause_ms);
	if (sector >= b.capacity) {
		rep_fail(r, "reason=range_beyond_capacity capacity=%lu",
			 (unsigned long)b.capacity);
		goto out;
	}
	buf = alloc_pages(SECTOR);
	if (!buf) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	for (u64 round = 1; round <= rounds; round++) {
		if (!round_once(r, &b, sector, buf, round))
			goto out;
		if (round < rounds)
			udelay(pause_ms * 1000);
	}
	rep_kv(r, "counter=%lu irq=%s interrupts=%lu", (unsigned long)counter,
	       b.v.irq ? "msix" : "polled", (unsigned long)virtio_irqs);
out:
	blk_close(&b);
}
