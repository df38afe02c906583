/* virtio-vsock packet headers (src/cards/vsock/pkt.c): the wire layout
 * both ways, and what a guest's header gets before any connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/vsock/pkt.h"

#define CID 3

static struct vsock_hdr good(uint16_t op, uint32_t len)
{
	return (struct vsock_hdr){ .src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = 1234,
				   .dst_port = 52, .len = len, .type = VSOCK_TYPE_STREAM,
				   .op = op, .buf_alloc = 65536 };
}

static void test_layout(void **state)
{
	/* §5.10.6: every field little-endian, in this order, 44 bytes. */
	static const uint8_t raw[VSOCK_HDR_SIZE] = {
		1, 0, 0, 0, 0, 0, 0, 0x10,  2, 0, 0, 0, 0, 0, 0, 0,
		0x34, 0x12, 0, 0,  0x35, 0, 0, 0,  0x10, 0, 0, 0,
		1, 0,  5, 0,  2, 0, 0, 0,  0, 0, 1, 0,  0xff, 0xff, 0xff, 0xff,
	};
	struct vsock_hdr h;
	uint8_t back[VSOCK_HDR_SIZE];
	(void)state;

	vsock_hdr_decode(raw, &h);
	assert_true(h.src_cid == 0x1000000000000001ULL);
	assert_int_equal(h.dst_cid, 2);
	assert_int_equal(h.src_port, 0x1234);
	assert_int_equal(h.dst_port, 0x35);
	assert_int_equal(h.len, 16);
	assert_int_equal(h.type, 1);
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_int_equal(h.flags, 2);
	assert_int_equal(h.buf_alloc, 65536);
	assert_int_equal(h.fwd_cnt, 0xffffffffu);
	vsock_hdr_encode(&h, back);
	assert_memory_equal(raw, back, sizeof(raw));
}

static void test_accepted(void **state)
{
	const char *why;
	(void)state;

	for (uint16_t op = VSOCK_OP_REQUEST; op <= VSOCK_OP_CREDIT_REQUEST; op++) {
		struct vsock_hdr h = good(op, 0);
		assert_int_equal(vsock_pkt_check(&h, VSOCK_HDR_SIZE, CID, &why), VSOCK_PKT_OK);
		assert_null(why);
	}
	struct vsock_hdr h = good(VSOCK_OP_RW, VSOCK_MAX_PAYLOAD);
	assert_int_equal(vsock_pkt_check(&h, VSOCK_HDR_SIZE + VSOCK_MAX_PAYLOAD, CID, &why),
			 VSOCK_PKT_OK);
	/* A chain longer than the payload is the guest's business. */
	h = good(VSOCK_OP_RW, 10);
	assert_int_equal(vsock_pkt_check(&h, VSOCK_HDR_SIZE + 4096, CID, &why), VSOCK_PKT_OK);
}

static void test_hostile(void **state)
{
	static const struct {
		struct vsock_hdr h;
		uint64_t out_len;
		enum vsock_verdict want;
		const char *why;
	} cases[] = {
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 1 }, 43, VSOCK_PKT_DROP,
		  "shorter than a header" },
		{ { .src_cid = 4, .dst_cid = 2, .type = 1, .op = 1 }, 44, VSOCK_PKT_DROP,
		  "src_cid is not the guest's" },
		{ { .src_cid = CID, .dst_cid = 3, .type = 1, .op = 1 }, 44, VSOCK_PKT_DROP,
		  "dst_cid is not the host's" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 2, .op = 1 }, 44, VSOCK_PKT_RST,
		  "type is not STREAM" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 0 }, 44, VSOCK_PKT_RST,
		  "unknown op" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 8 }, 44, VSOCK_PKT_RST,
		  "unknown op" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 1, .len = 4 }, 48,
		  VSOCK_PKT_RST, "payload on a control op" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 5, .len = 65537 },
		  44 + 65537, VSOCK_PKT_RST, "payload beyond 64 KiB" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 5, .len = 100 }, 143,
		  VSOCK_PKT_RST, "len beyond the chain's bytes" },
		{ { .src_cid = CID, .dst_cid = 2, .type = 1, .op = 5, .len = 0xffffffff }, 44,
		  VSOCK_PKT_RST, "payload beyond 64 KiB" },
		/* An RST of any type is never answered, only acted on. */
		{ { .src_cid = CID, .dst_cid = 2, .type = 9, .op = 3, .len = 7 }, 44,
		  VSOCK_PKT_OK, NULL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = "unset";
		assert_int_equal(vsock_pkt_check(&cases[i].h, cases[i].out_len, CID, &why),
				 cases[i].want);
		if (cases[i].why)
			assert_string_equal(why, cases[i].why);
		else
			assert_null(why);
	}
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(vsock_op_name(VSOCK_OP_CREDIT_REQUEST), "CREDIT_REQUEST");
	assert_string_equal(vsock_op_name(0xffff), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_op_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
