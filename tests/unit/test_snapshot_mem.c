/* vmm/snapshot_mem: guest RAM written to a file and read back into a new
 * memfd, regions in memfd order; a file of the wrong size is refused with
 * both sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/snapshot_mem.h"

static void make_ram(struct guest_mem *m)
{
	struct azerr e;

	/* 3 MiB around a hole from 2 MiB to 4 MiB: two regions. */
	guest_mem_layout(m, 3 << 20, 2 << 20, 4 << 20);
	assert_int_equal(guest_mem_create(m, &e), 0);
	assert_int_equal(m->nr_regions, 2);
}

static void test_round_trip(void **st)
{
	(void)st;
	struct guest_mem a, b;
	struct azerr e = { "" };
	char path[] = "/tmp/test_snapshot_mem.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	make_ram(&a);
	for (uint64_t off = 0; off < 3 << 20; off += 4096) {
		uint64_t gpa = off < (2 << 20) ? off : off + (2 << 20);
		uint64_t *p = guest_mem_ptr(&a, gpa, 8);
		assert_non_null(p);
		*p = gpa ^ 0x5a5a;
	}
	assert_int_equal(snapshot_mem_save(&a, path, &e), 0);
	make_ram(&b);
	assert_int_equal(snapshot_mem_load(&b, path, &e), 0);
	assert_memory_equal(a.regions[0].hva, b.regions[0].hva, a.regions[0].size);
	assert_memory_equal(a.regions[1].hva, b.regions[1].hva, a.regions[1].size);
	assert_int_equal(*(uint64_t *)guest_mem_ptr(&b, (4 << 20) + 4096, 8),
			 ((4 << 20) + 4096) ^ 0x5a5a);
	guest_mem_destroy(&b);

	/* The same file into a guest of another size. */
	guest_mem_layout(&b, 4 << 20, 8 << 20, 8 << 20);
	assert_int_equal(guest_mem_create(&b, &e), 0);
	assert_int_equal(snapshot_mem_load(&b, path, &e), -1);
	assert_non_null(strstr(e.msg, "is 3145728 bytes, the snapshot's guest has 4194304 bytes"));
	guest_mem_destroy(&b);
	unlink(path);
	assert_int_equal(snapshot_mem_load(&a, path, &e), -1);
	assert_non_null(strstr(e.msg, "No such file or directory"));
	assert_int_equal(snapshot_mem_save(&a, "/nonexistent-dir/mem", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent-dir/mem: No such file or directory"));
	guest_mem_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
