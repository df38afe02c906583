/* The balloon's rings (src/cards/balloon/request.c, pages.c, statsq.c)
 * on a ring in memory: the driver half posts chains as a guest would
 * (net_fixture, drv_ring.c's memfd), balloon_serve answers them. The
 * discard is a recorder here, so each page list's coalescing is seen
 * exactly; one test gives pages back for real (balloon_remove) and looks
 * at the memfd. */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cards/balloon/request.h"
#include "net_fixture.h"
#include "virtio/virtio.h"

#define PAGE BALLOON_PAGE_SIZE
#define FILL 0xa5

/* What the recording discard was asked, as guest addresses. */
struct call {
	uint64_t gpa, len;
};
static struct call calls[64];
static unsigned nr_calls;
static bool discard_fails;
static struct net_fx *cur;

static uint64_t hva_to_gpa(const void *hva)
{
	uint64_t gpa;

	assert_true(gmem_hva_to_gpa(&cur->gm, hva, &gpa));
	return gpa;
}

static int64_t recorder(void *hva, uint64_t len)
{
	assert_true(nr_calls < 64);
	calls[nr_calls++] = (struct call){ hva_to_gpa(hva), len };
	if (discard_fails) {
		errno = EINVAL;
		return -1;
	}
	return (int64_t)len;
}

struct env {
	struct net_fx fx;
	struct card_balloon_stats st;
	struct balloon_server srv;
	uint64_t list;              /* where the driver writes its lists */
};

static struct env *env_new(balloon_discard_fn discard)
{
	struct env *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	net_fx_init(&v->fx, 16, NET_FX_RING_FEATURES);
	v->srv = (struct balloon_server){ .stats = &v->st, .discard = discard, .budget = 64 };
	v->list = v->fx.buf;
	cur = &v->fx;
	nr_calls = 0;
	discard_fails = false;
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

/* Posts n PFNs as one device-readable buffer of len bytes (len 0: the
 * list's own length). */
static int post_pfns(struct env *v, const uint32_t *pfn, unsigned n, uint32_t len)
{
	uint32_t *p = (uint32_t *)at(v, v->list);

	for (unsigned i = 0; i < n; i++)
		p[i] = htole32(pfn[i]);
	return net_fx_post(&v->fx, v->list, len ? len : n * 4, false);
}

static enum balloon_serve_result serve(struct env *v, enum balloon_ring role)
{
	return balloon_serve(&v->srv, &v->fx.q, role);
}

static void expect_call(unsigned i, uint64_t gpa, uint64_t len)
{
	assert_true(i < nr_calls);
	if (calls[i].gpa != gpa || calls[i].len != len)
		fail_msg("discard %u: 0x%llx+0x%llx, want 0x%llx+0x%llx", i,
			 (unsigned long long)calls[i].gpa, (unsigned long long)calls[i].len,
			 (unsigned long long)gpa, (unsigned long long)len);
}

/* Out of order, one listed twice, one apart: two discards, in order,
 * neighbours coalesced, the twice-listed page given and counted once. */
static void test_inflate_coalesce(void **state)
{
	struct env *v = env_new(recorder);
	uint32_t base = (uint32_t)(v->fx.buf >> 12) + 16;
	uint32_t high = (uint32_t)(DRV_HIGH_GPA >> 12) + 5;
	(void)state;

	uint32_t pfns[] = { base + 3, base + 1, high, base + 2, base + 10, base + 1 };
	int h = post_pfns(v, pfns, 6, 0);
	assert_int_equal(serve(v, BALLOON_RING_INFLATE), BALLOON_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(nr_calls, 3);
	expect_call(0, (uint64_t)(base + 1) << 12, 3 * PAGE);
	expect_call(1, (uint64_t)(base + 10) << 12, PAGE);
	expect_call(2, (uint64_t)high << 12, PAGE);
	assert_int_equal(v->st.inflated_pages, 5);
	assert_int_equal(v->st.inflate_count, 1);
	assert_int_equal(v->st.event_fails, 0);
	env_free(v);
}

/* Two regions adjacent in guest space and in the card's mapping: one
 * discard over the boundary. A page across the boundary of regions that
 * are not adjacent (the end of low memory) is refused. */
static void test_inflate_regions(void **state)
{
	struct env *v = env_new(recorder);
	uint32_t edge = (16u << 20) >> 12;
	(void)state;

	int h = post_pfns(v, (uint32_t[]){ edge - 1, edge }, 2, 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(nr_calls, 1);
	expect_call(0, (uint64_t)(edge - 1) << 12, 2 * PAGE);
	assert_int_equal(v->st.event_fails, 0);
	env_free(v);
}

/* Pages outside guest memory (the hole above 32 MiB, the top PFN) are
 * skipped and fail the chain; the good ones are given back all the
 * same. */
static void test_inflate_out_of_range(void **state)
{
	struct env *v = env_new(recorder);
	uint32_t good = (uint32_t)(v->fx.buf >> 12) + 20;
	(void)state;

	uint32_t pfns[] = { (32u << 20) >> 12, good, 0xffffffffu, good + 1,
			    (uint32_t)((DRV_HIGH_GPA + (32u << 20)) >> 12) };
	int h = post_pfns(v, pfns, 5, 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(nr_calls, 1);
	expect_call(0, (uint64_t)good << 12, 2 * PAGE);
	assert_int_equal(v->st.inflated_pages, 2);
	assert_int_equal(v->st.inflate_count, 1);
	assert_int_equal(v->st.event_fails, 1);
	env_free(v);
}

/* A list that is not whole PFNs, one longer than 256, a writable
 * buffer, an empty list: completed, nothing given back; all but the
 * empty one failed. */
static void test_inflate_bad_lengths(void **state)
{
	struct env *v = env_new(recorder);
	uint32_t pfns[BALLOON_MAX_PFNS + 1];
	(void)state;

	for (unsigned i = 0; i <= BALLOON_MAX_PFNS; i++)
		pfns[i] = (uint32_t)(v->fx.buf >> 12) + i;
	int h1 = post_pfns(v, pfns, 2, 6);
	int h2 = post_pfns(v, pfns, BALLOON_MAX_PFNS + 1, 0);
	struct drv_buf w[2] = { { v->list, 8, false }, { v->list + 64, 8, true } };
	int h3 = drv_vq_add(&v->fx.dq, w, 2, 0);
	int h4 = post_pfns(v, pfns, 0, 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h1), 0);
	assert_int_equal(net_fx_used(&v->fx, h2), 0);
	assert_int_equal(net_fx_used(&v->fx, h3), 0);
	assert_int_equal(net_fx_used(&v->fx, h4), 0);
	assert_int_equal(nr_calls, 0);
	assert_int_equal(v->st.inflate_count, 4);
	assert_int_equal(v->st.event_fails, 3);
	assert_int_equal(v->st.inflated_pages, 0);
	/* Exactly 256 is taken. */
	int h5 = post_pfns(v, pfns, BALLOON_MAX_PFNS, 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h5), 0);
	assert_int_equal(nr_calls, 1);
	expect_call(0, v->fx.buf, BALLOON_MAX_PFNS * PAGE);
	assert_int_equal(v->st.inflated_pages, BALLOON_MAX_PFNS);
	env_free(v);
}

/* A chain virtq_pop refuses (outside guest memory) and a discard the
 * host refuses: both counted as failed events, the ring goes on. */
static void test_inflate_failures(void **state)
{
	struct env *v = env_new(recorder);
	(void)state;

	struct drv_buf b = { 0x200000000ULL, 8, false };
	int h = drv_vq_add(&v->fx.dq, &b, 1, 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(v->st.inflate_count, 1);
	assert_int_equal(v->st.event_fails, 1);
	discard_fails = true;
	h = post_pfns(v, (uint32_t[]){ (uint32_t)(v->fx.buf >> 12) }, 1, 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(nr_calls, 1);
	assert_int_equal(v->st.inflate_count, 2);
	assert_int_equal(v->st.event_fails, 2);
	assert_int_equal(v->st.inflated_pages, 0);
	env_free(v);
}

/* For real: the pages read zero afterwards, the memfd holds fewer
 * blocks, the neighbours are untouched. */
static void test_inflate_gives_memory_back(void **state)
{
	struct env *v = env_new(balloon_remove);
	uint64_t gpa = v->fx.buf + 64 * PAGE;
	uint32_t pfn = (uint32_t)(gpa >> 12);
	struct stat before, after;
	(void)state;

	memset(at(v, gpa - PAGE), FILL, 6 * PAGE);
	int h = post_pfns(v, (uint32_t[]){ pfn + 2, pfn, pfn + 1, pfn + 3 }, 4, 0);
	/* After the list was written: its page is allocated by then. */
	assert_int_equal(fstat(v->fx.mem.fd, &before), 0);
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(fstat(v->fx.mem.fd, &after), 0);
	/* st_blocks counts 512-byte units. */
	assert_int_equal(before.st_blocks - after.st_blocks, 4 * PAGE / 512);
	for (unsigned i = 0; i < 4 * PAGE; i++)
		if (at(v, gpa)[i])
			fail_msg("byte %u of the inflated pages is 0x%x", i, at(v, gpa)[i]);
	assert_int_equal(at(v, gpa - 1)[0], FILL);
	assert_int_equal(at(v, gpa + 4 * PAGE)[0], FILL);
	assert_int_equal(at(v, gpa + 5 * PAGE - 1)[0], FILL);
	assert_int_equal(v->st.inflated_pages, 4);
	assert_int_equal(v->st.event_fails, 0);
	env_free(v);
}

/* High memory said to be of 2 MiB pages (guest RAM on hugetlbfs): its
 * pages, inflated or reported, are kept, not failed and counted as given
 * nothing; the low ones beside them still go. */
static void test_huge_pages_kept(void **state)
{
	struct env *v = env_new(recorder);
	uint32_t low = (uint32_t)(v->fx.buf >> 12) + 8, high = (uint32_t)(DRV_HIGH_GPA >> 12);
	(void)state;

	v->fx.gm.r[2].page = 2 << 20;
	int h = post_pfns(v, (uint32_t[]){ high, low, high + 1, high + 511 }, 4, 0);
	struct drv_buf b[2] = { { DRV_HIGH_GPA, 2 << 20, true }, { v->fx.buf, 2 * PAGE, true } };
	serve(v, BALLOON_RING_INFLATE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	h = drv_vq_add(&v->fx.dq, b, 2, 0);
	serve(v, BALLOON_RING_REPORTING);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(nr_calls, 2);
	expect_call(0, (uint64_t)low << 12, PAGE);
	expect_call(1, v->fx.buf, 2 * PAGE);
	assert_int_equal(v->st.inflated_pages, 1);
	assert_int_equal(v->st.free_page_report_freed, 2 * PAGE);
	assert_int_equal(v->st.free_page_report_count, 2);
	assert_int_equal(v->st.event_fails + v->st.free_page_report_fails, 0);
	env_free(v);
}

static void test_deflate(void **state)
{
	struct env *v = env_new(recorder);
	(void)state;

	memset(at(v, v->list), FILL, 64);
	int h1 = post_pfns(v, (uint32_t[]){ 1, 2 }, 2, 0);
	int h2 = post_pfns(v, (uint32_t[]){ 3 }, 1, 3);
	assert_int_equal(serve(v, BALLOON_RING_DEFLATE), BALLOON_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h1), 0);
	assert_int_equal(net_fx_used(&v->fx, h2), 0);
	assert_int_equal(nr_calls, 0);
	assert_int_equal(v->st.deflate_count, 2);
	assert_int_equal(v->st.event_fails, 0);
	assert_int_equal(v->st.inflate_count, 0);
	env_free(v);
}

/* Writes n statistics at gpa. */
static void put_stats(struct env *v, uint64_t gpa, const uint16_t *tag, const uint64_t *val,
		      unsigned n)
{
	uint8_t *p = at(v, gpa);

	for (unsigned i = 0; i < n; i++) {
		uint16_t t = htole16(tag[i]);
		uint64_t x = htole64(val[i]);
		memcpy(p + i * 10, &t, 2);
		memcpy(p + i * 10 + 2, &x, 8);
	}
}

/* A partial set with an unknown tag: the known ones land with their bits,
 * the unknown one is ignored, the buffer is held until returned. */
static void test_stats_held_and_returned(void **state)
{
	struct env *v = env_new(recorder);
	(void)state;

	put_stats(v, v->list, (uint16_t[]){ VIRTIO_BALLOON_S_MEMFREE, 200,
					    VIRTIO_BALLOON_S_SWAP_IN,
					    VIRTIO_BALLOON_S_DIRECT_RECLAIM },
		  (uint64_t[]){ 123456789, 7, 1ULL << 40, 99 }, 4);
	int h = net_fx_post(&v->fx, v->list, 40, false);
	assert_int_equal(serve(v, BALLOON_RING_STATS), BALLOON_IDLE);
	net_fx_no_more_used(&v->fx);
	assert_true(v->srv.held);
	assert_int_equal(v->st.stats_updates_count, 1);
	assert_int_equal(v->st.stats_update_fails, 0);
	assert_int_equal(v->st.stat[VIRTIO_BALLOON_S_MEMFREE], 123456789);
	assert_int_equal(v->st.stat[VIRTIO_BALLOON_S_SWAP_IN], 1ULL << 40);
	assert_int_equal(v->st.stat[VIRTIO_BALLOON_S_DIRECT_RECLAIM], 99);
	assert_int_equal(v->st.stat_seen, 1ULL << VIRTIO_BALLOON_S_MEMFREE |
			 1ULL << VIRTIO_BALLOON_S_SWAP_IN |
			 1ULL << VIRTIO_BALLOON_S_DIRECT_RECLAIM);
	assert_true(balloon_stats_return(&v->srv, &v->fx.q));
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_false(v->srv.held);
	assert_false(balloon_stats_return(&v->srv, &v->fx.q));
	net_fx_no_more_used(&v->fx);
	/* The driver posts it again with a new figure: updated, others kept. */
	put_stats(v, v->list, (uint16_t[]){ VIRTIO_BALLOON_S_MEMFREE },
		  (uint64_t[]){ 5 }, 1);
	h = net_fx_post(&v->fx, v->list, 10, false);
	serve(v, BALLOON_RING_STATS);
	assert_int_equal(v->st.stat[VIRTIO_BALLOON_S_MEMFREE], 5);
	assert_int_equal(v->st.stat[VIRTIO_BALLOON_S_SWAP_IN], 1ULL << 40);
	assert_int_equal(v->st.stats_updates_count, 2);
	assert_true(balloon_stats_return(&v->srv, &v->fx.q));
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	env_free(v);
}

/* A second buffer while one is held gets the first back; malformed
 * buffers (a fragment of a statistic, more than 256, writable) are not
 * read but held all the same. */
static void test_stats_malformed(void **state)
{
	struct env *v = env_new(recorder);
	uint64_t big = v->list + 8192;
	(void)state;

	put_stats(v, v->list, (uint16_t[]){ VIRTIO_BALLOON_S_MEMTOT }, (uint64_t[]){ 42 }, 1);
	int h1 = net_fx_post(&v->fx, v->list, 15, false);
	serve(v, BALLOON_RING_STATS);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(v->st.stats_update_fails, 1);
	assert_int_equal(v->st.stat_seen, 0);
	/* 257 statistics: oversized. */
	for (unsigned i = 0; i < BALLOON_MAX_STATS + 1; i++)
		put_stats(v, big + i * 10, (uint16_t[]){ VIRTIO_BALLOON_S_MEMTOT },
			  (uint64_t[]){ 1 }, 1);
	int h2 = net_fx_post(&v->fx, big, (BALLOON_MAX_STATS + 1) * 10, false);
	serve(v, BALLOON_RING_STATS);
	assert_int_equal(net_fx_used(&v->fx, h1), 0);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(v->st.stats_update_fails, 2);
	assert_int_equal(v->st.stat_seen, 0);
	int h3 = net_fx_post(&v->fx, v->list, 10, true);
	serve(v, BALLOON_RING_STATS);
	assert_int_equal(net_fx_used(&v->fx, h2), 0);
	assert_int_equal(v->st.stats_update_fails, 3);
	assert_int_equal(v->st.stat_seen, 0);
	/* Exactly 256 is read. */
	int h4 = net_fx_post(&v->fx, big, BALLOON_MAX_STATS * 10, false);
	serve(v, BALLOON_RING_STATS);
	assert_int_equal(net_fx_used(&v->fx, h3), 0);
	assert_int_equal(v->st.stats_update_fails, 3);
	assert_int_equal(v->st.stat_seen, 1ULL << VIRTIO_BALLOON_S_MEMTOT);
	assert_int_equal(v->st.stats_updates_count, 4);
	assert_true(balloon_stats_return(&v->srv, &v->fx.q));
	assert_int_equal(net_fx_used(&v->fx, h4), 0);
	env_free(v);
}

static void test_stats_parse(void **state)
{
	struct card_balloon_stats st = { 0 };
	uint8_t buf[30] = { 0 };
	(void)state;

	assert_int_equal(balloon_stats_parse(buf, 0, &st), 0);
	assert_int_equal(st.stat_seen, 0);
	buf[0] = VIRTIO_BALLOON_S_NR - 1;
	buf[2] = 0x34;
	buf[9] = 0x12;                  /* the value's top byte */
	buf[10] = VIRTIO_BALLOON_S_NR;  /* unknown: ignored */
	buf[12] = 1;
	buf[20] = 0;                    /* SWAP_IN = 0 is seen */
	buf[21] = 1;                    /* tag 256: unknown */
	assert_int_equal(balloon_stats_parse(buf, 30, &st), 0);
	assert_int_equal(st.stat[VIRTIO_BALLOON_S_NR - 1], 0x1200000000000034ULL);
	assert_int_equal(st.stat_seen, 1ULL << (VIRTIO_BALLOON_S_NR - 1));
	buf[21] = 0;
	assert_int_equal(balloon_stats_parse(buf, 30, &st), 0);
	assert_int_equal(st.stat_seen, 1ULL << (VIRTIO_BALLOON_S_NR - 1) | 1);
	memset(&st, 0, sizeof(st));
	assert_int_equal(balloon_stats_parse(buf, 29, &st), -1);
	assert_int_equal(balloon_stats_parse(buf, 9, &st), -1);
	assert_int_equal(st.stat_seen, 0);
}

/* Free page reports: each buffer a range, given back as it lies (the
 * discard takes the whole pages inside); counts per range. */
static void test_reporting(void **state)
{
	struct env *v = env_new(recorder);
	uint64_t r1 = v->fx.buf + 16 * PAGE, r2 = DRV_HIGH_GPA + 100;
	(void)state;

	struct drv_buf b[2] = { { r1, 8 * PAGE, true }, { r2, 3 * PAGE, true } };
	int h = drv_vq_add(&v->fx.dq, b, 2, 0);
	assert_int_equal(serve(v, BALLOON_RING_REPORTING), BALLOON_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(nr_calls, 2);
	expect_call(0, r1, 8 * PAGE);
	expect_call(1, r2, 3 * PAGE);
	assert_int_equal(v->st.free_page_report_count, 2);
	assert_int_equal(v->st.free_page_report_freed, 11 * PAGE);
	assert_int_equal(v->st.free_page_report_fails, 0);
	/* A refused chain and a discard that fails: both failed reports. */
	struct drv_buf out = { 0x200000000ULL, PAGE, true };
	h = drv_vq_add(&v->fx.dq, &out, 1, 0);
	serve(v, BALLOON_RING_REPORTING);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	discard_fails = true;
	h = drv_vq_add(&v->fx.dq, b, 1, 0);
	serve(v, BALLOON_RING_REPORTING);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(v->st.free_page_report_count, 4);
	assert_int_equal(v->st.free_page_report_fails, 2);
	assert_int_equal(v->st.free_page_report_freed, 11 * PAGE);
	env_free(v);
}

/* For real, a range that does not start or end on a page: only the
 * whole pages inside are given back. */
static void test_reporting_alignment(void **state)
{
	struct env *v = env_new(balloon_remove);
	uint64_t r = v->fx.buf + 32 * PAGE;
	(void)state;

	memset(at(v, r), FILL, 4 * PAGE);
	struct drv_buf b = { r + 100, 3 * PAGE, true };
	int h = drv_vq_add(&v->fx.dq, &b, 1, 0);
	serve(v, BALLOON_RING_REPORTING);
	assert_int_equal(net_fx_used(&v->fx, h), 0);
	assert_int_equal(v->st.free_page_report_freed, 2 * PAGE);
	assert_int_equal(at(v, r + PAGE - 1)[0], FILL);
	assert_int_equal(at(v, r + PAGE)[0], 0);
	assert_int_equal(at(v, r + 3 * PAGE - 1)[0], 0);
	assert_int_equal(at(v, r + 3 * PAGE)[0], FILL);
	env_free(v);
}

/* The budget bounds a pass; the rest waits for the next one. */
static void test_budget(void **state)
{
	struct env *v = env_new(recorder);
	int h[5];
	(void)state;

	v->srv.budget = 2;
	for (int i = 0; i < 5; i++)
		h[i] = post_pfns(v, (uint32_t[]){ 1 }, 1, 0);
	assert_int_equal(serve(v, BALLOON_RING_DEFLATE), BALLOON_MORE);
	assert_int_equal(v->st.deflate_count, 2);
	assert_int_equal(serve(v, BALLOON_RING_DEFLATE), BALLOON_MORE);
	assert_int_equal(serve(v, BALLOON_RING_DEFLATE), BALLOON_IDLE);
	for (int i = 0; i < 5; i++)
		assert_int_equal(net_fx_used(&v->fx, h[i]), 0);
	assert_int_equal(v->st.deflate_count, 5);
	/* No role, nothing served. */
	int x = post_pfns(v, (uint32_t[]){ 1 }, 1, 0);
	assert_int_equal(serve(v, BALLOON_RING_NONE), BALLOON_IDLE);
	net_fx_no_more_used(&v->fx);
	serve(v, BALLOON_RING_DEFLATE);
	assert_int_equal(net_fx_used(&v->fx, x), 0);
	env_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflate_coalesce),
		cmocka_unit_test(test_inflate_regions),
		cmocka_unit_test(test_inflate_out_of_range),
		cmocka_unit_test(test_inflate_bad_lengths),
		cmocka_unit_test(test_inflate_failures),
		cmocka_unit_test(test_inflate_gives_memory_back),
		cmocka_unit_test(test_huge_pages_kept),
		cmocka_unit_test(test_deflate),
		cmocka_unit_test(test_stats_held_and_returned),
		cmocka_unit_test(test_stats_malformed),
		cmocka_unit_test(test_stats_parse),
		cmocka_unit_test(test_reporting),
		cmocka_unit_test(test_reporting_alignment),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
