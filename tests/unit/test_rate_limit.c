/* The textual form of a token bucket (src/iface/rate_limit.c): what
 * azote writes on a card's command line, the card reads back; every bad
 * value is refused naming the option, the value and the fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "iface/rate_limit.h"

static void test_parse(void **state)
{
	struct token_bucket b;
	struct azerr e;
	(void)state;

	assert_int_equal(token_bucket_parse("--bw-limit", "size=1048576,refill_time=100", &b,
					    &e), 0);
	assert_int_equal(b.size, 1048576);
	assert_int_equal(b.refill_time_ms, 100);
	assert_int_equal(b.one_time_burst, 0);
	/* Any order; the burst optional; the extremes. */
	assert_int_equal(token_bucket_parse("--ops-limit", "one_time_burst=18446744073709551615,"
					    "refill_time=18446744073709,size=0", &b, &e), 0);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.refill_time_ms, TOKEN_BUCKET_MAX_REFILL_MS);
	assert_int_equal(b.one_time_burst, UINT64_MAX);
	assert_false(token_bucket_limits(&b));
}

static void test_refused(void **state)
{
	static const struct { const char *arg, *want; } bad[] = {
		{ "", "--bw-limit '': '' is not KEY=VALUE (size=N,refill_time=MS"
		      "[,one_time_burst=N])" },
		{ "size=1", "--bw-limit 'size=1': size and refill_time are required" },
		{ "refill_time=1", "size and refill_time are required" },
		{ "size=1,refill_time=1,", "'' is not KEY=VALUE" },
		{ "size=1,,refill_time=1", "'' is not KEY=VALUE" },
		{ "size", "'size' is not KEY=VALUE" },
		{ "size=1,refill=1", "--bw-limit 'size=1,refill=1': unknown key 'refill' "
				     "(size, refill_time, one_time_burst)" },
		{ "Size=1,refill_time=1", "unknown key 'Size'" },
		{ "size=1,size=2,refill_time=1", "size given twice" },
		{ "size=,refill_time=1", "size '' must be a number from 0 to "
					 "18446744073709551615" },
		{ "size=-1,refill_time=1", "size '-1' must be a number" },
		{ "size=1M,refill_time=1", "size '1M' must be a number" },
		{ "size= 1,refill_time=1", "size ' 1' must be a number" },
		{ "size=18446744073709551616,refill_time=1", "size '18446744073709551616' must" },
		{ "size=1,refill_time=18446744073710", "refill_time '18446744073710' must be a "
						       "number from 0 to 18446744073709" },
		{ "size=1,refill_time=1,one_time_burst=0x10", "one_time_burst '0x10' must be" },
		{ "size=1,refill_time=100000000000000000000000000",
		  "refill_time '100000000000000000000000000' must be" },
	};
	struct token_bucket b = { 7, 7, 7 };
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(token_bucket_parse("--bw-limit", bad[i].arg, &b, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: '%s' not in '%s'", i, bad[i].want, e.msg);
		/* Nothing half-parsed is left behind. */
		assert_int_equal(b.size, 7);
	}
}

static void test_format(void **state)
{
	static const struct token_bucket cases[] = {
		{ 10485760, 0, 1000 },
		{ 1, 5, 1 },
		{ UINT64_MAX, UINT64_MAX, TOKEN_BUCKET_MAX_REFILL_MS },
	};
	char buf[TOKEN_BUCKET_STR_LEN];
	struct token_bucket b;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(token_bucket_format(&cases[i], buf, sizeof(buf)), 0);
		assert_int_equal(token_bucket_parse("--x", buf, &b, &e), 0);
		assert_memory_equal(&b, &cases[i], sizeof(b));
	}
	assert_int_equal(token_bucket_format(&cases[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "size=10485760,refill_time=1000");
	assert_int_equal(token_bucket_format(&cases[1], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "size=1,refill_time=1,one_time_burst=5");
	assert_int_equal(token_bucket_format(&cases[1], buf, 20), -1);
}

/* The short form of azote's --drive / --net items. */
static void test_short(void **state)
{
	static const char *const bad[] = {
		"", "1", "1/", "/1", "1//1", "1/1/", "1/1/1/1", "1M/100", "-1/100", " 1/100",
		"0x10/100", "1/18446744073710", "18446744073709551616/1", "1,refill_time=1",
	};
	struct token_bucket b;
	struct azerr e;
	(void)state;

	assert_int_equal(token_bucket_parse_short("--drive bw_limit=", "1048576/100", &b, &e), 0);
	assert_int_equal(b.size, 1048576);
	assert_int_equal(b.refill_time_ms, 100);
	assert_int_equal(b.one_time_burst, 0);
	assert_int_equal(token_bucket_parse_short("x", "0/18446744073709/18446744073709551615",
						  &b, &e), 0);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.refill_time_ms, TOKEN_BUCKET_MAX_REFILL_MS);
	assert_int_equal(b.one_time_burst, UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = (struct token_bucket){ 7, 7, 7 };
		assert_int_equal(token_bucket_parse_short("--drive ops_limit=", bad[i], &b, &e), -1);
		char want[160];
		snprintf(want, sizeof(want), "--drive ops_limit='%s': expected "
			 "SIZE/REFILL_MS[/ONE_TIME_BURST], decimal numbers, REFILL_MS at most "
			 "18446744073709", bad[i]);
		assert_string_equal(e.msg, want);
		/* Nothing half-parsed is left behind. */
		assert_int_equal(b.size, 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
