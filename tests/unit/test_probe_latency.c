/* The probe's latency histogram (guest/latency.c), built for the host:
 * every value lands in a bucket whose top is within 1/32 above it, and
 * percentiles pick the right rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../guest/latency.h"

static struct lat_hist h;

static void test_bucket_tops_bound_the_value(void **st)
{
	(void)st;
	/* One sample each: the 100th percentile is the sample's bucket top. */
	for (u64 v = 0; v < (1ULL << 40); v = v * 3 / 2 + 1) {
		memset(&h, 0, sizeof(h));
		lat_add(&h, v);
		u64 top = lat_percentile(&h, 10000);
		assert_true(top >= v);
		assert_true(top - v <= v / 32);
	}
	memset(&h, 0, sizeof(h));
	lat_add(&h, UINT64_MAX);
	assert_true(lat_percentile(&h, 10000) == UINT64_MAX);
}

static void test_percentiles(void **st)
{
	(void)st;
	memset(&h, 0, sizeof(h));
	assert_int_equal(lat_percentile(&h, 5000), 0);
	/* 1..1000 ticks once each: p50 ~ 500, p99 ~ 990, p99.9 ~ 999. */
	for (u64 v = 1; v <= 1000; v++)
		lat_add(&h, v);
	assert_int_equal(h.n, 1000);
	u64 p50 = lat_percentile(&h, 5000), p99 = lat_percentile(&h, 9900);
	u64 p999 = lat_percentile(&h, 9990), p0 = lat_percentile(&h, 0);
	assert_true(p50 >= 500 && p50 <= 500 + 500 / 32);
	assert_true(p99 >= 990 && p99 <= 990 + 990 / 32);
	assert_true(p999 >= 999 && p999 <= 999 + 999 / 32);
	assert_int_equal(p0, 1);
	/* One slow request in a thousand fast ones shows at p99.9 only. */
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 999; i++)
		lat_add(&h, 100);
	lat_add(&h, 100000);
	assert_true(lat_percentile(&h, 9900) < 104);
	assert_true(lat_percentile(&h, 10000) >= 100000);
}

static struct lat_hist other;

/* Merging two queues' histograms gives the percentiles of all samples. */
static void test_merge(void **st)
{
	(void)st;
	memset(&h, 0, sizeof(h));
	memset(&other, 0, sizeof(other));
	for (u64 v = 1; v <= 500; v++)
		lat_add(&h, v);
	for (u64 v = 501; v <= 1000; v++)
		lat_add(&other, v);
	lat_merge(&h, &other);
	assert_int_equal(h.n, 1000);
	u64 p50 = lat_percentile(&h, 5000), p99 = lat_percentile(&h, 9900);
	assert_true(p50 >= 500 && p50 <= 500 + 500 / 32);
	assert_true(p99 >= 990 && p99 <= 990 + 990 / 32);
	assert_int_equal(other.n, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_tops_bound_the_value),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
