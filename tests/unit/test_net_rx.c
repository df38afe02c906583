/* Unit tests for frame delivery into receive buffers (src/cards/net/rx.c)
 * and the virtqueue calls it relies on (fill/flush, unpop, rearm_at). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cards/net/rx.h"
#include "net_fixture.h"
#include "virtio/virtio.h"

#define F(b) VIRTIO_BIT(b)
#define MODERN (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX))

struct rx_env {
	struct net_fx fx;
	struct net_mode m;
	struct net_rx_bufs *b;
	uint8_t frame[NET_HDR_LEN + NET_MAX_FRAME];
};

static struct rx_env *env_new(unsigned num, uint64_t features)
{
	struct rx_env *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->b = calloc(1, sizeof(*r->b));
	assert_non_null(r->b);
	net_fx_init(&r->fx, num, features);
	net_mode_init(&r->m, features, 0, 0);
	return r;
}

static void env_free(struct rx_env *r)
{
	net_fx_fini(&r->fx);
	free(r->b);
	free(r);
}

/* A frame of len data bytes (after the header) with a known pattern and
 * a header asking for nothing. Returns the total length. */
static size_t make_frame(struct rx_env *r, size_t len, uint8_t seed)
{
	memset(r->frame, 0, r->m.hdr_len);
	for (size_t i = 0; i < len; i++)
		r->frame[r->m.hdr_len + i] = (uint8_t)(seed + i * 7);
	return r->m.hdr_len + len;
}

static enum net_rx_result deliver(struct rx_env *r, size_t total)
{
	struct azerr e;

	return net_rx_deliver(&r->fx.q, r->b, &r->m, r->frame, total, &e);
}

static uint16_t used_idx(struct rx_env *r)
{
	return r->fx.dq.used->idx;
}

static uint16_t avail_event(struct rx_env *r)
{
	return *(uint16_t *)&r->fx.dq.used->ring[r->fx.dq.num];
}

static void test_single_buffer(void **state)
{
	struct rx_env *r = env_new(8, MODERN);
	uint16_t id;
	uint32_t len;
	(void)state;

	int head = net_fx_post_rx(&r->fx, r->fx.buf, 2048);
	size_t total = make_frame(r, 1514, 3);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, total);
	const uint8_t *g = drv_gpa(&r->fx.mem, r->fx.buf);
	const struct virtio_net_hdr_v1 *h = (const void *)g;
	/* §5.1.6.4: num_buffers is 1 with VERSION_1 and no MRG_RXBUF. */
	assert_int_equal(h->num_buffers, 1);
	assert_memory_equal(g + NET_HDR_LEN, r->frame + NET_HDR_LEN, 1514);
	env_free(r);
}

static void test_legacy_header(void **state)
{
	struct rx_env *r = env_new(8, 0);
	uint16_t id;
	uint32_t len;
	(void)state;

	net_fx_post_rx(&r->fx, r->fx.buf, 2048);
	uint8_t *g = drv_gpa(&r->fx.mem, r->fx.buf);
	memset(g, 0xee, 2048);
	size_t total = make_frame(r, 60, 9);
	assert_int_equal(r->m.hdr_len, NET_HDR_LEN_LEGACY);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(len, 70);
	assert_memory_equal(g + 10, r->frame + 10, 60);
	assert_int_equal(g[70], 0xee);
	env_free(r);
}

static void test_mergeable_spans_buffers(void **state)
{
	struct rx_env *r = env_new(16, MODERN | F(VIRTIO_NET_F_MRG_RXBUF));
	uint32_t lens[3];
	uint16_t ids[3];
	int heads[3];
	(void)state;

	for (int i = 0; i < 3; i++)
		heads[i] = net_fx_post_rx(&r->fx, r->fx.buf + i * 4096, 1536);
	size_t total = make_frame(r, 4000, 5);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	/* All three published by one index update. */
	assert_int_equal(used_idx(r), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(drv_vq_get_used(&r->fx.dq, &ids[i], &lens[i]));
		assert_int_equal(ids[i], heads[i]);
	}
	assert_int_equal(lens[0], 1536);
	assert_int_equal(lens[1], 1536);
	assert_int_equal(lens[2], total - 3072);
	const struct virtio_net_hdr_v1 *h = drv_gpa(&r->fx.mem, r->fx.buf);
	assert_int_equal(h->num_buffers, 3);
	uint8_t got[NET_HDR_LEN + 4000];
	for (int i = 0; i < 3; i++)
		memcpy(got + i * 1536, drv_gpa(&r->fx.mem, r->fx.buf + i * 4096), lens[i]);
	assert_memory_equal(got + NET_HDR_LEN, r->frame + NET_HDR_LEN, 4000);
	env_free(r);
}

static void test_no_buffers_then_kick(void **state)
{
	struct rx_env *r = env_new(8, MODERN | F(VIRTIO_NET_F_MRG_RXBUF));
	(void)state;

	size_t total = make_frame(r, 4000, 1);
	assert_int_equal(deliver(r, total), NET_RX_NO_BUFFERS);
	assert_int_equal(r->fx.q.last_avail, 0);
	/* Two buffers are not enough: both are given back, and the kick is
	 * asked for beyond them. */
	net_fx_post_rx(&r->fx, r->fx.buf, 1536);
	net_fx_post_rx(&r->fx, r->fx.buf + 4096, 1536);
	assert_int_equal(deliver(r, total), NET_RX_NO_BUFFERS);
	assert_int_equal(r->fx.q.last_avail, 0);
	assert_int_equal(used_idx(r), 0);
	assert_int_equal(avail_event(r), 2);
	/* The driver adding a third buffer passes avail_event: it kicks. */
	uint16_t old = r->fx.dq.kicked_at = 2;
	net_fx_post_rx(&r->fx, r->fx.buf + 8192, 1536);
	assert_true(virtq_need_event(avail_event(r), r->fx.dq.avail_idx, old));
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_int_equal(used_idx(r), 3);
	assert_int_equal(r->fx.q.last_avail, 3);
	env_free(r);
}

static void test_too_big_for_buffer(void **state)
{
	struct rx_env *r = env_new(8, MODERN);
	uint16_t id;
	uint32_t len;
	(void)state;

	/* Without MRG_RXBUF a frame needs one buffer large enough: the frame
	 * is dropped, the buffer kept for the next one. */
	net_fx_post_rx(&r->fx, r->fx.buf, 1526);
	assert_int_equal(deliver(r, make_frame(r, 1515, 0)), NET_RX_DROPPED);
	assert_int_equal(r->fx.q.last_avail, 0);
	assert_int_equal(used_idx(r), 0);
	assert_int_equal(deliver(r, make_frame(r, 1514, 0)), NET_RX_DONE);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(len, 1526);
	env_free(r);
}

static void test_never_fits_ring(void **state)
{
	struct rx_env *r = env_new(4, MODERN | F(VIRTIO_NET_F_MRG_RXBUF));
	struct azerr e;
	(void)state;

	/* The whole ring (4 x 100 bytes) cannot hold it: dropped, not
	 * waited for (the driver cannot post more). */
	for (int i = 0; i < 4; i++)
		net_fx_post_rx(&r->fx, r->fx.buf + i * 256, 100);
	size_t total = make_frame(r, 1000, 0);
	assert_int_equal(net_rx_deliver(&r->fx.q, r->b, &r->m, r->frame, total, &e),
			 NET_RX_DROPPED);
	assert_non_null(strstr(e.msg, "does not fit in 4 receive buffers"));
	assert_int_equal(r->fx.q.last_avail, 0);
	assert_int_equal(deliver(r, make_frame(r, 300, 0)), NET_RX_DONE);
	assert_int_equal(used_idx(r), 4);
	env_free(r);
}

static void test_unusable_buffers_skipped(void **state)
{
	struct rx_env *r = env_new(8, MODERN);
	uint16_t id;
	uint32_t len;
	(void)state;

	/* A device-readable buffer and one too small for the header are
	 * completed empty; the next good one takes the frame. */
	struct drv_buf ro = { r->fx.buf, 2048, false };
	int bad1 = drv_vq_add(&r->fx.dq, &ro, 1, 0);
	int bad2 = net_fx_post_rx(&r->fx, r->fx.buf + 4096, 11);
	int good = net_fx_post_rx(&r->fx, r->fx.buf + 8192, 2048);
	assert_int_equal(deliver(r, make_frame(r, 100, 0)), NET_RX_DONE);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(id, bad1);
	assert_int_equal(len, 0);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(id, bad2);
	assert_int_equal(len, 0);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(id, good);
	assert_int_equal(len, NET_HDR_LEN + 100);
	assert_int_equal(r->fx.q.bad_chains, 2);
	env_free(r);
}

/* Buffers a driver keeps giving that are none (device-readable ones
 * here) cost a delivery NET_RX_MAX_WASTE at most: it stops short with
 * the frame kept, and the next delivery goes on from there. */
static void test_waste_bounded(void **state)
{
	struct rx_env *r = env_new(128, MODERN);
	struct drv_buf ro = { r->fx.buf, 64, false };
	uint16_t id;
	uint32_t len;
	(void)state;

	for (unsigned i = 0; i < NET_RX_MAX_WASTE + 1; i++)
		assert_true(drv_vq_add(&r->fx.dq, &ro, 1, 0) >= 0);
	int good = net_fx_post_rx(&r->fx, r->fx.buf + 8192, 2048);
	size_t total = make_frame(r, 100, 0);
	assert_int_equal(deliver(r, total), NET_RX_AGAIN);
	assert_int_equal(r->fx.q.bad_chains, NET_RX_MAX_WASTE);
	assert_int_equal(used_idx(r), NET_RX_MAX_WASTE);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_int_equal(r->fx.q.bad_chains, NET_RX_MAX_WASTE + 1);
	for (unsigned i = 0; i < NET_RX_MAX_WASTE + 1; i++) {
		assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
		assert_int_equal(len, 0);
	}
	assert_int_equal(net_fx_used(&r->fx, good), NET_HDR_LEN + 100);
	env_free(r);
}

static void test_no_rewind_over_bad_chain(void **state)
{
	struct rx_env *r = env_new(8, MODERN | F(VIRTIO_NET_F_MRG_RXBUF));
	uint16_t id;
	uint32_t len;
	(void)state;

	/* good, bad, good: not enough for the frame. The bad one is already
	 * completed, so rewinding would complete it twice: the good ones
	 * are completed empty instead, and nothing is taken twice. */
	int g1 = net_fx_post_rx(&r->fx, r->fx.buf, 1000);
	net_fx_post_rx(&r->fx, r->fx.buf + 4096, 4);
	int g2 = net_fx_post_rx(&r->fx, r->fx.buf + 8192, 1000);
	assert_int_equal(deliver(r, make_frame(r, 4000, 0)), NET_RX_NO_BUFFERS);
	assert_int_equal(r->fx.q.last_avail, 3);
	assert_int_equal(used_idx(r), 3);
	bool seen1 = false, seen2 = false;
	while (drv_vq_get_used(&r->fx.dq, &id, &len)) {
		assert_int_equal(len, 0);
		seen1 |= id == g1;
		seen2 |= id == g2;
	}
	assert_true(seen1 && seen2);
	env_free(r);
}

static void test_buffer_across_regions(void **state)
{
	struct rx_env *r = env_new(8, MODERN);
	uint16_t id;
	uint32_t len;
	(void)state;

	/* gpa 16M-100 .. 16M+1948 spans two memory regions. */
	uint64_t gpa = (16ULL << 20) - 100;
	net_fx_post_rx(&r->fx, gpa, 2048);
	size_t total = make_frame(r, 1500, 77);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_true(drv_vq_get_used(&r->fx.dq, &id, &len));
	assert_int_equal(len, total);
	assert_memory_equal((uint8_t *)drv_gpa(&r->fx.mem, gpa) + NET_HDR_LEN,
			    r->frame + NET_HDR_LEN, 1500);
	env_free(r);
}

static void test_header_fixed_for_driver(void **state)
{
	struct rx_env *r = env_new(8, MODERN);
	struct azerr e;
	(void)state;

	net_fx_post_rx(&r->fx, r->fx.buf, 2048);
	size_t total = make_frame(r, 100, 0);
	struct virtio_net_hdr_v1 *h = (void *)r->frame;
	h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	/* No GUEST_CSUM: the driver sees no checksum flags. */
	assert_int_equal(((struct virtio_net_hdr_v1 *)drv_gpa(&r->fx.mem, r->fx.buf))->flags, 0);
	/* A GSO frame the driver did not negotiate is dropped, buffers kept. */
	net_fx_post_rx(&r->fx, r->fx.buf + 4096, 2048);
	total = make_frame(r, 100, 0);
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h->gso_size = 1448;
	assert_int_equal(net_rx_deliver(&r->fx.q, r->b, &r->m, r->frame, total, &e),
			 NET_RX_DROPPED);
	assert_int_equal(r->fx.q.last_avail, 1);
	assert_int_equal(deliver(r, 5), NET_RX_DROPPED);
	env_free(r);
}

/* The ones' complement sum of b[0..n) in 16-bit big-endian words, a last
 * odd byte padded with zero, added to sum and folded. */
static uint16_t ones_sum(const uint8_t *b, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? b[i] : (uint32_t)b[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An IPv4/UDP frame from 10.0.0.1 to 10.0.0.2 with payload bytes of data,
 * its checksum left partial as a sender offloading it leaves it: the
 * pseudo-header's sum in the field, NEEDS_CSUM, csum_start at the UDP
 * header. Returns the total length. */
static size_t partial_udp(struct rx_env *r, size_t payload)
{
	uint8_t *f = r->frame + r->m.hdr_len;
	struct virtio_net_hdr_v1 *h = (void *)r->frame;
	const size_t udp_len = 8 + payload;

	make_frame(r, 14 + 20 + udp_len, 5);
	f[12] = 0x08, f[13] = 0x00;
	f[14] = 0x45, f[16] = (uint8_t)((20 + udp_len) >> 8), f[17] = (uint8_t)(20 + udp_len);
	f[23] = 17;
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[38] = (uint8_t)(udp_len >> 8), f[39] = (uint8_t)udp_len;
	uint8_t pseudo[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 17,
			       (uint8_t)(udp_len >> 8), (uint8_t)udp_len };
	uint16_t partial = ones_sum(pseudo, sizeof(pseudo), 0);
	f[40] = (uint8_t)(partial >> 8), f[41] = (uint8_t)partial;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = 34;
	h->csum_offset = 6;
	return r->m.hdr_len + 14 + 20 + udp_len;
}

/* A frame the TAP still gives with a partial checksum after the driver
 * dropped GUEST_CSUM (it was queued before TUNSETOFFLOAD changed): the
 * card completes the checksum, since the driver neither sees NEEDS_CSUM
 * nor checks it (§5.1.6.4: a fully checksummed packet). */
static void test_partial_checksum_completed(void **state)
{
	struct rx_env *r = env_new(8, MODERN);
	const uint8_t *g = drv_gpa(&r->fx.mem, r->fx.buf);
	(void)state;

	for (int i = 0; i < 3; i++)
		net_fx_post_rx(&r->fx, r->fx.buf + 4096 * i, 2048);
	size_t total = partial_udp(r, 101);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_int_equal(((const struct virtio_net_hdr_v1 *)g)->flags, 0);
	/* As a receiver checks it: pseudo-header, header and data sum to
	 * all ones. */
	const uint8_t *udp = g + NET_HDR_LEN + 34;
	uint8_t pseudo[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 109 };
	assert_int_equal(ones_sum(udp, 109, ones_sum(pseudo, sizeof(pseudo), 0)), 0xffff);
	assert_memory_equal(udp + 8, r->frame + NET_HDR_LEN + 42, 101);

	/* A sum of zero goes out as 0xffff: to UDP, zero is no checksum. */
	total = make_frame(r, 60, 0);
	struct virtio_net_hdr_v1 *h = (void *)r->frame;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = 40;
	h->csum_offset = 0;
	memset(r->frame + NET_HDR_LEN + 40, 0, 20);
	r->frame[NET_HDR_LEN + 42] = 0xff, r->frame[NET_HDR_LEN + 43] = 0xff;
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	g += 4096;
	assert_int_equal(g[NET_HDR_LEN + 40] << 8 | g[NET_HDR_LEN + 41], 0xffff);

	/* Offsets past the frame cannot be completed: the frame is dropped. */
	total = make_frame(r, 60, 0);
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = 50;
	h->csum_offset = 10;
	assert_int_equal(deliver(r, total), NET_RX_DROPPED);
	assert_int_equal(used_idx(r), 2);
	env_free(r);
}

/* With GUEST_CSUM the driver completes it: the frame passes untouched. */
static void test_partial_checksum_passed(void **state)
{
	struct rx_env *r = env_new(8, MODERN | F(VIRTIO_NET_F_GUEST_CSUM));
	const uint8_t *g = drv_gpa(&r->fx.mem, r->fx.buf);
	(void)state;

	net_fx_post_rx(&r->fx, r->fx.buf, 2048);
	size_t total = partial_udp(r, 101);
	assert_int_equal(deliver(r, total), NET_RX_DONE);
	assert_int_equal(((const struct virtio_net_hdr_v1 *)g)->flags,
			 VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_memory_equal(g + NET_HDR_LEN, r->frame + NET_HDR_LEN, total - NET_HDR_LEN);
	env_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_buffer),
		cmocka_unit_test(test_legacy_header),
		cmocka_unit_test(test_mergeable_spans_buffers),
		cmocka_unit_test(test_no_buffers_then_kick),
		cmocka_unit_test(test_too_big_for_buffer),
		cmocka_unit_test(test_never_fits_ring),
		cmocka_unit_test(test_unusable_buffers_skipped),
		cmocka_unit_test(test_waste_bounded),
		cmocka_unit_test(test_no_rewind_over_bad_chain),
		cmocka_unit_test(test_buffer_across_regions),
		cmocka_unit_test(test_header_fixed_for_driver),
		cmocka_unit_test(test_partial_checksum_completed),
		cmocka_unit_test(test_partial_checksum_passed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
