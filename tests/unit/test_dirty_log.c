/* vmm/dirty_log: the three records of changed guest pages merged into one
 * by guest physical address (KVM's per-slot bitmaps around the PCI hole,
 * the cards' shared log, azote's `all`), read back run by run, counted and
 * cleared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/dirty_log.h"

#define PG DIRTY_LOG_PAGE

/* 3 MiB of RAM around a hole from 2 MiB to 4 MiB + 12 KiB: slot 0 is
 * pages 0-511, slot 1 starts at page 1027, which is not a multiple of 64,
 * so its bits land across word boundaries of the log. */
static void make(struct guest_mem *m, struct dirty_log *l, bool all)
{
	struct azerr e;

	guest_mem_layout(m, 3 << 20, 2 << 20, (4 << 20) + 3 * PG);
	assert_int_equal(m->nr_regions, 2);
	assert_int_equal(dirty_log_create(l, m, all, &e), 0);
	assert_true(l->fd >= 0);
	/* Pages up to the last one of slot 1 (1027 + 256), in whole words. */
	assert_int_equal(l->bytes, (1283 + 63) / 64 * 8);
}

static void set(uint64_t *bits, uint64_t n)
{
	bits[n / 64] |= 1ull << (n % 64);
}

static void test_merge(void **st)
{
	(void)st;
	struct guest_mem m;
	struct dirty_log l;
	uint64_t slot0[8] = { 0 }, slot1[4] = { 0 };

	make(&m, &l, false);
	assert_int_equal(dirty_log_count(&l, &m), 0);
	/* KVM's slot 0: its first and last page and both sides of a word. */
	set(slot0, 0), set(slot0, 63), set(slot0, 64), set(slot0, 511);
	/* Slot 1: pages 0, 1 and 255 (its last) of the slot. */
	set(slot1, 0), set(slot1, 1), set(slot1, 255);
	dirty_log_or_slot(&l, m.regions[0].gpa, slot0, 512);
	dirty_log_or_slot(&l, m.regions[1].gpa, slot1, 256);
	/* A card wrote page 100 and, again, page 0 of slot 1. */
	set(l.bits, 100);
	set(l.bits, 1027);

	const uint64_t want[] = { 0, 63, 64, 100, 511, 1027, 1028, 1282 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(dirty_log_test(&l, want[i]));
	const uint64_t not[] = { 1, 62, 65, 99, 510, 512, 1026, 1029, 1281, 1283, 1u << 30 };
	for (size_t i = 0; i < sizeof(not) / sizeof(not[0]); i++)
		assert_false(dirty_log_test(&l, not[i]));
	assert_int_equal(dirty_log_count(&l, &m), 8);

	/* The runs, as the writer walks them. */
	uint64_t s, t;
	assert_true(dirty_log_next_run(&l, 0, 512, &s, &t));
	assert_int_equal(s, 0), assert_int_equal(t, 1);
	assert_true(dirty_log_next_run(&l, 1, 512, &s, &t));
	assert_int_equal(s, 63), assert_int_equal(t, 65);
	assert_true(dirty_log_next_run(&l, 65, 512, &s, &t));
	assert_int_equal(s, 100), assert_int_equal(t, 101);
	assert_true(dirty_log_next_run(&l, 101, 512, &s, &t));
	assert_int_equal(s, 511), assert_int_equal(t, 512);
	assert_false(dirty_log_next_run(&l, 512, 512, &s, &t));
	assert_true(dirty_log_next_run(&l, 1027, 1283, &s, &t));
	assert_int_equal(s, 1027), assert_int_equal(t, 1029);
	assert_true(dirty_log_next_run(&l, 1029, 1283, &s, &t));
	assert_int_equal(s, 1282), assert_int_equal(t, 1283);
	assert_false(dirty_log_next_run(&l, 1283, 1283, &s, &t));
	/* A range past the log finds nothing there. */
	assert_false(dirty_log_next_run(&l, 1283, 1u << 20, &s, &t));

	/* A second read of KVM's log adds to what is kept (a failed snapshot
	 * read the first): nothing is lost. */
	uint64_t again[8] = { 0 };
	set(again, 2);
	dirty_log_or_slot(&l, 0, again, 512);
	assert_int_equal(dirty_log_count(&l, &m), 9);

	dirty_log_clear(&l);
	assert_int_equal(dirty_log_count(&l, &m), 0);
	assert_false(dirty_log_test(&l, 0));
	dirty_log_destroy(&l);
	assert_int_equal(l.fd, -1);
}

/* A slot whose page count is not a multiple of 64: a bit past its end in
 * the last word is not taken. */
static void test_partial_word(void **st)
{
	(void)st;
	struct guest_mem m;
	struct dirty_log l;
	uint64_t slot[1] = { 0 };

	make(&m, &l, false);
	set(slot, 9);
	set(slot, 10);   /* page 10 of a 10-page slot: not RAM */
	dirty_log_or_slot(&l, 0, slot, 10);
	assert_true(dirty_log_test(&l, 9));
	assert_false(dirty_log_test(&l, 10));
	/* Nor anything past the log's end. */
	uint64_t far[1] = { 1 };
	dirty_log_or_slot(&l, (uint64_t)l.bytes * 8 * PG, far, 1);
	assert_int_equal(dirty_log_count(&l, &m), 1);
	dirty_log_destroy(&l);
}

/* At boot everything counts (azote's own writes are not in KVM's log),
 * until the first snapshot clears it. */
static void test_all(void **st)
{
	(void)st;
	struct guest_mem m;
	struct dirty_log l;
	uint64_t s, t;

	make(&m, &l, true);
	assert_int_equal(dirty_log_count(&l, &m), (3 << 20) / PG);
	assert_true(dirty_log_next_run(&l, 1027, 1283, &s, &t));
	assert_int_equal(s, 1027), assert_int_equal(t, 1283);
	assert_true(dirty_log_test(&l, 700));
	dirty_log_clear(&l);
	assert_false(l.all);
	assert_int_equal(dirty_log_count(&l, &m), 0);
	dirty_log_destroy(&l);

	/* Not tracking: nothing is recorded, nothing read. */
	dirty_log_none(&l);
	assert_false(dirty_log_next_run(&l, 0, 512, &s, &t));
	assert_int_equal(dirty_log_count(&l, &m), 0);
	dirty_log_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_partial_word),
		cmocka_unit_test(test_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
