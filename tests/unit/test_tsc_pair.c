/* The TSC/kvmclock pair of a snapshot (arch/x86/tsc_pair.h): the unit
 * conversion, and that a save then a load on another host keep "the
 * guest TSC at kvmclock time K" the same, by either way of reading and
 * setting the TSC, modulo 2^64 as the TSC wraps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/tsc_pair.h"

#define KHZ   2500000u         /* a 2.5 GHz TSC: 2.5 cycles per ns */
#define MS    1000000ll        /* ns */

static void test_cycles(void **state)
{
	(void)state;
	assert_int_equal(tsc_cycles(1000 * MS, KHZ), 2500000000ll);
	assert_int_equal(tsc_cycles(-1000 * MS, KHZ), -2500000000ll);
	assert_int_equal(tsc_cycles(1, KHZ), 2);      /* 2.5, toward zero */
	assert_int_equal(tsc_cycles(-1, KHZ), -2);
	assert_int_equal(tsc_cycles(123 * MS, 0), 0);  /* frequency unknown */
	/* A day at 4 GHz does not overflow; 2^63 ns at 4 GHz clamps. */
	assert_int_equal(tsc_cycles(86400000 * MS, 4000000u), 345600000000000ll);
	assert_int_equal(tsc_cycles(INT64_MAX, 4000000u), INT64_MAX);
	assert_int_equal(tsc_cycles(INT64_MIN, 4000000u), INT64_MIN);
}

static void test_kvmclock_at_pause(void **state)
{
	(void)state;
	assert_int_equal(kvmclock_at_pause(5000 * MS, 900 * MS, 700 * MS), 4800 * MS);
	/* No pause before the reading: as read. */
	assert_int_equal(kvmclock_at_pause(5000 * MS, 700 * MS, 700 * MS), 5000 * MS);
	assert_int_equal(kvmclock_at_pause(5000 * MS, 700 * MS, 900 * MS), 5000 * MS);
	/* Not before kvmclock's start. */
	assert_int_equal(kvmclock_at_pause(100 * MS, 900 * MS, 700 * MS), 0);
}

/* A host: its TSC counts at KHZ from tsc0 at host time 0 (ns); a vCPU's
 * TSC is the host's plus offset; kvmclock is clock0 at host time 0. */
struct host {
	uint64_t tsc0, clock0, offset;
};

static uint64_t host_tsc(const struct host *h, int64_t t)
{
	return h->tsc0 + (uint64_t)tsc_cycles(t, KHZ);
}

static uint64_t guest_tsc(const struct host *h, int64_t t)
{
	return host_tsc(h, t) + h->offset;
}

static uint64_t kvmclock(const struct host *h, int64_t t)
{
	return h->clock0 + (uint64_t)t;
}

/* The guest TSC minus kvmclock's time in cycles: what a load keeps. */
static uint64_t pairing(uint64_t tsc, uint64_t clock)
{
	return tsc - (uint64_t)tsc_cycles((int64_t)clock, KHZ);
}

/* A source paused at 1000 ms, its clock read at 1300 ms, its vCPU's TSC
 * 3 µs after the pause. */
static const struct host src = {
	.tsc0 = 0x123456789abcull, .clock0 = 40000 * MS, .offset = 0xfffffff000000000ull,
};
#define PAUSE  (1000 * MS)
#define READ   (1300 * MS)

static uint64_t saved_clock(void)
{
	return kvmclock_at_pause(kvmclock(&src, READ), READ, PAUSE);
}

static void check_saved(uint64_t tsc)
{
	/* The pair of the pause itself, kvmclock's and the TSC's. */
	assert_int_equal(saved_clock(), kvmclock(&src, PAUSE));
	assert_int_equal(tsc, guest_tsc(&src, PAUSE));
}

static void test_save_from_offset(void **state)
{
	(void)state;
	check_saved(tsc_at_pause_from_offset(host_tsc(&src, READ), src.offset, READ, PAUSE, KHZ));
}

static void test_save_from_msr(void **state)
{
	(void)state;
	int64_t at = PAUSE + 3000;
	check_saved(tsc_at_pause_from_msr(guest_tsc(&src, at), at, PAUSE, KHZ));
}

/* A guest's kvmclock page: KVM's pair of the vCPU's last entry, 200 ms
 * before the pause; since then the TSC was stopped (an unstable host TSC,
 * the guest halted) 150 ms, and read so at the pause. */
static void pvclock_page(unsigned char *page, uint32_t version, int64_t at)
{
	uint64_t tsc = guest_tsc(&src, at), clock = kvmclock(&src, at);

	memset(page, 0xee, PVCLOCK_SIZE);
	memcpy(page, &version, 4);
	memcpy(page + 8, &tsc, 8);
	memcpy(page + 16, &clock, 8);
}

static void test_save_from_pvclock(void **state)
{
	unsigned char page[PVCLOCK_SIZE];
	uint64_t tsc = 0;

	(void)state;
	pvclock_page(page, 6, PAUSE - 200 * MS);
	assert_true(tsc_at_pause_from_pvclock(page, saved_clock(), KHZ, &tsc));
	check_saved(tsc);
	/* The stopped TSC would have been 150 ms behind. */
	uint64_t stopped = guest_tsc(&src, PAUSE - 150 * MS);
	assert_int_equal(tsc - stopped, (uint64_t)tsc_cycles(150 * MS, KHZ));
	/* Mid-update: not taken. */
	pvclock_page(page, 7, PAUSE - 200 * MS);
	tsc = 1;
	assert_false(tsc_at_pause_from_pvclock(page, saved_clock(), KHZ, &tsc));
	assert_int_equal(tsc, 1);
}

/* The destination: another host TSC, an offset to find; kvmclock set to
 * the saved clock at host time 50 ms, read back 2 ms later. */
static const struct host dst_base = { .tsc0 = 0x42ull, .clock0 = 0 };
#define SET    (50 * MS)
#define GOT    (52 * MS)

static struct host dst_after_set(void)
{
	struct host h = dst_base;
	h.clock0 = saved_clock() - (uint64_t)SET;
	return h;
}

static void test_load_by_offset(void **state)
{
	(void)state;
	uint64_t tsc = guest_tsc(&src, PAUSE);
	struct host h = dst_after_set();

	h.offset = tsc_offset_for_load(tsc, saved_clock(), kvmclock(&h, GOT), host_tsc(&h, GOT),
				       KHZ);
	/* At the clock's reading and an hour later, the pair is the pause's. */
	uint64_t want = pairing(tsc, saved_clock());
	assert_int_equal(pairing(guest_tsc(&h, GOT), kvmclock(&h, GOT)), want);
	assert_int_equal(pairing(guest_tsc(&h, 3600000 * MS), kvmclock(&h, 3600000 * MS)), want);
	/* So the guest sees both clocks stand still between pause and load:
	 * at the set, its TSC is the pause's. */
	assert_int_equal(guest_tsc(&h, SET), tsc);
}

static void test_load_by_msr(void **state)
{
	(void)state;
	uint64_t tsc = guest_tsc(&src, PAUSE);
	struct host h = dst_after_set();
	int64_t write = GOT + 400000; /* the MSR written 0.4 ms after the reading */
	uint64_t value = tsc_value_for_load(tsc, saved_clock(), kvmclock(&h, GOT), GOT, write, KHZ);

	/* KVM makes the TSC read value at write: the offset it computes. */
	h.offset = value - host_tsc(&h, write);
	assert_int_equal(pairing(guest_tsc(&h, write), kvmclock(&h, write)),
			 pairing(tsc, saved_clock()));
	assert_int_equal(guest_tsc(&h, SET), tsc);
}

/* A TSC about to wrap and a clock read just after it: modulo 2^64. */
static void test_wraps(void **state)
{
	(void)state;
	uint64_t tsc = UINT64_MAX - 1000;
	uint64_t value = tsc_value_for_load(tsc, 5000 * MS, 5000 * MS + 1000, 0, 0, KHZ);

	assert_int_equal(value, tsc + 2500);
	assert_true(value < tsc);
	assert_int_equal(tsc_offset_for_load(tsc, 5000 * MS, 5000 * MS, 1000, KHZ),
			 UINT64_MAX - 2000);
}

/* Host times from a snapshot file or a guest page can be anything: their
 * differences saturate instead of overflowing (fuzz_tsc_pair found
 * 0 - INT64_MIN under UBSan), so the results are the extremes. */
static void test_saturates(void **state)
{
	(void)state;
	assert_int_equal(kvmclock_at_pause(100, 0, INT64_MIN), 0);
	assert_int_equal(kvmclock_at_pause(100, INT64_MIN, INT64_MAX), 100);
	assert_int_equal(tsc_value_for_load(0, 0, 0, INT64_MIN, INT64_MAX, 1000000),
			 (uint64_t)INT64_MAX);
	assert_int_equal(tsc_value_for_load(0, 0, (uint64_t)INT64_MIN, INT64_MAX, INT64_MIN, 1000000),
			 (uint64_t)INT64_MIN);
	assert_int_equal(tsc_at_pause_from_msr(0, INT64_MAX, INT64_MIN, 1000000),
			 (uint64_t)0 - (uint64_t)INT64_MAX);
	assert_int_equal(tsc_at_pause_from_offset(0, 0, INT64_MIN, INT64_MAX, 1000000),
			 (uint64_t)INT64_MIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_kvmclock_at_pause),
		cmocka_unit_test(test_save_from_offset),
		cmocka_unit_test(test_save_from_msr),
		cmocka_unit_test(test_save_from_pvclock),
		cmocka_unit_test(test_load_by_offset),
		cmocka_unit_test(test_load_by_msr),
		cmocka_unit_test(test_wraps),
		cmocka_unit_test(test_saturates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
