/* tools/rebase_snap: Firecracker's rebase-snap command line, and a diff's
 * data segments copied onto its base at the same offsets, nothing else;
 * files it must refuse (other sizes, not regular, missing) named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tools/rebase_snap.h"

#define SIZE (1u << 20)
#define PG 4096u

static char dir[] = "/tmp/test_rebase_snap.XXXXXX";
static char base[64], diff[64];

static int setup(void **st)
{
	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(diff, sizeof(diff), "%s/diff", dir);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	unlink(base);
	unlink(diff);
	rmdir(dir);
	return 0;
}

static void write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static void test_args(void **st)
{
	(void)st;
	struct rebase_args a;
	struct azerr e;
	char *ok[] = { "x", "--base-file", "B", "--diff-file=D" };
	char *help[] = { "x", "--base-file", "B", "--help" };
	char *version[] = { "x", "--version" };
	struct { int argc; char *argv[6]; const char *msg; } bad[] = {
		{ 1, { "x" }, "missing --base-file" },
		{ 3, { "x", "--base-file", "B" }, "missing --diff-file" },
		{ 2, { "x", "--base-file" }, "--base-file needs a value" },
		{ 5, { "x", "--base-file", "B", "--base-file", "C" }, "--base-file given twice" },
		{ 3, { "x", "--diff-file=", "--base-file" }, "--diff-file: empty path" },
		{ 3, { "x", "--memory-path", "M" }, "unknown argument `--memory-path`" },
		{ 2, { "x", "--base-filex=B" }, "unknown argument `--base-filex=B`" },
	};

	assert_int_equal(rebase_snap_args(4, ok, &a, &e), 0);
	assert_int_equal(a.action, REBASE_RUN);
	assert_string_equal(a.base, "B");
	assert_string_equal(a.diff, "D");
	assert_int_equal(rebase_snap_args(4, help, &a, &e), 0);
	assert_int_equal(a.action, REBASE_HELP);
	assert_int_equal(rebase_snap_args(2, version, &a, &e), 0);
	assert_int_equal(a.action, REBASE_VERSION);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = 0;
		assert_int_equal(rebase_snap_args(bad[i].argc, bad[i].argv, &a, &e), -1);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, bad[i].msg);
	}
}

/* A base of one byte value, a diff with data at its first page, two
 * pages in the middle and its last page (holes elsewhere): the base gets
 * exactly those. */
static void test_merge(void **st)
{
	(void)st;
	uint8_t *want = malloc(SIZE), *got = malloc(SIZE);
	struct azerr e = { "" };
	uint64_t bytes;

	assert_non_null(want);
	assert_non_null(got);
	memset(want, 0xbb, SIZE);
	write_file(base, want, SIZE);
	int fd = open(diff, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	const struct { uint32_t off, len; uint8_t v; } segs[] = {
		{ 0, PG, 0x11 }, { 100 * PG, 2 * PG, 0x00 }, { SIZE - PG, PG, 0x33 },
	};
	for (size_t i = 0; i < 3; i++) {
		memset(want + segs[i].off, segs[i].v, segs[i].len);
		/* Zeros written are data too (a page the guest zeroed). */
		assert_int_equal(pwrite(fd, want + segs[i].off, segs[i].len, segs[i].off),
				 (ssize_t)segs[i].len);
	}
	close(fd);
	assert_int_equal(rebase_snap(base, diff, &bytes, &e), 0);
	assert_int_equal(bytes, 4 * PG);
	fd = open(base, O_RDONLY);
	assert_int_equal(read(fd, got, SIZE), SIZE);
	close(fd);
	assert_memory_equal(got, want, SIZE);

	/* A diff of holes only changes nothing. */
	fd = open(diff, O_WRONLY | O_TRUNC);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	close(fd);
	assert_int_equal(rebase_snap(base, diff, &bytes, &e), 0);
	assert_int_equal(bytes, 0);
	fd = open(base, O_RDONLY);
	assert_int_equal(read(fd, got, SIZE), SIZE);
	close(fd);
	assert_memory_equal(got, want, SIZE);
	free(want);
	free(got);
}

static void test_refused(void **st)
{
	(void)st;
	struct azerr e = { "" };
	uint64_t bytes;
	char page[PG] = { 1 };

	write_file(base, page, PG);
	write_file(diff, page, PG / 2);
	assert_int_equal(rebase_snap(base, diff, &bytes, &e), -1);
	assert_non_null(strstr(e.msg, "is 2048 bytes, base file"));
	assert_non_null(strstr(e.msg, "is 4096 bytes"));
	assert_int_equal(rebase_snap(base, dir, &bytes, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(rebase_snap(dir, diff, &bytes, &e), -1);
	assert_non_null(strstr(e.msg, "base file"));
	assert_int_equal(rebase_snap(base, "/nonexistent/diff", &bytes, &e), -1);
	assert_non_null(strstr(e.msg, "diff file /nonexistent/diff: No such file or directory"));
	assert_int_equal(rebase_snap("/nonexistent/base", diff, &bytes, &e), -1);
	assert_non_null(strstr(e.msg, "base file /nonexistent/base: No such file or directory"));
}

/* The base becomes the diff snapshot's memory, so it takes the diff's
 * snapshot ID (common/mem_file_id.h), which the diff's state file records:
 * with the base's own left, the diff's state file would be refused with
 * it and the base's taken. A diff without one leaves the base none. */
static void test_snapshot_id(void **st)
{
	(void)st;
	static char zero[SIZE];
	const char *name = "user.azote.snapshot-id";
	uint64_t bytes;
	char got[16];
	struct azerr e;

	write_file(base, zero, SIZE);
	write_file(diff, zero, SIZE);
	if (setxattr(base, name, "base-id-56789abc", 16, 0) < 0 && errno == ENOTSUP)
		skip();
	assert_int_equal(setxattr(diff, name, "diff-id-56789abc", 16, 0), 0);
	assert_int_equal(rebase_snap(base, diff, &bytes, &e), 0);
	assert_int_equal(getxattr(base, name, got, sizeof(got)), 16);
	assert_memory_equal(got, "diff-id-56789abc", 16);
	assert_int_equal(removexattr(diff, name), 0);
	assert_int_equal(rebase_snap(base, diff, &bytes, &e), 0);
	assert_int_equal(getxattr(base, name, got, sizeof(got)), -1);
	assert_int_equal(errno, ENODATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_snapshot_id),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
