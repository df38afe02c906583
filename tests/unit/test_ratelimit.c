/* Firecracker's token buckets (src/iface/ratelimit.c) on a clock the test
 * drives: refill over time, the cap, the one-time burst, oversized
 * requests, unlimited buckets, both buckets together, and clocks that jump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iface/ratelimit.h"

#define MS 1000000ULL
#define T0 (5000 * MS)  /* any start: the clock is the caller's */

/* A limiter of one bucket: bandwidth unless ops. */
static void one_bucket(struct ratelimit *rl, bool ops, uint64_t size, uint64_t burst,
		       uint64_t refill_ms)
{
	struct rate_limiter cfg = { .has_bandwidth = !ops, .has_ops = ops };
	struct token_bucket *b = ops ? &cfg.ops : &cfg.bandwidth;

	*b = (struct token_bucket){ size, burst, refill_ms };
	rl_init(rl, &cfg, T0);
}

static bool take(struct ratelimit *rl, uint64_t bytes, uint64_t now, uint64_t *wait)
{
	*wait = 0;
	return rl_reduce(rl, bytes, 1, now, wait);
}

static void test_unlimited(void **state)
{
	static const struct token_bucket off[] = {
		{ 0, 0, 100 },                               /* size 0 */
		{ 100, 0, 0 },                               /* refill 0 */
		{ 100, 0, TOKEN_BUCKET_MAX_REFILL_MS + 1 },  /* ns overflow */
	};
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	rl_init(&rl, NULL, T0);
	assert_false(rl_active(&rl));
	assert_true(rl_reduce(&rl, UINT64_MAX, UINT64_MAX, T0, &w));
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		struct rate_limiter cfg = { .has_bandwidth = true, .bandwidth = off[i],
					    .has_ops = true, .ops = off[i] };
		rl_init(&rl, &cfg, T0);
		assert_false(rl_active(&rl));
		for (int k = 0; k < 1000; k++)
			assert_true(take(&rl, 1 << 20, T0, &w));
	}
	/* Buckets with values but not set do not limit either. */
	struct rate_limiter unset = { .bandwidth = { 1, 0, 1 }, .ops = { 1, 0, 1 } };
	rl_init(&rl, &unset, T0);
	assert_false(rl_active(&rl));
	/* An absent bandwidth bucket lets any size through an ops limit. */
	one_bucket(&rl, true, 2, 0, 1000);
	assert_true(rl_active(&rl));
	assert_true(take(&rl, UINT64_MAX, T0, &w));
	assert_true(take(&rl, UINT64_MAX, T0, &w));
	assert_false(take(&rl, 0, T0, &w));
}

static void test_refill(void **state)
{
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	/* 1000 tokens per second: one per millisecond. Starts full. */
	one_bucket(&rl, false, 1000, 0, 1000);
	assert_true(take(&rl, 1000, T0, &w));
	assert_false(take(&rl, 1, T0, &w));
	assert_int_equal(w, 1 * MS);
	assert_false(take(&rl, 1, T0 + MS / 2, &w));
	assert_int_equal(w, MS / 2);
	assert_false(take(&rl, 1, T0 + MS - 1, &w));
	assert_int_equal(w, 1);
	assert_true(take(&rl, 1, T0 + MS, &w));
	/* In proportion to the time passed: 250 ms, 250 tokens. */
	assert_false(take(&rl, 251, T0 + 251 * MS, &w));
	assert_int_equal(w, 1 * MS);
	assert_true(take(&rl, 250, T0 + 251 * MS, &w));
	assert_false(take(&rl, 1, T0 + 251 * MS, &w));
	/* The wait for a larger request is for all of it. */
	assert_false(take(&rl, 600, T0 + 251 * MS, &w));
	assert_int_equal(w, 600 * MS);
	assert_true(take(&rl, 600, T0 + 851 * MS, &w));
}

static void test_fraction_carries(void **state)
{
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	/* 3 tokens per 10 ms: one every 3.33 ms. */
	one_bucket(&rl, true, 3, 0, 10);
	for (int i = 0; i < 3; i++)
		assert_true(take(&rl, 0, T0, &w));
	/* At 5 ms one token and a half were earned: the half is kept... */
	assert_true(take(&rl, 0, T0 + 5 * MS, &w));
	assert_false(take(&rl, 0, T0 + 5 * MS, &w));
	assert_int_equal(w, 6666667 - 5 * MS + 1);
	/* ...so the second token comes at 6.67 ms, not at 8.33. */
	assert_true(take(&rl, 0, T0 + 6700000, &w));
}

static void test_cap(void **state)
{
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	one_bucket(&rl, false, 1000, 0, 100);
	assert_true(take(&rl, 1000, T0, &w));
	/* An hour idle fills the bucket, no more. */
	uint64_t t = T0 + 3600000 * MS;
	assert_true(take(&rl, 1000, t, &w));
	assert_false(take(&rl, 1, t, &w));
	/* Nor does time spent full count later. */
	one_bucket(&rl, false, 1000, 0, 100);
	assert_true(take(&rl, 1, T0 + 50 * MS, &w));
	assert_true(take(&rl, 999, T0 + 50 * MS, &w));
	assert_false(take(&rl, 100, T0 + 50 * MS, &w));
	assert_int_equal(w, 10 * MS);
}

static void test_burst(void **state)
{
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	one_bucket(&rl, false, 100, 1000, 1000);
	/* The burst goes first: the bucket's own tokens stay. */
	assert_true(take(&rl, 600, T0, &w));
	assert_int_equal(rl.bw.burst, 400);
	assert_int_equal(rl.bw.budget, 100);
	/* Then burst and budget together. */
	assert_true(take(&rl, 450, T0, &w));
	assert_int_equal(rl.bw.burst, 0);
	assert_int_equal(rl.bw.budget, 50);
	assert_false(take(&rl, 51, T0, &w));
	/* Never refilled: after a long while, only the bucket's size. */
	uint64_t t = T0 + 60000 * MS;
	assert_true(take(&rl, 100, t, &w));
	assert_false(take(&rl, 1, t, &w));
	assert_int_equal(w, 10 * MS);
	/* A request that fits burst and budget together is not oversized. */
	one_bucket(&rl, false, 100, 1000, 1000);
	assert_true(take(&rl, 1100, T0, &w));
	assert_false(take(&rl, 1, T0, &w));
	assert_int_equal(rl.bw.debt, 0);
}

static void test_oversized(void **state)
{
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	/* 100 tokens, one per millisecond. */
	one_bucket(&rl, false, 100, 0, 100);
	/* Larger than the bucket: goes at once, the excess is owed... */
	assert_true(take(&rl, 300, T0, &w));
	assert_int_equal(rl.bw.debt, 200);
	/* ...and everything waits until it is paid, then for its own. */
	assert_false(take(&rl, 0, T0, &w));
	assert_int_equal(w, 200 * MS);
	assert_false(take(&rl, 10, T0, &w));
	assert_int_equal(w, 210 * MS);
	/* Another oversized one only waits for the debt. */
	assert_false(take(&rl, 300, T0 + 199 * MS, &w));
	assert_int_equal(w, 1 * MS);
	assert_true(take(&rl, 300, T0 + 200 * MS, &w));
	assert_int_equal(rl.bw.debt, 300);
	assert_true(take(&rl, 5, T0 + 505 * MS, &w));
	/* With part of the budget spent, the excess is over what is left. */
	one_bucket(&rl, false, 100, 0, 100);
	assert_true(take(&rl, 50, T0, &w));
	assert_true(take(&rl, 300, T0, &w));
	assert_int_equal(rl.bw.debt, 250);
	/* The largest request cannot overflow the debt or the wait. */
	one_bucket(&rl, false, 100, 0, 100);
	assert_true(take(&rl, UINT64_MAX, T0, &w));
	assert_false(take(&rl, UINT64_MAX, T0 + 1000 * MS, &w));
	assert_true(w > 1000000000ULL * MS);
	/* Nor can the largest bucket with the longest refill. */
	one_bucket(&rl, false, UINT64_MAX, UINT64_MAX, TOKEN_BUCKET_MAX_REFILL_MS);
	assert_true(take(&rl, UINT64_MAX, T0, &w));
	assert_true(take(&rl, UINT64_MAX, T0, &w));
	assert_false(take(&rl, UINT64_MAX, T0, &w));
	assert_true(w > T0);
	assert_true(take(&rl, 1000, UINT64_MAX, &w));
}

static void test_both_buckets(void **state)
{
	struct rate_limiter cfg = {
		.has_bandwidth = true, .bandwidth = { 1000, 0, 1000 },  /* 1 byte/ms */
		.has_ops = true, .ops = { 2, 0, 1000 },                 /* 1 op/500 ms */
	};
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	rl_init(&rl, &cfg, T0);
	assert_true(take(&rl, 400, T0, &w));
	assert_true(take(&rl, 400, T0, &w));
	/* Bytes left, ops not: refused, and no bytes taken. */
	assert_false(take(&rl, 100, T0, &w));
	assert_int_equal(w, 500 * MS);
	assert_int_equal(rl.bw.budget, 200);
	/* An op left, bytes not (700 of 900): refused, the op kept. */
	assert_false(take(&rl, 900, T0 + 500 * MS, &w));
	assert_int_equal(w, 200 * MS);
	assert_int_equal(rl.ops.budget, 1);
	/* Both short: the longer wait. */
	assert_true(take(&rl, 100, T0 + 500 * MS, &w));
	assert_false(take(&rl, 700, T0 + 500 * MS, &w));
	assert_int_equal(w, 500 * MS);
	assert_true(take(&rl, 700, T0 + 1000 * MS, &w));
}

static void test_clock_jumps(void **state)
{
	struct ratelimit rl;
	uint64_t w;
	(void)state;

	one_bucket(&rl, false, 10, 0, 10);  /* one per millisecond */
	assert_true(take(&rl, 10, T0, &w));
	/* Back a second: nothing is credited, and counting restarts there. */
	assert_false(take(&rl, 1, T0 - 1000 * MS, &w));
	assert_int_equal(w, 1 * MS);
	assert_true(take(&rl, 1, T0 - 999 * MS, &w));
	/* Forward again past the old time: each stretch counted once. */
	assert_true(take(&rl, 10, T0 + 10 * MS, &w));
	assert_false(take(&rl, 1, T0 + 10 * MS, &w));
	/* The largest gap the clock allows. */
	assert_true(take(&rl, 10, UINT64_MAX, &w));
	assert_false(take(&rl, 1, UINT64_MAX, &w));
	/* The clock cannot go further: the wait does not wrap round. */
	assert_int_equal(w, 1);
}

/* A client that sends whenever allowed and sleeps exactly as long as told:
 * over a long time it gets the bucket's rate, plus its first fill. */
static void test_steady_rate(void **state)
{
	struct ratelimit rl;
	uint64_t now = T0, sent = 0, w;
	const uint64_t req = 65536, size = 1 << 20;
	(void)state;

	one_bucket(&rl, false, size, 0, 100);  /* 10 MiB/s */
	while (now < T0 + 10000 * MS) {
		if (take(&rl, req, now, &w))
			sent += req;
		else
			now += w;
	}
	uint64_t rate = 100ULL << 20;  /* 10 s at 10 MiB/s */
	assert_true(sent <= rate + size + req);
	assert_true(sent >= rate + size - req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_fraction_carries),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_both_buckets),
		cmocka_unit_test(test_clock_jumps),
		cmocka_unit_test(test_steady_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
