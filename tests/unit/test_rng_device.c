/* The entropy device's request path (src/cards/rng/request.c) on a ring
 * in memory: the driver half posts chains as a guest would (net_fixture,
 * drv_ring.c's memory), rng_serve answers them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cards/rng/request.h"
#include "net_fixture.h"
#include "virtio/virtio.h"

#define SENTINEL 0xa5

struct env {
	struct net_fx fx;
	struct card_limiter limit;
	struct card_rng_stats st;
	struct rng_server srv;
};

/* A source that fails, for the host's failures. */
static int failing_source(void *buf, size_t len)
{
	(void)buf;
	(void)len;
	errno = EAGAIN;
	return -1;
}

static struct env *env_new(const struct rate_limiter *rl)
{
	struct env *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	net_fx_init(&v->fx, 16, NET_FX_RING_FEATURES);
	card_limiter_init(&v->limit, rl);
	v->srv = (struct rng_server){ .limit = &v->limit, .stats = &v->st,
				      .source = rng_getrandom, .budget = 64 };
	/* A pattern random bytes do not keep over whole buffers. */
	memset(drv_gpa(&v->fx.mem, v->fx.buf), SENTINEL, 1 << 20);
	return v;
}

static void env_free(struct env *v)
{
	net_fx_fini(&v->fx);
	free(v);
}

static uint8_t *at(struct env *v, uint64_t gpa)
{
	return drv_gpa(&v->fx.mem, gpa);
}

/* Whether [p, p+len) still holds only the sentinel. */
static bool untouched(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != SENTINEL)
			return false;
	return true;
}

static enum limited_pass serve(struct env *v)
{
	uint64_t wait = 0;

	return rng_serve(&v->srv, &v->fx.q, &wait);
}

static void test_fill(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	int h = net_fx_post_rx(&v->fx, v->fx.buf, 100);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 100);
	/* 100 random bytes are never all the sentinel (2^-800). */
	assert_false(untouched(at(v, v->fx.buf), 100));
	assert_true(untouched(at(v, v->fx.buf + 100), 4096));
	assert_int_equal(v->st.event_count, 1);
	assert_int_equal(v->st.bytes, 100);
	assert_int_equal(v->st.event_fails, 0);
	env_free(v);
}

/* Three writable buffers, one straddling two regions, one above 4 GiB:
 * each filled, the used length their sum. */
static void test_multi_descriptor(void **state)
{
	struct env *v = env_new(NULL);
	uint64_t high = drv_alloc(&v->fx.mem, 4096, 4096, true);
	uint64_t straddle = (16u << 20) - 50;
	(void)state;

	memset(at(v, straddle), SENTINEL, 100);
	memset(at(v, high), SENTINEL, 4096);
	struct drv_buf b[3] = {
		{ v->fx.buf, 10, true }, { straddle, 100, true }, { high, 7, true },
	};
	int h = drv_vq_add(&v->fx.dq, b, 3, 0);
	assert_true(h >= 0);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 117);
	assert_false(untouched(at(v, straddle), 50));
	assert_false(untouched(at(v, straddle + 50), 50));
	assert_true(untouched(at(v, v->fx.buf + 10), 100));
	assert_true(untouched(at(v, high + 7), 100));
	assert_int_equal(v->st.bytes, 117);
	assert_int_equal(v->st.event_count, 1);
	env_free(v);
}

/* The same through an indirect table. */
static void test_indirect(void **state)
{
	struct env *v = env_new(NULL);
	uint64_t table = drv_alloc(&v->fx.mem, 4096, 16, false);
	(void)state;

	struct drv_buf b[2] = { { v->fx.buf, 300, true }, { v->fx.buf + 1000, 200, true } };
	int h = drv_vq_add(&v->fx.dq, b, 2, table);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 500);
	assert_true(untouched(at(v, v->fx.buf + 300), 700));
	assert_true(untouched(at(v, v->fx.buf + 1200), 100));
	env_free(v);
}

static void test_cap(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	int h = net_fx_post_rx(&v->fx, v->fx.buf, 100000);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), CARD_RNG_MAX_REQUEST);
	assert_false(untouched(at(v, v->fx.buf + CARD_RNG_MAX_REQUEST - 64), 64));
	assert_true(untouched(at(v, v->fx.buf + CARD_RNG_MAX_REQUEST),
			      100000 - CARD_RNG_MAX_REQUEST));
	assert_int_equal(v->st.bytes, CARD_RNG_MAX_REQUEST);
	env_free(v);
}

static void test_readable_refused(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	struct drv_buf b[2] = { { v->fx.buf, 16, false }, { v->fx.buf + 16, 64, true } };
	int h = drv_vq_add(&v->fx.dq, b, 2, 0);
	int h2 = net_fx_post_rx(&v->fx, v->fx.buf + 4096, 32);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_true(untouched(at(v, v->fx.buf), 80));
	/* The next request is served. */
	assert_int_equal(net_fx_used(&v->fx, h2), 32);
	assert_int_equal(v->st.event_count, 2);
	assert_int_equal(v->st.event_fails, 1);
	assert_int_equal(v->st.bytes, 32);
	env_free(v);
}

/* A chain the virtqueue refuses (a buffer outside guest memory): 0, a
 * failure, and the ring goes on. */
static void test_bad_chain(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	int h = net_fx_post_rx(&v->fx, 0x80000000ULL, 64);
	int h2 = net_fx_post_rx(&v->fx, v->fx.buf, 8);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(net_fx_used(&v->fx, h2), 8);
	assert_int_equal(v->st.event_count, 2);
	assert_int_equal(v->st.event_fails, 1);
	assert_int_equal(v->st.bytes, 8);
	env_free(v);
}

static void test_empty(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	int h = net_fx_post_rx(&v->fx, v->fx.buf, 0);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(v->st.event_count, 1);
	assert_int_equal(v->st.event_fails, 0);
	env_free(v);
}

static void test_source_fails(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	v->srv.source = failing_source;
	int h = net_fx_post_rx(&v->fx, v->fx.buf, 64);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_true(untouched(at(v, v->fx.buf), 64));
	assert_int_equal(v->st.host_rng_fails, 1);
	assert_int_equal(v->st.event_fails, 1);
	assert_int_equal(v->st.bytes, 0);
	env_free(v);
}

/* A request the host cannot fill (getrandom's EAGAIN) is answered with
 * 0 at once, so a guest re-posting it could spin the card, were it not
 * charged and bounded as any other: one op per 50 ms lets one through and
 * leaves the next on the ring; and one pass takes the budget at most. */
static void test_source_fails_charged(void **state)
{
	struct rate_limiter rl = { .has_ops = true,
				   .ops = { .size = 1, .refill_time_ms = 50 } };
	struct env *v = env_new(&rl);
	(void)state;

	v->srv.source = failing_source;
	int h1 = net_fx_post_rx(&v->fx, v->fx.buf, 64);
	net_fx_post_rx(&v->fx, v->fx.buf + 64, 64);
	assert_int_equal(serve(v), LIMITED_THROTTLED);
	assert_int_equal(net_fx_used(&v->fx, h1), 0);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(v->fx.q.last_avail, 1);
	assert_int_equal(v->st.host_rng_fails, 1);
	assert_int_equal(v->st.rate_limiter_throttled, 1);
	env_free(v);

	v = env_new(NULL);
	v->srv.source = failing_source;
	v->srv.budget = 2;
	for (unsigned i = 0; i < 3; i++)
		net_fx_post_rx(&v->fx, v->fx.buf + 64u * i, 64);
	assert_int_equal(serve(v), LIMITED_MORE);
	assert_int_equal(v->st.event_count, 2);
	assert_int_equal(v->st.host_rng_fails, 2);
	env_free(v);
}

/* One op per 50 ms, requests of len bytes: the second stays on the
 * ring, counted once as throttled, until the limiter's wait has passed. */
static void throttled(uint32_t len)
{
	struct rate_limiter rl = { .has_ops = true,
				   .ops = { .size = 1, .refill_time_ms = 50 } };
	struct env *v = env_new(&rl);
	uint64_t wait = 0;

	int h1 = net_fx_post_rx(&v->fx, v->fx.buf, len);
	int h2 = net_fx_post_rx(&v->fx, v->fx.buf + 16, len);
	assert_int_equal(rng_serve(&v->srv, &v->fx.q, &wait), LIMITED_THROTTLED);
	assert_int_equal(net_fx_used(&v->fx, h1), len);
	net_fx_no_more_used(&v->fx);
	assert_true(wait > 0 && wait <= 50000000u);
	assert_int_equal(v->fx.q.last_avail, 1);
	assert_int_equal(v->st.rate_limiter_throttled, 1);
	assert_int_equal(v->st.event_count, 1);
	assert_true(untouched(at(v, v->fx.buf + 16), 16));
	struct timespec ts = { 0, (long)wait };
	nanosleep(&ts, NULL);
	assert_int_equal(rng_serve(&v->srv, &v->fx.q, &wait), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h2), len);
	assert_int_equal(v->st.event_count, 2);
	assert_int_equal(v->st.rate_limiter_throttled, 1);
	env_free(v);
}

static void test_throttled(void **state)
{
	(void)state;
	throttled(16);
}

/* An empty request costs an op all the same, as in Firecracker: else a
 * guest posting them would escape the ops limit. */
static void test_empty_throttled(void **state)
{
	(void)state;
	throttled(0);
}

/* The budget bounds one call: the rest waits for the next. */
static void test_budget(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	v->srv.budget = 2;
	for (int i = 0; i < 3; i++)
		net_fx_post_rx(&v->fx, v->fx.buf + 64u * (unsigned)i, 8);
	assert_int_equal(serve(v), LIMITED_MORE);
	assert_int_equal(v->st.event_count, 2);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(v->st.event_count, 3);
	env_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_multi_descriptor),
		cmocka_unit_test(test_indirect),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_readable_refused),
		cmocka_unit_test(test_bad_chain),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_source_fails),
		cmocka_unit_test(test_source_fails_charged),
		cmocka_unit_test(test_throttled),
		cmocka_unit_test(test_empty_throttled),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
