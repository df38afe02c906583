/* vmm/snapshot_file: the state file round-trips, and every way a file can
 * be wrong (short, foreign, another version, damaged, inconsistent, for
 * another machine or CPU) is refused with a message saying which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "arch/x86/e820.h"
#include "vmm/snapshot_file.h"

struct fixture {
	struct snapshot_header h;
	struct state_set s;
	struct guest_mem layout;
	unsigned char *buf;
	size_t len;
	char dir[64];
};

static int setup(void **st)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct azerr e;
	uint64_t regs[18] = { 0x1234, [17] = 0xfeed };
	static const char json[] = "{\"machine-config\":{}}";

	e820_ram_layout(&f->layout, 4ULL << 30);   /* two regions around the hole */
	snapshot_header_init(&f->h, 2, &f->layout);
	state_set_init(&f->s);
	assert_int_equal(state_put(&f->s, STATE_MACHINE, 0, json, sizeof(json) - 1, &e), 0);
	assert_int_equal(state_put(&f->s, STATE_VCPU_REGS, 0, regs, sizeof(regs), &e), 0);
	assert_int_equal(state_put(&f->s, STATE_VCPU_REGS, 1, regs, sizeof(regs), &e), 0);
	assert_int_equal(state_put(&f->s, STATE_UART, 0, "", 0, &e), 0);
	assert_int_equal(snapshot_encode(&f->h, &f->s, &f->buf, &f->len, &e), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_snapshot_file.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *f = *st;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	state_set_free(&f->s);
	free(f->buf);
	free(f);
	return 0;
}

/* The checksum over everything before the trailer, recomputed after a
 * test changed a byte on purpose (to reach the checks behind it). */
static void reseal(unsigned char *buf, size_t len)
{
	uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), buf, (uInt)(len - 4));

	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (unsigned char)(crc >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int decode(struct fixture *f, const unsigned char *buf, size_t len, struct azerr *e)
{
	struct snapshot_header h;
	struct state_set s;
	int ret = snapshot_decode(buf, len, "snap", &h, &s, e);

	assert_int_equal(s.n == 0, ret != 0);  /* nothing is left on failure */
	state_set_free(&s);
	(void)f;
	return ret;
}

static void test_round_trip(void **st)
{
	struct fixture *f = *st;
	struct snapshot_header h;
	struct state_set s;
	struct azerr e = { "" };
	char path[128];

	snprintf(path, sizeof(path), "%s/vm.snap", f->dir);
	assert_int_equal(snapshot_file_write(path, &f->h, &f->s, &e), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, f->len);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(snapshot_file_read(path, &h, &s, &e), 0);
	assert_int_equal(h.version, SNAPSHOT_FORMAT_VERSION);
	assert_string_equal(h.azote_version, AZOTE_VERSION);
	assert_string_equal(h.host.vendor, f->h.host.vendor);
	assert_int_equal(h.host.xsave_features, f->h.host.xsave_features);
	assert_int_equal(h.nr_vcpus, 2);
	assert_int_equal(h.mem_bytes, 4ULL << 30);
	assert_int_equal(h.nr_regions, 2);
	assert_memory_equal(h.regions, f->h.regions, sizeof(h.regions));
	assert_int_equal(h.nr_sections, 4);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < s.n; i++) {
		const struct state_section *a = &f->s.v[i], *b = state_find(&s, a->tag, a->index);
		assert_non_null(b);
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->data, b->data, a->len);
	}
	assert_int_equal(snapshot_check_host(&h, &f->h.host, path, &e), 0);
	assert_int_equal(snapshot_check_machine(&h, 2, &f->layout, path, &e), 0);
	state_set_free(&s);
	/* Written again over the old file: replaced whole, no temporary left. */
	assert_int_equal(snapshot_file_write(path, &f->h, &f->s, &e), 0);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", f->dir);
	assert_int_equal(system(cmd), 0);
}

static void test_truncated(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };

	for (size_t len = 0; len < f->len; len += len < 300 ? 1 : 97) {
		assert_int_equal(decode(f, f->buf, len, &e), -1);
		if (len >= 12)
			assert_true(strstr(e.msg, "truncated") || strstr(e.msg, "checksum"));
	}
	assert_int_equal(decode(f, f->buf, f->len - 1, &e), -1);
	assert_non_null(strstr(e.msg, "its header says"));
}

static void test_wrong_magic(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };

	f->buf[0] ^= 1;
	assert_int_equal(decode(f, f->buf, f->len, &e), -1);
	assert_string_equal(e.msg, "snap: not an azote snapshot (no \"AZOTESNP\" magic at the start)");
	/* A disk image, a config file: named as not a snapshot, not as damaged. */
	assert_int_equal(decode(f, (const unsigned char *)"{}", 2, &e), -1);
	assert_non_null(strstr(e.msg, "not an azote snapshot"));
}

static void test_wrong_version(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };

	put32(f->buf + 8, SNAPSHOT_FORMAT_VERSION + 1);
	assert_int_equal(decode(f, f->buf, f->len, &e), -1);
	assert_non_null(strstr(e.msg, "snap: snapshot format version 3; this azote"));
	assert_non_null(strstr(e.msg, "reads version 2 only"));
	/* Version 1, before the TSC was paired with kvmclock. */
	put32(f->buf + 8, 1);
	assert_int_equal(decode(f, f->buf, f->len, &e), -1);
	assert_non_null(strstr(e.msg, "snap: snapshot format version 1; this azote"));
}

static void test_flipped_byte(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };

	/* Every byte after the version: the header's, the table's, a
	 * section's, the checksum's own. */
	for (size_t i = 12; i < f->len; i++) {
		f->buf[i] ^= 0x10;
		assert_int_equal(decode(f, f->buf, f->len, &e), -1);
		assert_true(strstr(e.msg, "checksum mismatch") ||
			    strstr(e.msg, "its header says") || strstr(e.msg, "header size"));
		f->buf[i] ^= 0x10;
	}
	assert_int_equal(decode(f, f->buf, f->len, &e), 0);
}

/* Files whose checksum is right but whose structure is not (a writer's
 * bug, or someone who recomputed the checksum). */
static void test_inconsistent(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	unsigned char *b = malloc(f->len);

	memcpy(b, f->buf, f->len);
	put32(b + 84, 0);                                  /* no vCPU */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_string_equal(e.msg, "snap: 0 vCPUs, expected 1 to 254");

	memcpy(b, f->buf, f->len);
	put32(b + 152, 100000);                            /* too many sections */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_string_equal(e.msg, "snap: 100000 sections, at most 16384");

	memcpy(b, f->buf, f->len);
	put32(b + 152, 5);                                 /* table past the data */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_non_null(strstr(e.msg, "expected at"));

	memcpy(b, f->buf, f->len);
	put32(b + 200 + 24 + 16, 0xffffff);                /* a section's length */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_non_null(strstr(e.msg, "section 1 (vcpu-regs #0)"));

	memcpy(b, f->buf, f->len);
	put32(b + 200 + 24 + 4, 1);                        /* vcpu-regs #1 twice */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_non_null(strstr(e.msg, "vcpu-regs #1 saved twice"));

	memcpy(b, f->buf, f->len);
	put32(b + 104 + 8, 4096);                          /* region sizes != memory */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_non_null(strstr(e.msg, "RAM region 1"));

	memcpy(b, f->buf, f->len);
	put32(b + 96, 1);                                  /* region 1 left in an unused slot */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_string_equal(e.msg, "snap: an unused RAM region entry is not zero");

	memcpy(b, f->buf, f->len);
	b[16] = 0x1b;                                      /* ESC in the version */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_string_equal(e.msg, "snap: the azote version or CPU vendor is not printable text");

	memcpy(b, f->buf, f->len);
	b[190] = 1;                                        /* reserved */
	reseal(b, f->len);
	assert_int_equal(decode(f, b, f->len, &e), -1);
	assert_string_equal(e.msg, "snap: reserved header bytes are not zero");
	free(b);
}

static void test_machine_check(void **st)
{
	struct fixture *f = *st;
	struct guest_mem small;
	struct azerr e = { "" };

	assert_int_equal(snapshot_check_machine(&f->h, 4, &f->layout, "snap", &e), -1);
	assert_string_equal(e.msg, "snap holds 2 vCPUs, the configuration has 4");
	e820_ram_layout(&small, 256ULL << 20);
	assert_int_equal(snapshot_check_machine(&f->h, 2, &small, "snap", &e), -1);
	assert_string_equal(e.msg, "snap holds 4096 MiB of RAM, the configuration has 256 MiB");
}

static void test_host_check(void **st)
{
	struct fixture *f = *st;
	struct snapshot_host other = f->h.host;
	struct azerr e = { "" };

	snprintf(other.vendor, sizeof(other.vendor), "%s",
		 strcmp(f->h.host.vendor, "AuthenticAMD") ? "AuthenticAMD" : "GenuineIntel");
	assert_int_equal(snapshot_check_host(&f->h, &other, "snap", &e), -1);
	assert_non_null(strstr(e.msg, "azote restores only on the same CPU"));
	other = f->h.host;
	other.model++;
	assert_int_equal(snapshot_check_host(&f->h, &other, "snap", &e), -1);
	other = f->h.host;
	f->h.host.xsave_features |= 1ULL << 62;          /* a component this host lacks */
	assert_int_equal(snapshot_check_host(&f->h, &other, "snap", &e), -1);
	assert_non_null(strstr(e.msg, "XSAVE components"));
	f->h.host.xsave_features = other.xsave_features;
	other.xsave_size = f->h.host.xsave_size - 1;
	assert_int_equal(snapshot_check_host(&f->h, &other, "snap", &e), -1);
	assert_non_null(strstr(e.msg, "XSAVE area"));
	/* A host with more components than the snapshot's takes it. */
	other = f->h.host;
	f->h.host.xsave_features &= ~(1ULL << 1);
	assert_int_equal(snapshot_check_host(&f->h, &other, "snap", &e), 0);
}

static void test_unwritable_path(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	char path[128];

	snprintf(path, sizeof(path), "%s/no/such/dir/vm.snap", f->dir);
	assert_int_equal(snapshot_file_write(path, &f->h, &f->s, &e), -1);
	assert_non_null(strstr(e.msg, "vm.snap"));
	assert_non_null(strstr(e.msg, "No such file or directory"));
	/* A directory where the file should go: refused before anything
	 * is written (the rename could not replace it), the directory
	 * stays, and no temporary file is left beside it. */
	snprintf(path, sizeof(path), "%s/adir", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(snapshot_file_write(path, &f->h, &f->s, &e), -1);
	assert_non_null(strstr(e.msg, "cannot write"));
	assert_non_null(strstr(e.msg, "/adir: Is a directory"));
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", f->dir);
	assert_int_equal(system(cmd), 0);
	/* Reading: a missing file, a directory, each named. */
	struct snapshot_header h;
	struct state_set s;
	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(snapshot_file_read(path, &h, &s, &e), -1);
	assert_non_null(strstr(e.msg, "missing: No such file or directory"));
	assert_int_equal(snapshot_file_read(f->dir, &h, &s, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
}

/* A FIFO named as the snapshot is refused at once: opened without
 * O_NONBLOCK it would wait for a writer (the alarm ends the test rather
 * than let it hang). */
static void test_read_fifo(void **st)
{
	struct fixture *f = *st;
	struct azerr e = { "" };
	struct snapshot_header h;
	struct state_set s;
	char path[128];

	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(snapshot_file_read(path, &h, &s, &e), -1);
	alarm(0);
	assert_non_null(strstr(e.msg, "/fifo: not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inconsistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_fifo, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
