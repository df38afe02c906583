/* COM1's output as PUT /serial sets it (vmm/serial_out.c): the file made
 * and appended to, a FIFO without a reader taken, the bucket's bytes let
 * through and the rest dropped and counted, and the open's error naming
 * the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/serial_out.h"

static char dir[] = "/tmp/azote-serial-XXXXXX";

static const char *path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void test_file_appended(void **state)
{
	struct serial_config c = { .out_path = (char *)path("console.log") };
	struct serial_out s;
	struct azerr e;
	char buf[16] = { 0 };
	FILE *f;
	(void)state;

	assert_int_equal(serial_out_open(&s, &c, &e), 0);
	assert_false(s.limited);
	assert_true(serial_out_allow(&s));
	assert_int_equal(write(s.fd, "ab", 2), 2);
	serial_out_close(&s);
	assert_int_equal(s.fd, -1);
	assert_int_equal(serial_out_open(&s, &c, &e), 0);
	assert_int_equal(write(s.fd, "c", 1), 1);
	serial_out_close(&s);
	assert_non_null(f = fopen(c.out_path, "r"));
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 3);
	fclose(f);
	assert_string_equal(buf, "abc");
}

/* Opened read-write, as Firecracker opens it: no reader needed yet. */
static void test_fifo_without_reader(void **state)
{
	struct serial_config c = { .out_path = (char *)path("fifo") };
	struct serial_out s;
	struct azerr e;
	(void)state;

	assert_int_equal(mkfifo(c.out_path, 0600), 0);
	assert_int_equal(serial_out_open(&s, &c, &e), 0);
	assert_true(s.fd >= 0);
	serial_out_close(&s);
}

static void test_bucket(void **state)
{
	struct serial_config c = { .has_limit = true, .limit = { 10, 5, 3600000 } };
	struct serial_out s;
	struct azerr e;
	unsigned passed = 0;
	(void)state;

	assert_int_equal(serial_out_open(&s, &c, &e), 0);
	assert_int_equal(s.fd, -1);     /* stdout */
	assert_true(s.limited);
	for (int i = 0; i < 100; i++)
		passed += serial_out_allow(&s);
	/* The burst, then the bucket: an hour's refill is far away. */
	assert_int_equal(passed, 15);
	assert_int_equal(s.dropped, 85);
	serial_out_close(&s);
	/* A bucket that limits nothing (size 0) is no limit. */
	c.limit.size = 0;
	assert_int_equal(serial_out_open(&s, &c, &e), 0);
	assert_false(s.limited);
	serial_out_close(&s);
}

static void test_open_error(void **state)
{
	struct serial_config c = { .out_path = (char *)path("no/such/dir") };
	struct serial_out s;
	struct azerr e;
	(void)state;

	assert_int_equal(serial_out_open(&s, &c, &e), -1);
	assert_non_null(strstr(e.msg, "serial_out_path "));
	assert_non_null(strstr(e.msg, "/no/such/dir: No such file or directory"));
	assert_int_equal(s.fd, -1);
	serial_out_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_appended),
		cmocka_unit_test(test_fifo_without_reader),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_open_error),
	};
	int r;

	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path("console.log"));
	unlink(path("fifo"));
	rmdir(dir);
	return r;
}
