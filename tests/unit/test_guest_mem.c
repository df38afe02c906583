/* Guest RAM layout around the PCI hole, and range checks on translation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "arch/x86/layout.h"
#include "base/guest_mem.h"

static void test_small_guest_one_region(void **state)
{
	struct guest_mem m;
	(void)state;

	guest_mem_layout(&m, 64ULL << 20, GPA_PCI_HOLE, GPA_4G);
	assert_int_equal(m.nr_regions, 1);
	assert_int_equal(m.regions[0].gpa, 0);
	assert_true(m.regions[0].size == 64ULL << 20);
	assert_true(guest_mem_low_end(&m) == 64ULL << 20);
}

static void test_large_guest_splits_at_hole(void **state)
{
	struct guest_mem m;
	(void)state;

	guest_mem_layout(&m, 3584ULL << 20, GPA_PCI_HOLE, GPA_4G);
	assert_int_equal(m.nr_regions, 2);
	assert_true(m.regions[0].size == GPA_PCI_HOLE);
	assert_true(m.regions[1].gpa == GPA_4G);
	assert_true(m.regions[1].size == (3584ULL << 20) - GPA_PCI_HOLE);
	assert_true(m.regions[1].fd_offset == GPA_PCI_HOLE);
	assert_true(guest_mem_low_end(&m) == GPA_PCI_HOLE);

	guest_mem_layout(&m, GPA_PCI_HOLE, GPA_PCI_HOLE, GPA_4G);
	assert_int_equal(m.nr_regions, 1);
}

static void test_ptr_bounds(void **state)
{
	struct guest_mem m;
	(void)state;

	/* Fake host mappings: only the arithmetic is under test. */
	guest_mem_layout(&m, GPA_PCI_HOLE + 0x2000, GPA_PCI_HOLE, GPA_4G);
	uint8_t *low = malloc(16), *high = malloc(16);
	m.regions[0].hva = low;
	m.regions[1].hva = high;
	assert_ptr_equal(guest_mem_ptr(&m, 0, 16), low);
	assert_ptr_equal(guest_mem_ptr(&m, GPA_4G, 0x2000), high);
	assert_null(guest_mem_ptr(&m, GPA_4G, 0x2001));
	assert_null(guest_mem_ptr(&m, GPA_4G + 0x1fff, 2));
	assert_non_null(guest_mem_ptr(&m, GPA_4G + 0x1fff, 1));
	assert_null(guest_mem_ptr(&m, GPA_PCI_HOLE, 1));       /* in the hole */
	assert_null(guest_mem_ptr(&m, GPA_PCI_HOLE - 1, 2));   /* into the hole */
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 2));          /* wraps */
	assert_null(guest_mem_ptr(&m, 0, UINT64_MAX));
	free(low);
	free(high);
}

static void test_create_maps_a_memfd(void **state)
{
	struct guest_mem m;
	struct azerr e;
	(void)state;

	guest_mem_layout(&m, 8ULL << 20, GPA_PCI_HOLE, GPA_4G);
	assert_int_equal(guest_mem_create(&m, &e), 0);
	assert_true(m.fd >= 0);
	uint8_t *p = guest_mem_ptr(&m, (8ULL << 20) - 1, 1);
	assert_non_null(p);
	*p = 0x5a;
	assert_int_equal(*p, 0x5a);
	guest_mem_destroy(&m);
	assert_int_equal(m.fd, -1);
}

/* The host's free 2 MiB pages (0 where it has no such pool). */
static unsigned long free_huge_pages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	unsigned long n = 0;

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

/* On 2 MiB pages: a memfd on hugetlbfs whose pages are reserved at once
 * where the host's pool holds them, and a refusal naming the pool where
 * it does not (which of the two this host gives, each is checked). */
static void test_create_on_huge_pages(void **state)
{
	struct guest_mem m;
	struct azerr e;
	struct stat st;
	(void)state;

	/* Not a whole number of them: refused before anything is made. */
	guest_mem_layout(&m, 3ULL << 20, GPA_PCI_HOLE, GPA_4G);
	m.huge = true;
	assert_int_equal(guest_mem_create(&m, &e), -1);
	assert_string_equal(e.msg, "guest RAM of 3145728 bytes on 2 MiB pages: not a "
			    "multiple of 2 MiB");
	assert_int_equal(m.fd, -1);

	guest_mem_layout(&m, 4ULL << 20, GPA_PCI_HOLE, GPA_4G);
	assert_true(guest_mem_page_size(&m) == 4096);
	m.huge = true;
	assert_true(guest_mem_page_size(&m) == 2ULL << 20);
	if (free_huge_pages() < 2) {
		assert_int_equal(guest_mem_create(&m, &e), -1);
		if (!strstr(e.msg, "cannot reserve 2 huge pages of 2 MiB for guest RAM") ||
		    !strstr(e.msg, "pool"))
			fail_msg("the refusal does not name the pool: %s", e.msg);
		assert_int_equal(m.fd, -1);
		return;
	}
	assert_int_equal(guest_mem_create(&m, &e), 0);
	assert_int_equal(fstat(m.fd, &st), 0);
	assert_true(st.st_blksize == 2 << 20);   /* hugetlbfs says its page size */
	uint8_t *p = guest_mem_ptr(&m, (4ULL << 20) - 1, 1);
	*p = 0xa5;
	assert_int_equal(*p, 0xa5);
	guest_mem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_guest_one_region),
		cmocka_unit_test(test_large_guest_splits_at_hole),
		cmocka_unit_test(test_ptr_bounds),
		cmocka_unit_test(test_create_maps_a_memfd),
		cmocka_unit_test(test_create_on_huge_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
