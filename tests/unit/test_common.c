/* Unit tests for src/common: size and number parsing, error formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "common/size.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_default_unit),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_log_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
