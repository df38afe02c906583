/* Unit tests for src/common: size and number parsing, error formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdio.h"
#include "common/log.h"
#include "common/size.h"
#include "common/utf8.h"

static void test_size_suffixes(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(parse_size("128M", 1, &v), 0);
	assert_int_equal(v, 128ULL << 20);
	assert_int_equal(parse_size("2G", 1, &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_size("2g", 1, &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_size("3GiB", 1, &v), 0);
	assert_int_equal(v, 3ULL << 30);
	assert_int_equal(parse_size("64MB", 1, &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(parse_size("4k", 1, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("1T", 1, &v), 0);
	assert_int_equal(v, 1ULL << 40);
	assert_int_equal(parse_size("512B", 1, &v), 0);
	assert_int_equal(v, 512);
}

static void test_size_default_unit(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(parse_size("4096", 1, &v), 0);
	assert_int_equal(v, 4096);
	/* Firecracker's mem_size_mib is a bare number of MiB. */
	assert_int_equal(parse_size("256", 1ULL << 20, &v), 0);
	assert_int_equal(v, 256ULL << 20);
}

static void test_size_rejects(void **state)
{
	static const char *const bad[] = {
		"", "M", "-1", "+1", " 1", "1 ", "1X", "1MM", "1Mi", "1iB",
		"0x10", "1.5G", "18446744073709551616", "17179869184G",
		"16777216T", "1Bb",
	};
	uint64_t v = 42;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_size(bad[i], 1, &v), -1);
		assert_int_equal(v, 42); /* nothing written on failure */
	}
	assert_int_equal(parse_size(NULL, 1, &v), -1);
}

static void test_size_limits(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(parse_size("18446744073709551615", 1, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_size("16777215T", 1, &v), 0);
	assert_true(v == 16777215ULL << 40);
}

static void test_uint(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(parse_uint("4", 1, 32, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(parse_uint("0", 1, 32, &v), -1);
	assert_int_equal(parse_uint("33", 1, 32, &v), -1);
	assert_int_equal(parse_uint("3a", 1, 32, &v), -1);
	assert_int_equal(parse_uint("", 1, 32, &v), -1);
	assert_int_equal(parse_uint("99999999999999999999999", 0, UINT64_MAX, &v), -1);
}

/* Rust's u32 parse, as Firecracker's parsers use it. */
static void test_u32_rust(void **state)
{
	static const struct { const char *s; int want; uint32_t v; } cases[] = {
		{ "52", 0, 52 }, { "+52", 0, 52 }, { "0007", 0, 7 },
		{ "4294967295", 0, 4294967295u }, { "4294967296", -1, 0 },
		{ "", -1, 0 }, { "+", -1, 0 }, { "-1", -1, 0 }, { "-0", -1, 0 },
		{ "++1", -1, 0 }, { " 1", -1, 0 }, { "1 ", -1, 0 }, { "0x1", -1, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 99;
		assert_int_equal(parse_u32_rust(cases[i].s, strlen(cases[i].s), &v), cases[i].want);
		assert_int_equal(v, cases[i].want ? 99 : cases[i].v);
	}
	/* Only len bytes are looked at. */
	uint32_t v = 0;
	assert_int_equal(parse_u32_rust("12x", 2, &v), 0);
	assert_int_equal(v, 12);
}

static void test_err(void **state)
{
	struct azerr e;
	(void)state;

	assert_int_equal(azerr_set(&e, "bad %s=%d", "cpus", 99), -1);
	assert_string_equal(e.msg, "bad cpus=99");
	assert_int_equal(azerr_set(NULL, "ignored"), -1);
}

static void test_log_levels(void **state)
{
	enum log_level l;
	(void)state;

	assert_int_equal(log_parse_level("Debug", &l), 0);
	assert_int_equal(l, LOG_DEBUG);
	assert_int_equal(log_parse_level("Warning", &l), 0);
	assert_int_equal(l, LOG_WARN);
	assert_int_equal(log_parse_level("loud", &l), -1);
	/* Each level's name reads back as that level. */
	for (enum log_level v = LOG_ERROR; v <= LOG_DEBUG; v++) {
		assert_int_equal(log_parse_level(log_level_name(v), &l), 0);
		assert_int_equal(l, v);
	}
	log_set_level(LOG_INFO);
	assert_int_equal(log_get_level(), LOG_INFO);
	log_set_level(LOG_WARN);
}

/* A log sink that stopped draining (a blocking stderr pipe nobody reads)
 * loses lines rather than holding the thread that logs (a vCPU, say).
 * alarm: a write that blocks fails the test instead of hanging it. */
static void test_log_full_sink(void **state)
{
	char buf[4096];
	ssize_t n;
	int p[2];
	(void)state;

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	while (write(p[1], "x", 1) == 1)
		;
	assert_int_equal(fcntl(p[1], F_SETFL, 0), 0);
	log_set_output(p[1], true, false, NULL, NULL);
	alarm(5);
	log_warn("a line the full pipe cannot take");
	alarm(0);
	/* Drained (nothing but the filler in it), the sink takes lines again. */
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		assert_null(memchr(buf, 'a', (size_t)n));
	log_warn("a line after");
	log_set_output(2, true, false, NULL, NULL);
	memset(buf, 0, sizeof(buf));
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, "a line after"));
	close(p[0]);
	close(p[1]);
}

/* A message quoting a client's bytes cannot forge a line nor drive a
 * terminal: control characters, and bytes that are not UTF-8, are written
 * \xNN. */
static void test_log_escapes_controls(void **state)
{
	char buf[512] = { 0 };
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	log_set_output(p[1], true, false, NULL, NULL);
	log_warn("path %s", "/x\n2026-12-07T08:00:00 [anonymous-instance:main] started\x7f");
	log_set_output(2, true, false, NULL, NULL);
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, "/x\\x0a2026-12-07T08:00:00 [anonymous-instance:main] started\\x7f\n"));
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
	close(p[0]);
	/* C1 controls, in UTF-8 (a JSON string's \u009b) or as a lone
	 * byte, and bytes that are not UTF-8; other characters stay. */
	assert_int_equal(pipe(p), 0);
	log_set_output(p[1], true, false, NULL, NULL);
	log_warn("id [%s]", "\xc2\x9b" "2J \x9b" "31m caf\xc3\xa9 \xc3");
	log_set_output(2, true, false, NULL, NULL);
	memset(buf, 0, sizeof(buf));
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, "id [\\xc2\\x9b2J \\x9b31m caf\xc3\xa9 \\xc3]\n"));
	close(p[0]);
}

/* Strict UTF-8, as Rust's str: each form at its bounds, and what it
 * refuses (overlong forms, surrogates, past U+10FFFF, cut sequences). */
static void test_utf8(void **state)
{
	static const struct { const char *s; size_t len; int32_t cp; } cases[] = {
		{ "a", 1, 'a' }, { "\0", 1, 0 }, { "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 }, { "\xdf\xbf", 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0x800 }, { "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 0xe000 }, { "\xf0\x90\x80\x80", 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
		{ "\x80", 1, -1 }, { "\xc0\xaf", 2, -1 }, { "\xc1\xbf", 2, -1 },
		{ "\xe0\x9f\xbf", 3, -1 }, { "\xed\xa0\x80", 3, -1 },
		{ "\xf0\x8f\xbf\xbf", 4, -1 }, { "\xf4\x90\x80\x80", 4, -1 },
		{ "\xf8\x88\x80\x80\x80", 5, -1 }, { "\xff", 1, -1 },
		{ "\xc3", 1, -1 }, { "\xe2\x82", 2, -1 }, { "\xc3" "a", 2, -1 },
	};
	(void)state;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t i = 0;

		assert_int_equal(utf8_next((const unsigned char *)cases[k].s, cases[k].len, &i),
				 cases[k].cp);
		assert_int_equal(i, cases[k].cp < 0 ? 0 : cases[k].len);
		assert_int_equal(utf8_valid(cases[k].s, cases[k].len), cases[k].cp >= 0);
	}
	assert_true(utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9));
	assert_false(utf8_valid("caf\xc3\xa9 \xe2\x82", 8));
	assert_true(utf8_valid("", 0));
}

/* A disk image: a regular file (or a block device), opened blocking for
 * its user; a FIFO or a character device is refused at once, never
 * waited on (a FIFO opened read-only waits for a writer). alarm: a wait
 * fails the test instead of hanging it. */
static void test_open_image(void **state)
{
	char dir[] = "/tmp/test_open_image.XXXXXX", fifo[64], file[64];
	struct azerr e;
	int fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/img", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(5);
	assert_int_equal(open_image(fifo, O_RDONLY, "drive0", &e), -1);
	alarm(0);
	assert_non_null(strstr(e.msg, "drive0"));
	assert_non_null(strstr(e.msg, "not a regular file or a block device"));
	assert_int_equal(open_image("/dev/null", O_RDWR, "drive0", &e), -1);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open_image(file, O_RDWR, "drive0", &e);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_RDWR);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	unlink(fifo);
	unlink(file);
	rmdir(dir);
}

/* Firecracker's per-callsite budget: LOG_SITE_BURST lines at once, then
 * one every REFILL / BURST ms; what was denied is told with the next. */
static void test_log_site_budget(void **state)
{
	struct log_site site = { 0 };
	const uint64_t t0 = 1000000, period = LOG_SITE_REFILL_MS / LOG_SITE_BURST;
	uint64_t held = 99;
	(void)state;

	for (int i = 0; i < LOG_SITE_BURST; i++) {
		assert_true(log_site_admit(&site, t0, &held));
		assert_int_equal(held, 0);
	}
	assert_false(log_site_admit(&site, t0, &held));
	assert_false(log_site_admit(&site, t0 + period - 1, &held));
	/* One period later, one line, telling of the two held back. */
	assert_true(log_site_admit(&site, t0 + period, &held));
	assert_int_equal(held, 2);
	assert_false(log_site_admit(&site, t0 + period, &held));
	assert_true(log_site_admit(&site, t0 + 2 * period, &held));
	assert_int_equal(held, 1);
	/* Quiet for the refill time: a whole burst again. */
	uint64_t later = t0 + 2 * period + LOG_SITE_REFILL_MS;
	for (int i = 0; i < LOG_SITE_BURST; i++)
		assert_true(log_site_admit(&site, later, &held));
	assert_false(log_site_admit(&site, later, &held));
}

/* Through the logger: a site that repeats is held back and says so; debug
 * lines and a site of their own are not. The held-back lines are also
 * counted where a card asked (its stats page), until it says no more. */
static void test_log_held_back(void **state)
{
	char buf[8192];
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	log_set_output(p[1], true, false, NULL, NULL);
	log_set_level(LOG_DEBUG);
	uint64_t before = log_held_back(), card = 0;
	log_count_held_back_in(&card);
	for (int i = 0; i < LOG_SITE_BURST + 5; i++)
		log_warn("repeat %d", i);
	for (int i = 0; i < LOG_SITE_BURST + 5; i++)
		log_debug("debug %d", i);
	log_warn("another place");
	assert_int_equal(log_held_back() - before, 5);
	assert_int_equal(card, 5);
	log_count_held_back_in(NULL);
	for (int i = 0; i < LOG_SITE_BURST + 3; i++)
		log_warn("past the burst: held back, not in the card's page");
	assert_int_equal(log_held_back() - before, 5 + 3);
	assert_int_equal(card, 5);
	log_set_output(2, true, false, NULL, NULL);
	log_set_level(LOG_WARN);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	close(p[0]);
	assert_non_null(strstr(buf, "repeat 9\n"));
	assert_null(strstr(buf, "repeat 10\n"));
	assert_non_null(strstr(buf, "debug 14\n"));
	assert_non_null(strstr(buf, "another place\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_default_unit),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_u32_rust),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_log_full_sink),
		cmocka_unit_test(test_open_image),
		cmocka_unit_test(test_log_escapes_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_log_site_budget),
		cmocka_unit_test(test_log_held_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
