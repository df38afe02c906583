/* Unit tests for the userfaultfd pager's ranges (common/uffd_pager.h):
 * what a mapping may be, and a fault address to its page and file
 * offset. The pager itself, with real faults, is tests/host/uffd_share.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/uffd_pager.h"

#define PG 4096ULL
#define FILE_SIZE (64 * PG)

static void test_add_checks(void **state)
{
	struct uffd_ranges t = { 0 };
	struct azerr e;
	(void)state;

	assert_int_equal(uffd_ranges_add(&t, 0x10000, 16 * PG, 0, FILE_SIZE, PG, &e), 0);
	/* Empty, misaligned start, length or offset. */
	assert_int_equal(uffd_ranges_add(&t, 0x100000, 0, 0, FILE_SIZE, PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0x100001, PG, 0, FILE_SIZE, PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0x100000, PG + 1, 0, FILE_SIZE, PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0x100000, PG, 512, FILE_SIZE, PG, &e), -1);
	/* Past the file, by one page; wrapping offset; wrapping address. */
	assert_int_equal(uffd_ranges_add(&t, 0x100000, 16 * PG, 49 * PG, FILE_SIZE, PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0x100000, 2 * PG, UINT64_MAX - PG + 1, FILE_SIZE,
					 PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, UINT64_MAX - PG + 1, 2 * PG, 0, FILE_SIZE, PG, &e),
			 -1);
	/* Overlapping the first at either end. */
	assert_int_equal(uffd_ranges_add(&t, 0x10000 - PG, 2 * PG, 0, FILE_SIZE, PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0x10000 + 15 * PG, PG, 0, FILE_SIZE, PG, &e), -1);
	assert_int_equal(t.nr, 1);
	/* Ending exactly at the file's end, right after the first. */
	assert_int_equal(uffd_ranges_add(&t, 0x10000 + 16 * PG, 48 * PG, 16 * PG, FILE_SIZE,
					 PG, &e), 0);
	assert_int_equal(t.nr, 2);
}

static void test_full_table(void **state)
{
	struct uffd_ranges t = { 0 };
	struct azerr e;
	(void)state;

	for (unsigned i = 0; i < UFFD_PAGER_MAX_RANGES; i++)
		assert_int_equal(uffd_ranges_add(&t, 0x100000 + i * PG, PG, i * PG, FILE_SIZE,
						 PG, &e), 0);
	assert_int_equal(uffd_ranges_add(&t, 0x900000, PG, 0, FILE_SIZE, PG, &e), -1);
	assert_true(uffd_ranges_remove(&t, 0x100000 + 3 * PG));
	assert_false(uffd_ranges_remove(&t, 0x100000 + 3 * PG));
	assert_int_equal(uffd_ranges_add(&t, 0x900000, PG, 0, FILE_SIZE, PG, &e), 0);
}

static void test_find(void **state)
{
	struct uffd_ranges t = { 0 };
	struct azerr e;
	uint64_t at = 0, off = 0;
	(void)state;

	assert_int_equal(uffd_ranges_add(&t, 0x10000, 4 * PG, 8 * PG, FILE_SIZE, PG, &e), 0);
	assert_int_equal(uffd_ranges_add(&t, 0x40000, 2 * PG, 0, FILE_SIZE, PG, &e), 0);
	/* An address inside a page: that page, at its offset. */
	assert_true(uffd_ranges_find(&t, 0x10000 + 2 * PG + 123, &at, &off));
	assert_int_equal(at, 0x10000 + 2 * PG);
	assert_int_equal(off, 10 * PG);
	assert_true(uffd_ranges_find(&t, 0x40000 + 2 * PG - 1, &at, &off));
	assert_int_equal(at, 0x40000 + PG);
	assert_int_equal(off, PG);
	/* Just outside each, and after removal. */
	assert_false(uffd_ranges_find(&t, 0x10000 - 1, &at, &off));
	assert_false(uffd_ranges_find(&t, 0x10000 + 4 * PG, &at, &off));
	assert_false(uffd_ranges_find(&t, 0x40000 + 2 * PG, &at, &off));
	assert_true(uffd_ranges_remove(&t, 0x40000));
	assert_false(uffd_ranges_find(&t, 0x40000, &at, &off));
}

/* A mapping of 2 MiB pages (guest RAM on hugetlbfs) beside one of normal
 * pages: each fault found at the start of its own range's page. */
static void test_page_sizes(void **state)
{
	struct uffd_ranges t = { 0 };
	struct azerr e;
	uint64_t at = 0, off = 0, huge = 2 << 20;
	(void)state;

	/* Not a power of two, or larger than the largest page: refused. */
	assert_int_equal(uffd_ranges_add(&t, 0, huge, 0, 64 * huge, 3 * PG, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0, 2 * huge, 0, 64 * huge, 2 * huge, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, 0, huge, 0, 64 * huge, 0, &e), -1);
	/* Aligned to 4 KiB but not to 2 MiB: refused for huge pages. */
	assert_int_equal(uffd_ranges_add(&t, huge + PG, huge, 0, 64 * huge, huge, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, huge, huge + PG, 0, 64 * huge, huge, &e), -1);
	assert_int_equal(uffd_ranges_add(&t, huge, huge, PG, 64 * huge, huge, &e), -1);
	assert_int_equal(t.nr, 0);
	assert_int_equal(uffd_ranges_add(&t, 4 * huge, 4 * huge, 8 * huge, 64 * huge, huge, &e), 0);
	assert_int_equal(uffd_ranges_add(&t, 0x10000, 4 * PG, 0, 64 * huge, PG, &e), 0);
	const struct uffd_range *r = uffd_ranges_find(&t, 5 * huge + 3 * PG + 7, &at, &off);
	assert_non_null(r);
	assert_true(r->page == huge);
	assert_true(at == 5 * huge && off == 9 * huge);
	r = uffd_ranges_find(&t, 0x10000 + 3 * PG + 7, &at, &off);
	assert_non_null(r);
	assert_true(r->page == PG);
	assert_true(at == 0x10000 + 3 * PG && off == 3 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_checks),
		cmocka_unit_test(test_page_sizes),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
