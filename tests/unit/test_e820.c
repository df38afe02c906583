/* The e820 map for the guest sizes that matter: small, exactly the low
 * region, and split around the PCI hole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"

static int build(uint64_t ram, struct e820_entry *map, size_t max,
		 struct azerr *e)
{
	struct guest_mem m;

	e820_ram_layout(&m, ram);
	return e820_build(&m, map, max, e);
}

static void expect(const struct e820_entry *ent, uint64_t addr, uint64_t size,
		   uint32_t type)
{
	assert_int_equal(ent->addr, addr);
	assert_int_equal(ent->size, size);
	assert_int_equal(ent->type, type);
}

static void test_small_guest(void **state)
{
	struct e820_entry map[E820_MAX_BUILT];
	struct azerr e;
	(void)state;

	assert_int_equal(build(128ULL << 20, map, E820_MAX_BUILT, &e), 3);
	expect(&map[0], 0, 0x9fc00, E820_TYPE_RAM);
	expect(&map[1], 0x9fc00, 0x100000 - 0x9fc00, E820_TYPE_RESERVED);
	expect(&map[2], 0x100000, (128ULL << 20) - 0x100000, E820_TYPE_RAM);
	/* The MP tables and the EBDA lie in the reserved entry. */
	assert_true(GPA_MP_CONFIG >= map[1].addr && GPA_EBDA < map[1].addr + map[1].size);
}

static void test_hole(void **state)
{
	struct e820_entry map[E820_MAX_BUILT];
	struct azerr e;
	(void)state;

	/* Exactly 3 GiB: all below the hole. */
	assert_int_equal(build(3ULL << 30, map, E820_MAX_BUILT, &e), 3);
	expect(&map[2], 0x100000, (3ULL << 30) - 0x100000, E820_TYPE_RAM);
	/* 4 GiB: 3 below, 1 from 4 GiB, nothing in the hole. */
	assert_int_equal(build(4ULL << 30, map, E820_MAX_BUILT, &e), 4);
	expect(&map[2], 0x100000, 0xc0000000ULL - 0x100000, E820_TYPE_RAM);
	expect(&map[3], 1ULL << 32, 1ULL << 30, E820_TYPE_RAM);
	for (int i = 0; i < 4; i++)
		assert_false(map[i].addr < 0x100000000ULL &&
			     map[i].addr + map[i].size > 0xc0000000ULL);
}

static void test_sorted_and_disjoint(void **state)
{
	static const uint64_t sizes[] = { 2ULL << 20, 64ULL << 20, 3ULL << 30,
					  (3ULL << 30) + 4096, 9ULL << 30 };
	(void)state;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct e820_entry map[E820_MAX_BUILT];
		struct azerr e;
		uint64_t ram = 0;
		int n = build(sizes[s], map, E820_MAX_BUILT, &e);
		assert_true(n >= 2);
		for (int i = 0; i < n; i++) {
			if (i > 0)
				assert_true(map[i].addr >= map[i - 1].addr + map[i - 1].size);
			if (map[i].type == E820_TYPE_RAM)
				ram += map[i].size;
		}
		/* All RAM is reported, minus the reserved firmware area. */
		assert_int_equal(ram, sizes[s] - (0x100000 - 0x9fc00));
	}
}

static void test_errors(void **state)
{
	struct e820_entry map[E820_MAX_BUILT];
	struct azerr e;
	(void)state;

	assert_int_equal(build(512 << 10, map, E820_MAX_BUILT, &e), -1);
	assert_non_null(strstr(e.msg, "512 KiB"));
	assert_int_equal(build(4ULL << 30, map, 3, &e), -1);
	assert_non_null(strstr(e.msg, "more than 3 entries"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_guest),
		cmocka_unit_test(test_hole),
		cmocka_unit_test(test_sorted_and_disjoint),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
