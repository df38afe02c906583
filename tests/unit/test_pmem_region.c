/* The pmem devices' memory: where the regions go and how a file is
 * mapped there (vmm/pmem_region.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/pmem_region.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
/* A guest physical address space of 46 bits (64 TiB), as with most hosts. */
#define SPACE (1ULL << 46)

static void test_base(void **state)
{
	(void)state;
	/* At or above 4 GiB and RAM's end, on a 1 GiB boundary. */
	assert_int_equal(pmem_regions_base(128 * MIB), 4 * GIB);
	assert_int_equal(pmem_regions_base(4 * GIB), 4 * GIB);
	assert_int_equal(pmem_regions_base(4 * GIB + 1), 5 * GIB);
	assert_int_equal(pmem_regions_base(9 * GIB + 512 * MIB), 10 * GIB);
}

static char dir[] = "/tmp/azote-pmem-test.XXXXXX";

static const char *make_file(const char *name, size_t len, char fill)
{
	static char path[128];
	char *buf = malloc(len + 1);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0 && buf);
	memset(buf, fill, len);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	return path;
}

static void test_map(void **state)
{
	struct pmem_region r, r2;
	struct azerr e;
	uint64_t next = 4 * GIB + 4096;
	const char *path = make_file("a.img", 3 * MIB + 1, 'a');
	char byte;
	int fd;
	(void)state;

	assert_int_equal(pmem_region_map(&r, path, false, &next, SPACE, &e), 0);
	/* 2 MiB aligned, the file's length rounded up to 2 MiB. */
	assert_int_equal(r.gpa, 4 * GIB + 2 * MIB);
	assert_int_equal(r.size, 4 * MIB);
	assert_int_equal(r.file_len, 3 * MIB + 1);
	assert_int_equal(next, 4 * GIB + 6 * MIB);
	/* The file's bytes, then zeroes to the region's end (no SIGBUS past
	 * the file). */
	assert_int_equal(r.hva[0], 'a');
	assert_int_equal(r.hva[3 * MIB], 'a');
	assert_int_equal(r.hva[3 * MIB + 1], 0);
	assert_int_equal(r.hva[4 * MIB - 1], 0);
	/* Writes reach the file, shared; those past its end do not grow it. */
	r.hva[5] = 'Z';
	r.hva[4 * MIB - 1] = 'T';
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, &byte, 1, 5), 1);
	assert_int_equal(byte, 'Z');
	assert_int_equal(lseek(fd, 0, SEEK_END), 3 * MIB + 1);
	close(fd);
	/* The next region follows, also read-only. */
	path = make_file("b.img", 2 * MIB, 'b');
	assert_int_equal(pmem_region_map(&r2, path, true, &next, SPACE, &e), 0);
	assert_int_equal(r2.gpa, 4 * GIB + 6 * MIB);
	assert_int_equal(r2.size, 2 * MIB);
	assert_true(r2.read_only);
	assert_int_equal(r2.hva[2 * MIB - 1], 'b');
	pmem_region_unmap(&r2);
	assert_null(r2.hva);
	pmem_region_unmap(&r);
	pmem_region_unmap(&r);  /* twice is harmless */
}

static void test_refusals(void **state)
{
	struct pmem_region r;
	struct azerr e;
	uint64_t next = 4 * GIB;
	const char *path;
	char want[160];
	(void)state;

	assert_int_equal(pmem_region_map(&r, "/nonexistent/p.img", false, &next, SPACE, &e), -1);
	assert_string_equal(e.msg, "pmem /nonexistent/p.img: cannot open it for writing: No "
			    "such file or directory");
	assert_int_equal(pmem_region_map(&r, dir, true, &next, SPACE, &e), -1);
	snprintf(want, sizeof(want), "pmem %s: not a regular file", dir);
	assert_string_equal(e.msg, want);
	path = make_file("empty.img", 0, 0);
	assert_int_equal(pmem_region_map(&r, path, false, &next, SPACE, &e), -1);
	snprintf(want, sizeof(want), "pmem %s: an empty file", path);
	assert_string_equal(e.msg, want);
	/* A FIFO (read-only: its open would wait for a writer) is refused
	 * at once. */
	snprintf(want, sizeof(want), "%s/fifo", dir);
	assert_int_equal(mkfifo(want, 0600), 0);
	assert_int_equal(pmem_region_map(&r, want, true, &next, SPACE, &e), -1);
	assert_non_null(strstr(e.msg, "/fifo: not a regular file"));
	/* A region that would end past the guest's physical address space:
	 * 2 MiB from 4 GiB with only 4 GiB + 1 MiB addressable. */
	path = make_file("big.img", 2 * MIB, 'g');
	assert_int_equal(pmem_region_map(&r, path, false, &next, 4 * GIB + MIB, &e), -1);
	snprintf(want, sizeof(want), "pmem %s: its 2 MiB region would end at 0x100200000, "
		 "past the guest physical address space's end at 0x100100000", path);
	assert_string_equal(e.msg, want);
	/* Nothing placed: the next region still starts where it did. */
	assert_int_equal(next, 4 * GIB);
	assert_null(r.hva);
	/* Ending exactly there is fine. */
	assert_int_equal(pmem_region_map(&r, path, false, &next, 4 * GIB + 2 * MIB, &e), 0);
	assert_int_equal(next, 4 * GIB + 2 * MIB);
	pmem_region_unmap(&r);
	if (geteuid()) {
		path = make_file("ro.img", 4096, 'r');
		assert_int_equal(chmod(path, 0444), 0);
		assert_int_equal(pmem_region_map(&r, path, false, &next, SPACE, &e), -1);
		assert_non_null(strstr(e.msg, "cannot open it for writing: Permission denied"));
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
