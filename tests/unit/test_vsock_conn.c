/* One vsock connection's state machine and credit (src/cards/vsock/conn.c),
 * and the host's CONNECT line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/vsock/conn.h"

#define CID 3

static struct vsock_hdr pkt(uint16_t op, uint32_t len, uint32_t buf_alloc, uint32_t fwd)
{
	return (struct vsock_hdr){ .src_cid = CID, .dst_cid = 2, .src_port = 1000,
				   .dst_port = 52, .len = len, .type = 1, .op = op,
				   .buf_alloc = buf_alloc, .fwd_cnt = fwd };
}

static void test_host_initiated(void **state)
{
	struct vsock_conn c;
	struct vsock_hdr h = pkt(VSOCK_OP_RESPONSE, 0, 4096, 0), out;
	(void)state;

	vsock_conn_init(&c, 1u << 30, 52, VSOCK_CONN_CONNECTING);
	/* Anything but RESPONSE or RST before the answer is a reset. */
	struct vsock_hdr rw = pkt(VSOCK_OP_RW, 1, 4096, 0);
	struct vsock_conn early = c;
	assert_int_equal(vsock_conn_guest_pkt(&early, &rw, 0), VSOCK_ACT_RESET);
	assert_int_equal(vsock_conn_guest_pkt(&c, &h, 0), VSOCK_ACT_SEND_OK);
	assert_int_equal(c.state, VSOCK_CONN_ESTABLISHED);
	assert_int_equal(vsock_conn_peer_credit(&c), 4096);
	/* Headers the card sends carry its ports, its buffer and fwd_cnt. */
	vsock_conn_hdr(&c, CID, VSOCK_OP_RW, 10, 0, &out);
	assert_int_equal(out.src_cid, 2);
	assert_int_equal(out.dst_cid, CID);
	assert_int_equal(out.src_port, 1u << 30);
	assert_int_equal(out.dst_port, 52);
	assert_int_equal(out.buf_alloc, VSOCK_CONN_BUF);
	assert_int_equal(out.type, VSOCK_TYPE_STREAM);
	/* A RESPONSE once established resets. */
	assert_int_equal(vsock_conn_guest_pkt(&c, &h, 0), VSOCK_ACT_RESET);
}

/* Which guest packets are a connection's: its two ports, and none while
 * the host's CONNECT line is not in. */
static void test_ports(void **state)
{
	struct vsock_conn c;
	(void)state;

	vsock_conn_init(&c, 0, 0, VSOCK_CONN_HOST_CMD);
	assert_false(vsock_conn_is(&c, 0, 0));
	vsock_conn_init(&c, 1u << 30, 52, VSOCK_CONN_CONNECTING);
	assert_true(vsock_conn_is(&c, 1u << 30, 52));
	assert_false(vsock_conn_is(&c, 52, 1u << 30));
	assert_false(vsock_conn_is(&c, 1u << 30, 53));
	vsock_conn_init(&c, 0, 0, VSOCK_CONN_ESTABLISHED);
	assert_true(vsock_conn_is(&c, 0, 0));
}

static void test_credit_to_guest(void **state)
{
	struct vsock_conn c;
	struct vsock_hdr h = pkt(VSOCK_OP_CREDIT_UPDATE, 0, 1000, 0);
	(void)state;

	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	assert_int_equal(vsock_conn_peer_credit(&c), 0);
	assert_int_equal(vsock_conn_guest_pkt(&c, &h, 0), VSOCK_ACT_NONE);
	assert_int_equal(vsock_conn_peer_credit(&c), 1000);
	vsock_conn_sent(&c, 600);
	assert_int_equal(vsock_conn_peer_credit(&c), 400);
	vsock_conn_sent(&c, 400);
	assert_int_equal(vsock_conn_peer_credit(&c), 0);
	/* No credit: ask once, not again until the guest tells us more. */
	vsock_conn_want_credit(&c);
	assert_true(c.pending & VSOCK_PEND_CREDIT_REQUEST);
	c.pending = 0;
	vsock_conn_want_credit(&c);
	assert_false(c.pending & VSOCK_PEND_CREDIT_REQUEST);
	h.fwd_cnt = 500;
	vsock_conn_guest_pkt(&c, &h, 0);
	assert_int_equal(vsock_conn_peer_credit(&c), 500);
	vsock_conn_sent(&c, 500);
	vsock_conn_want_credit(&c);
	assert_true(c.pending & VSOCK_PEND_CREDIT_REQUEST);
	/* A guest that lies (forwarded more than it got, or shrinks its
	 * buffer below what is in flight) gets nothing, not a wrapped huge
	 * credit. */
	h.fwd_cnt = 5000;
	vsock_conn_guest_pkt(&c, &h, 0);
	assert_int_equal(vsock_conn_peer_credit(&c), 0);
	h.fwd_cnt = 1000;
	h.buf_alloc = 100;
	vsock_conn_guest_pkt(&c, &h, 0);
	assert_int_equal(vsock_conn_peer_credit(&c), 0);
	/* Counters wrap as the protocol's do. */
	c.rx_cnt = 0xfffffff0u;
	h.fwd_cnt = 0xffffffe0u;
	h.buf_alloc = 100;
	vsock_conn_guest_pkt(&c, &h, 0);
	assert_int_equal(vsock_conn_peer_credit(&c), 84);
	vsock_conn_sent(&c, 0x20);
	assert_int_equal(c.rx_cnt, 0x10);
	assert_int_equal(vsock_conn_peer_credit(&c), 52);
}

static void test_credit_from_guest(void **state)
{
	struct vsock_conn c;
	struct vsock_hdr rw = pkt(VSOCK_OP_RW, 4096, 65536, 0), out;
	(void)state;

	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	assert_int_equal(vsock_conn_guest_pkt(&c, &rw, 0), VSOCK_ACT_WRITE);
	assert_int_equal(c.tx_cnt, 4096);
	/* What the card holds for the host plus this packet must fit. */
	assert_int_equal(vsock_conn_guest_pkt(&c, &rw, VSOCK_CONN_BUF - 4096), VSOCK_ACT_WRITE);
	assert_int_equal(vsock_conn_guest_pkt(&c, &rw, VSOCK_CONN_BUF - 4095), VSOCK_ACT_RESET);
	/* Forwarding owes an update only past the threshold. */
	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	vsock_conn_forwarded(&c, VSOCK_CREDIT_THRESHOLD - 1);
	assert_false(c.pending & VSOCK_PEND_CREDIT_UPDATE);
	vsock_conn_forwarded(&c, 1);
	assert_true(c.pending & VSOCK_PEND_CREDIT_UPDATE);
	/* Any packet tells fwd_cnt, so it pays the update. */
	vsock_conn_hdr(&c, CID, VSOCK_OP_RW, 1, 0, &out);
	assert_int_equal(out.fwd_cnt, VSOCK_CREDIT_THRESHOLD);
	assert_false(c.pending & VSOCK_PEND_CREDIT_UPDATE);
	/* CREDIT_REQUEST is answered. */
	struct vsock_hdr req = pkt(VSOCK_OP_CREDIT_REQUEST, 0, 65536, 0);
	assert_int_equal(vsock_conn_guest_pkt(&c, &req, 0), VSOCK_ACT_NONE);
	assert_true(c.pending & VSOCK_PEND_CREDIT_UPDATE);
}

static void test_shutdown(void **state)
{
	struct vsock_conn c;
	struct vsock_hdr sh = pkt(VSOCK_OP_SHUTDOWN, 0, 65536, 0);
	struct vsock_hdr rw = pkt(VSOCK_OP_RW, 1, 65536, 0);
	(void)state;

	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	sh.flags = VSOCK_SHUTDOWN_RCV;
	assert_int_equal(vsock_conn_guest_pkt(&c, &sh, 0), VSOCK_ACT_NONE);
	sh.flags = VSOCK_SHUTDOWN_SEND;
	assert_int_equal(vsock_conn_guest_pkt(&c, &sh, 0), VSOCK_ACT_FINISH);

	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	assert_int_equal(vsock_conn_guest_pkt(&c, &sh, 0), VSOCK_ACT_SHUT_WR);
	/* Data after "I send no more" breaks the protocol. */
	assert_int_equal(vsock_conn_guest_pkt(&c, &rw, 0), VSOCK_ACT_RESET);

	/* The host side ends: SHUTDOWN owed, then the guest's answer ends it. */
	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	vsock_conn_host_eof(&c);
	assert_int_equal(c.state, VSOCK_CONN_CLOSING);
	assert_true(c.pending & VSOCK_PEND_SHUTDOWN);
	sh.flags = 0;
	assert_int_equal(vsock_conn_guest_pkt(&c, &sh, 0), VSOCK_ACT_FINISH);
	struct vsock_hdr rst = pkt(VSOCK_OP_RST, 0, 0, 0);
	assert_int_equal(vsock_conn_guest_pkt(&c, &rst, 0), VSOCK_ACT_CLOSE);
	/* A REQUEST on a live connection, or anything on one the host has
	 * not named a port for yet, is reset. */
	struct vsock_hdr req = pkt(VSOCK_OP_REQUEST, 0, 65536, 0);
	vsock_conn_init(&c, 52, 1000, VSOCK_CONN_ESTABLISHED);
	assert_int_equal(vsock_conn_guest_pkt(&c, &req, 0), VSOCK_ACT_RESET);
	vsock_conn_init(&c, 0, 0, VSOCK_CONN_HOST_CMD);
	assert_int_equal(vsock_conn_guest_pkt(&c, &rw, 0), VSOCK_ACT_RESET);
}

/* The host's command line, as Firecracker's muxer parses it. */
static void test_connect_line(void **state)
{
	static const struct { const char *s; int want; uint32_t port; } cases[] = {
		{ "CONNECT 52\n", 1, 52 },
		{ "CONNECT 4294967295\n", 1, 4294967295u },
		{ "CONNECT 0\n", 1, 0 },
		/* "connect" in any case, words apart by any white space,
		 * before and after too; words past the port ignored. */
		{ "connect 52\n", 1, 52 },
		{ "cOnNeCt 52\n", 1, 52 },
		{ "CONNECT  52\n", 1, 52 },
		{ "CONNECT 52\r\n", 1, 52 },
		{ "\tCONNECT\v52 \f\n", 1, 52 },
		{ "CONNECT\xc2\xa0" "52\xe3\x80\x80\n", 1, 52 },  /* U+00A0, U+3000 */
		{ "CONNECT 52 and more\n", 1, 52 },
		/* A newline in the first 10 bytes does not end the line. */
		{ "\nCONNECT 52\n", 1, 52 },
		{ "CONNECT\n52\n", 1, 52 },
		/* The port as Rust's u32 parse: a '+' may lead, zeros too. */
		{ "CONNECT +52\n", 1, 52 },
		{ "CONNECT 0000000052\n", 1, 52 },
		/* 32 bytes and no newline: the line is those 32 bytes. */
		{ "CONNECT 000000000000000000000052", 1, 52 },
		{ "CONNECT 52                      ", 1, 52 },
		{ "CONNECT 000000000000000000000000052", 1, 0 },  /* its first 32 */
		/* More wanted. */
		{ "CONN", 0, 0 },
		{ "CONNECT 5", 0, 0 },
		{ "CONNECT \n", 0, 0 },
		{ "\n", 0, 0 },
		{ "GET / HTTP", 0, 0 },
		/* Not a CONNECT. */
		{ "CONNECT  \n", -1, 0 },
		{ "CONNECT 4294967296\n", -1, 0 },
		{ "CONNECT 99999999999\n", -1, 0 },
		{ "CONNECT 5x\n", -1, 0 },
		{ "CONNECT -1\n", -1, 0 },
		{ "CONNECT -0\n", -1, 0 },
		{ "CONNECT +\n", -1, 0 },
		{ "CONNECT ++5\n", -1, 0 },
		{ "CONNECT 0x34\n", -1, 0 },
		{ "CONNECT\x01" "52\n", -1, 0 },
		{ "CONNECTS 52\n", -1, 0 },
		{ "CONNEC 52\n", -1, 0 },
		{ "52 CONNECT\n", -1, 0 },
		{ "GET / HTTP/1.0\r\n", -1, 0 },
		{ "\xef\xbc\xa3ONNECT 52\n", -1, 0 },  /* a fullwidth C */
		/* Not UTF-8, even in a word that is ignored. */
		{ "CONNECT 52 \xff\n", -1, 0 },
		{ "CONNECT 52 \xc0\xa0\n", -1, 0 },       /* overlong */
		{ "CONNECT 52 \xed\xa0\x80\n", -1, 0 },   /* a surrogate */
		{ "CONNECT 52 \xf4\x90\x80\x80\n", -1, 0 },  /* past U+10FFFF */
		{ "CONNECT 52 \xe3\x80\n", -1, 0 },       /* cut short */
		{ "CONNECT 52 \x80\n", -1, 0 },
		{ "CONNECT 52                    \xe3\x80", -1, 0 },  /* cut at 32 */
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t port = 7;
		int r = vsock_parse_connect(cases[i].s, (unsigned)strlen(cases[i].s), 32, &port);
		if (r != cases[i].want)
			fail_msg("'%s': %d, want %d", cases[i].s, r, cases[i].want);
		if (cases[i].want == 1)
			assert_int_equal(port, cases[i].port);
	}
	/* Bytes behind the line are not its. */
	uint32_t port = 0;
	assert_int_equal(vsock_parse_connect("CONNECT 52\nxyz", 14, 32, &port), 1);
	assert_int_equal(port, 52);
	/* Beyond max: the line is the first max bytes. */
	assert_int_equal(vsock_parse_connect("CONNECT 52345", 13, 12, &port), 1);
	assert_int_equal(port, 5234);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_initiated),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_credit_to_guest),
		cmocka_unit_test(test_credit_from_guest),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_connect_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
