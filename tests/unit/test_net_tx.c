/* Unit tests for transmit chains (src/cards/net/tx.c) and the control
 * queue (src/cards/net/ctrl.c), on rings the fixture's driver fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cards/net/ctrl.h"
#include "cards/net/rx.h"
#include "cards/net/tx.h"
#include "net_fixture.h"
#include "cards/virtio/iov.h"
#include "virtio/virtio.h"

#define F(b) VIRTIO_BIT(b)
#define FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CSUM) | \
		  F(VIRTIO_RING_F_INDIRECT_DESC))

struct tx_env {
	struct net_fx fx;
	struct net_mode m;
	struct virtq_chain c;
	struct iovec iov[NET_IOV_MAX];
	struct iovec out[NET_IOV_MAX + 1];
	struct virtio_net_hdr_v1 hdr;
};

static int setup(void **state)
{
	struct tx_env *t = calloc(1, sizeof(*t));

	net_fx_init(&t->fx, 32, FEATURES);
	net_mode_init(&t->m, FEATURES, 0, 0);
	t->c.iov = t->iov;
	t->c.cap = NET_IOV_MAX;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tx_env *t = *state;

	net_fx_fini(&t->fx);
	free(t);
	return 0;
}

/* Writes a header and a patterned frame of len bytes at the fixture's
 * buffer; returns the frame's gpa (header first). */
static uint64_t frame_at(struct tx_env *t, uint64_t off, struct virtio_net_hdr_v1 h,
			 uint32_t len)
{
	uint8_t *p = drv_gpa(&t->fx.mem, t->fx.buf + off);

	memcpy(p, &h, NET_HDR_LEN);
	for (uint32_t i = 0; i < len; i++)
		p[NET_HDR_LEN + i] = (uint8_t)(i * 13 + 1);
	return t->fx.buf + off;
}

/* Posts the buffers and takes the chain as the card would. */
static int pop(struct tx_env *t, const struct drv_buf *b, unsigned n, uint64_t itable)
{
	assert_true(drv_vq_add(&t->fx.dq, b, n, itable) >= 0);
	assert_int_equal(virtq_pop(&t->fx.q, &t->c), 1);
	struct azerr e;
	return net_tx_prepare(&t->c, &t->m, &t->hdr, t->out, NET_IOV_MAX + 1, &e);
}

static void test_plain_frame(void **state)
{
	struct tx_env *t = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t flat[2000];

	uint64_t gpa = frame_at(t, 0, h, 1514);
	struct drv_buf b = { gpa, NET_HDR_LEN + 1514, false };
	int n = pop(t, &b, 1, 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(t->out[0].iov_base, &t->hdr);
	assert_int_equal(t->out[0].iov_len, NET_HDR_LEN);
	assert_int_equal(t->out[1].iov_len, 1514);
	/* The frame is sent from guest memory, not copied. */
	assert_ptr_equal(t->out[1].iov_base, (uint8_t *)drv_gpa(&t->fx.mem, gpa) + NET_HDR_LEN);
	assert_int_equal(iov_to_buf(t->out + 1, 1, 0, flat, sizeof(flat)), 1514);
}

static void test_any_layout(void **state)
{
	struct tx_env *t = *state;
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = 34, .csum_offset = 6 };

	/* The header split over two descriptors, the frame over three more,
	 * through an indirect table: the header is gathered into the copy. */
	uint64_t gpa = frame_at(t, 0, h, 600);
	struct drv_buf b[5] = {
		{ gpa, 5, false }, { gpa + 5, 7, false }, { gpa + 12, 100, false },
		{ gpa + 112, 400, false }, { gpa + 512, 100, false },
	};
	uint64_t itable = drv_alloc(&t->fx.mem, 16 * 8, 16, false);
	int n = pop(t, b, 5, itable);
	assert_int_equal(n, 4);
	assert_int_equal(t->hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(t->hdr.csum_start, 34);
	/* The driver rewriting its header now changes nothing we send. */
	memset(drv_gpa(&t->fx.mem, gpa), 0xff, NET_HDR_LEN);
	assert_int_equal(t->hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(t->out[1].iov_len + t->out[2].iov_len + t->out[3].iov_len, 600);
}

static void test_rejects(void **state)
{
	struct tx_env *t = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	struct azerr e;

	uint64_t gpa = frame_at(t, 0, h, 100);
	/* A device-writable part. */
	struct drv_buf wr[2] = { { gpa, NET_HDR_LEN + 100, false }, { gpa + 4096, 10, true } };
	assert_int_equal(pop(t, wr, 2, 0), -1);
	/* Shorter than a header; header plus 13 bytes (no Ethernet header). */
	struct drv_buf shorty = { gpa, 11, false };
	assert_int_equal(pop(t, &shorty, 1, 0), -1);
	struct drv_buf runt = { gpa, NET_HDR_LEN + 13, false };
	assert_int_equal(pop(t, &runt, 1, 0), -1);
	/* More than 65550 bytes of frame. */
	struct drv_buf big = { gpa, NET_HDR_LEN + NET_MAX_FRAME + 1, false };
	assert_int_equal(drv_vq_add(&t->fx.dq, &big, 1, 0) >= 0, 1);
	assert_int_equal(virtq_pop(&t->fx.q, &t->c), 1);
	assert_int_equal(net_tx_prepare(&t->c, &t->m, &t->hdr, t->out, NET_IOV_MAX + 1, &e), -1);
	assert_non_null(strstr(e.msg, "65550"));
	/* A header the rules refuse (GSO not negotiated). */
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 1448;
	h.csum_start = 34;
	h.csum_offset = 16;
	gpa = frame_at(t, 8192, h, 3000);
	struct drv_buf gso = { gpa, NET_HDR_LEN + 3000, false };
	assert_int_equal(pop(t, &gso, 1, 0), -1);
	/* Too many segments for the output iovec. */
	struct drv_buf ok = { frame_at(t, 16384, (struct virtio_net_hdr_v1){ 0 }, 100),
			      NET_HDR_LEN + 100, false };
	assert_true(drv_vq_add(&t->fx.dq, &ok, 1, 0) >= 0);
	assert_int_equal(virtq_pop(&t->fx.q, &t->c), 1);
	assert_int_equal(net_tx_prepare(&t->c, &t->m, &t->hdr, t->out, 1, &e), -1);
}

/* ---- control queue ---- */

static struct net_ctrl_result ctrl(struct tx_env *t, uint8_t class, uint8_t cmd,
				   const void *data, uint32_t dlen, bool mq,
				   uint32_t ack_len, uint8_t *ack)
{
	uint8_t *p = drv_gpa(&t->fx.mem, t->fx.buf);
	struct net_ctrl_result r;

	p[0] = class;
	p[1] = cmd;
	memcpy(p + 2, data, dlen);
	p[100] = 0xee;
	struct drv_buf b[2] = { { t->fx.buf, 2 + dlen, false },
				{ t->fx.buf + 100, ack_len, true } };
	assert_true(drv_vq_add(&t->fx.dq, b, ack_len ? 2 : 1, 0) >= 0);
	assert_int_equal(virtq_pop(&t->fx.q, &t->c), 1);
	net_ctrl_handle(&t->c, mq, 4, &r);
	*ack = p[100];
	return r;
}

static void test_ctrl_mq(void **state)
{
	struct tx_env *t = *state;
	uint16_t pairs = 3;
	uint8_t ack;
	struct net_ctrl_result r;

	r = ctrl(t, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2, true, 1, &ack);
	assert_int_equal(r.ack, VIRTIO_NET_OK);
	assert_int_equal(ack, VIRTIO_NET_OK);
	assert_int_equal(r.pairs, 3);
	assert_int_equal(r.used_len, 1);
	static const uint16_t bad[] = { 0, 5, 0x8000 };
	for (int i = 0; i < 3; i++) {
		r = ctrl(t, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &bad[i], 2,
			 true, 1, &ack);
		assert_int_equal(ack, VIRTIO_NET_ERR);
		assert_int_equal(r.pairs, 0);
	}
	/* Not negotiated; a truncated request; other classes. */
	r = ctrl(t, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2, false, 1, &ack);
	assert_int_equal(ack, VIRTIO_NET_ERR);
	r = ctrl(t, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 1, true, 1, &ack);
	assert_int_equal(ack, VIRTIO_NET_ERR);
	r = ctrl(t, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, "\1", 1, true, 1, &ack);
	assert_int_equal(ack, VIRTIO_NET_ERR);
	assert_int_equal(r.used_len, 1);
	/* Nowhere to write the ack: nothing written, length 0. */
	r = ctrl(t, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2, true, 0, &ack);
	assert_int_equal(r.used_len, 0);
	assert_int_equal(ack, 0xee);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_mq, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
