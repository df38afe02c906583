/* vmm/snapshot_mem: guest RAM written to a file and read back into a new
 * memfd, regions in memfd order; a file of the wrong size is refused with
 * both sizes. A diff's file: only the changed pages, holes elsewhere, or
 * merged onto an existing memory file of the RAM's size. A Full snapshot's
 * file: sparse where the memfd is, its holes taken from the file a lazy
 * load came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/snapshot_mem.h"

/* A booted VM's RAM: a hole of the memfd holds zeroes. */
static const struct mem_holes zero_holes = { .file_fd = -1 };

static void make_ram(struct guest_mem *m)
{
	struct azerr e;

	/* 3 MiB around a hole from 2 MiB to 4 MiB: two regions. */
	guest_mem_layout(m, 3 << 20, 2 << 20, 4 << 20);
	assert_int_equal(guest_mem_create(m, &e), 0);
	assert_int_equal(m->nr_regions, 2);
}

/* The eager load as vmm/lazy_mem.c makes it: the file checked and opened,
 * read whole, closed. */
static int load(struct guest_mem *m, const char *path, struct azerr *e)
{
	int fd = snapshot_mem_open(m, path, e);

	if (fd < 0)
		return -1;
	int ret = snapshot_mem_read(m, fd, path, e);
	close(fd);
	return ret;
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
	assert_int_equal(snapshot_mem_save(&a, &zero_holes, NULL, path, &e), 0);
	make_ram(&b);
	assert_int_equal(load(&b, path, &e), 0);
	assert_memory_equal(a.regions[0].hva, b.regions[0].hva, a.regions[0].size);
	assert_memory_equal(a.regions[1].hva, b.regions[1].hva, a.regions[1].size);
	assert_int_equal(*(uint64_t *)guest_mem_ptr(&b, (4 << 20) + 4096, 8),
			 ((4 << 20) + 4096) ^ 0x5a5a);
	guest_mem_destroy(&b);

	/* The same file into a guest of another size. */
	guest_mem_layout(&b, 4 << 20, 8 << 20, 8 << 20);
	assert_int_equal(guest_mem_create(&b, &e), 0);
	assert_int_equal(load(&b, path, &e), -1);
	assert_non_null(strstr(e.msg, "is 3145728 bytes, the snapshot's guest has 4194304 bytes"));
	guest_mem_destroy(&b);
	unlink(path);
	assert_int_equal(load(&a, path, &e), -1);
	assert_non_null(strstr(e.msg, "No such file or directory"));
	assert_int_equal(snapshot_mem_save(&a, &zero_holes, NULL, "/nonexistent-dir/mem", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent-dir/mem: No such file or directory"));
	guest_mem_destroy(&a);
}

#define PG DIRTY_LOG_PAGE

/* Every page of m gets a pattern of its own (gpa and seed). */
static void fill(struct guest_mem *m, uint64_t seed)
{
	for (int i = 0; i < m->nr_regions; i++)
		for (uint64_t off = 0; off < m->regions[i].size; off += PG)
			*(uint64_t *)(m->regions[i].hva + off) = (m->regions[i].gpa + off) ^ seed;
}

static char *temp_path(char *buf)
{
	strcpy(buf, "/tmp/test_snapshot_mem.XXXXXX");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
	unlink(buf);
	return buf;
}

/* The data segments of path, as SEEK_DATA and SEEK_HOLE find them (what
 * azote-rebase-snap copies), into segs[][2]; returns their number. */
static int data_segments(const char *path, off_t segs[][2], int max)
{
	int fd = open(path, O_RDONLY), n = 0;
	off_t at = 0;

	assert_true(fd >= 0);
	while (n < max) {
		off_t d = lseek(fd, at, SEEK_DATA);
		if (d < 0)
			break;
		off_t h = lseek(fd, d, SEEK_HOLE);
		assert_true(h > d);
		segs[n][0] = d, segs[n][1] = h;
		n++;
		at = h;
	}
	close(fd);
	return n;
}

/* The 3 MiB guest above: pages 5 and 6 of region 0 and page 10 of region
 * 1 (gpa 4 MiB + 40 KiB) changed. Written alone, in a file of the whole
 * RAM's size; every other page a hole. */
static void test_diff_sparse(void **st)
{
	(void)st;
	struct guest_mem a, b;
	struct dirty_log l;
	struct azerr e = { "" };
	char path[64];
	uint64_t pages = 0;
	struct stat sb;
	off_t segs[8][2];

	make_ram(&a);
	fill(&a, 0x77);
	assert_int_equal(dirty_log_create(&l, &a, false, &e), 0);
	l.bits[0] |= 3ull << 5;                       /* pages 5, 6 */
	l.bits[(1024 + 10) / 64] |= 1ull << ((1024 + 10) % 64);
	temp_path(path);
	assert_int_equal(snapshot_mem_save_diff(&a, &l, NULL, path, &pages, &e), 0);
	assert_int_equal(pages, 3);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 3 << 20);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Three pages of data: a few blocks, not 3 MiB. */
	assert_true((uint64_t)sb.st_blocks * 512 <= 8 * PG);
	assert_int_equal(data_segments(path, segs, 8), 2);
	assert_int_equal(segs[0][0], 5 * PG), assert_int_equal(segs[0][1], 7 * PG);
	/* Region 1 is at memfd offset 2 MiB. */
	assert_int_equal(segs[1][0], (2 << 20) + 10 * PG);
	assert_int_equal(segs[1][1], (2 << 20) + 11 * PG);

	/* Read back: the changed pages are the guest's, the rest zero. */
	make_ram(&b);
	assert_int_equal(load(&b, path, &e), 0);
	assert_memory_equal(b.regions[0].hva + 5 * PG, a.regions[0].hva + 5 * PG, 2 * PG);
	assert_memory_equal(b.regions[1].hva + 10 * PG, a.regions[1].hva + 10 * PG, PG);
	assert_int_equal(*(uint64_t *)(b.regions[0].hva + 4 * PG), 0);
	assert_int_equal(*(uint64_t *)(b.regions[1].hva + 11 * PG), 0);
	guest_mem_destroy(&b);

	/* Nothing changed: a file of holes only. */
	unlink(path);
	dirty_log_clear(&l);
	assert_int_equal(snapshot_mem_save_diff(&a, &l, NULL, path, &pages, &e), 0);
	assert_int_equal(pages, 0);
	assert_int_equal(data_segments(path, segs, 8), 0);
	unlink(path);

	/* A failed write leaves no file, and the record as it was. */
	l.all = true;
	assert_int_equal(snapshot_mem_save_diff(&a, &l, NULL, "/nonexistent-dir/mem", &pages, &e),
			 -1);
	assert_non_null(strstr(e.msg, "/nonexistent-dir/mem: No such file or directory"));
	assert_true(l.all);
	dirty_log_destroy(&l);
	guest_mem_destroy(&a);
}

/* Firecracker's merge: a Diff onto the base's own memory file (an existing
 * regular file of the RAM's size) writes the pages into it, in place; any
 * other existing file is replaced by a new sparse one. */
static void test_diff_onto_base(void **st)
{
	(void)st;
	struct guest_mem a, b;
	struct dirty_log l;
	struct azerr e = { "" };
	char path[64];
	uint64_t pages;
	struct stat before, after;

	make_ram(&a);
	fill(&a, 1);
	temp_path(path);
	assert_int_equal(snapshot_mem_save(&a, &zero_holes, NULL, path, &e), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(dirty_log_create(&l, &a, false, &e), 0);
	*(uint64_t *)a.regions[0].hva = 0xabcdef;
	*(uint64_t *)(a.regions[1].hva + a.regions[1].size - PG) = 0x123456;
	l.bits[0] |= 1;
	l.bits[(1024 + 255) / 64] |= 1ull << ((1024 + 255) % 64);
	assert_int_equal(snapshot_mem_save_diff(&a, &l, NULL, path, &pages, &e), 0);
	assert_int_equal(pages, 2);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	make_ram(&b);
	assert_int_equal(load(&b, path, &e), 0);
	assert_memory_equal(a.regions[0].hva, b.regions[0].hva, a.regions[0].size);
	assert_memory_equal(a.regions[1].hva, b.regions[1].hva, a.regions[1].size);
	guest_mem_destroy(&b);

	/* Another size: not a base of this guest, replaced whole. */
	assert_int_equal(truncate(path, 4096), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(snapshot_mem_save_diff(&a, &l, NULL, path, &pages, &e), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	assert_int_equal(after.st_size, 3 << 20);
	unlink(path);

	/* A directory there: refused, naming it. */
	assert_int_equal(snapshot_mem_save_diff(&a, &l, NULL, "/tmp", &pages, &e), -1);
	assert_non_null(strstr(e.msg, "cannot write /tmp: Is a directory"));
	dirty_log_destroy(&l);
	guest_mem_destroy(&a);
}

/* Bytes of a file actually stored (its blocks), for sparseness. */
static uint64_t stored(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* The file at path, loaded into a new RAM, holds want's bytes. */
static void assert_loads_as(const char *path, const struct guest_mem *want)
{
	struct guest_mem b;
	struct azerr e = { "" };

	make_ram(&b);
	assert_int_equal(load(&b, path, &e), 0);
	for (int i = 0; i < b.nr_regions; i++)
		assert_memory_equal(want->regions[i].hva, b.regions[i].hva, b.regions[i].size);
	guest_mem_destroy(&b);
}

/* Three pages written, two of them a run across the regions' boundary in
 * the memfd (the last of region 0, the first of region 1): the file holds
 * them and holes elsewhere, reads back equal, and writing it allocated
 * none of the RAM's untouched pages. */
static void test_full_sparse(void **st)
{
	(void)st;
	struct guest_mem a;
	struct azerr e = { "" };
	char path[64];

	make_ram(&a);
	*(uint64_t *)(a.regions[0].hva + a.regions[0].size - PG) = 0x1111;
	*(uint64_t *)a.regions[1].hva = 0x2222;
	*(uint64_t *)(a.regions[1].hva + 100 * PG) = 0x3333;
	temp_path(path);
	assert_int_equal(snapshot_mem_save(&a, &zero_holes, NULL, path, &e), 0);
	assert_int_equal(stored(a.fd), 3 * PG);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(stored(fd) <= 16 * PG);
	assert_int_equal(lseek(fd, 0, SEEK_END), 3 << 20);
	assert_int_equal(lseek(fd, 0, SEEK_DATA), (2 << 20) - PG);
	close(fd);
	assert_loads_as(path, &a);
	guest_mem_destroy(&a);
	unlink(path);
}

/* A VM loaded lazily from an origin file, two of its pages loaded (one of
 * them changed since): the new file has the RAM's pages where it has
 * them, the origin's elsewhere, and a hole for the origin's page of
 * zeroes. Holes read through the mapping instead (an external handler's
 * load) are the mapping's bytes. */
static void test_full_from_lazy_origin(void **st)
{
	(void)st;
	struct guest_mem origin, a;
	struct azerr e = { "" };
	char opath[64], path[64];

	make_ram(&origin);
	fill(&origin, 7);
	memset(origin.regions[1].hva + 10 * PG, 0, PG);
	temp_path(opath);
	assert_int_equal(snapshot_mem_save(&origin, &zero_holes, NULL, opath, &e), 0);
	make_ram(&a);
	memcpy(a.regions[0].hva, origin.regions[0].hva, PG);
	*(uint64_t *)(a.regions[1].hva + 5 * PG) = 0xfeed;
	int ofd = snapshot_mem_open(&a, opath, &e);
	assert_true(ofd >= 0);
	temp_path(path);
	assert_int_equal(snapshot_mem_save(&a, &(struct mem_holes){ .file_fd = ofd }, NULL, path,
					   &e), 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, (2 << 20) + 10 * PG, SEEK_HOLE), (2 << 20) + 10 * PG);
	close(fd);
	*(uint64_t *)(origin.regions[1].hva + 5 * PG) = 0xfeed;
	assert_loads_as(path, &origin);

	/* Through the mapping: a's holes read as its zeroes, and are now in
	 * its memfd (the handler's faults would have filled them). */
	assert_int_equal(snapshot_mem_save(&a, &(struct mem_holes){ .file_fd = -1,
							.via_mapping = true }, NULL, path, &e), 0);
	assert_int_equal(stored(a.fd), 3 << 20);
	assert_loads_as(path, &a);
	close(ofd);
	guest_mem_destroy(&a);
	guest_mem_destroy(&origin);
	unlink(opath);
	unlink(path);
}

/* A FIFO named as the memory file is refused at once: opened without
 * O_NONBLOCK it would wait for a writer (the alarm ends the test rather
 * than let it hang). A regular file's fd comes back blocking: the pagers
 * that share it expect that. */
static void test_open_fifo(void **st)
{
	(void)st;
	struct guest_mem m;
	struct azerr e = { "" };
	char dir[] = "/tmp/test_snapshot_mem.XXXXXX", path[64];
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	make_ram(&m);
	alarm(10);
	assert_int_equal(snapshot_mem_open(&m, path, &e), -1);
	alarm(0);
	assert_non_null(strstr(e.msg, "/fifo: not a regular file"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/mem", dir);
	assert_int_equal(snapshot_mem_save(&m, &zero_holes, NULL, path, &e), 0);
	fd = snapshot_mem_open(&m, path, &e);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	unlink(path);
	rmdir(dir);
	guest_mem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_full_sparse),
		cmocka_unit_test(test_full_from_lazy_origin),
		cmocka_unit_test(test_diff_sparse),
		cmocka_unit_test(test_diff_onto_base),
		cmocka_unit_test(test_open_fifo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
