/* Unit tests for the virtio-net header rules (src/cards/net/hdr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/net/hdr.h"
#include "virtio/virtio.h"

#define F(b) VIRTIO_BIT(b)
#define ALL_TX (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CSUM) | \
		F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6))
#define ALL_RX (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_GUEST_CSUM) | \
		F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6))

/* The frame after the header, for net_hdr_fix_rx: its bytes do not
 * matter here (test_net_rx checks a checksum it completes). */
static uint8_t frame[NET_MAX_FRAME];

static struct virtio_net_hdr_v1 hdr(uint8_t flags, uint8_t gso, uint16_t hdr_len,
				    uint16_t gso_size, uint16_t start, uint16_t off)
{
	struct virtio_net_hdr_v1 h;

	memset(&h, 0, sizeof(h));
	h.flags = flags;
	h.gso_type = gso;
	h.hdr_len = hdr_len;
	h.gso_size = gso_size;
	h.csum_start = start;
	h.csum_offset = off;
	return h;
}

static void test_mode(void **state)
{
	struct net_mode m;
	(void)state;

	net_mode_init(&m, F(VIRTIO_F_VERSION_1), 0, 0);
	assert_int_equal(m.hdr_len, NET_HDR_LEN);
	assert_false(m.mrg_rxbuf);
	net_mode_init(&m, F(VIRTIO_NET_F_MRG_RXBUF), 0, 0);
	assert_int_equal(m.hdr_len, NET_HDR_LEN);
	assert_true(m.mrg_rxbuf);
	net_mode_init(&m, 0, 0, 0);
	assert_int_equal(m.hdr_len, NET_HDR_LEN_LEGACY);
	/* Segmentation offloads without checksum offload are not usable. */
	net_mode_init(&m, F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6), 0, 0);
	assert_false(m.host_tso4);
	assert_false(m.guest_tso6);
	net_mode_init(&m, ALL_TX | ALL_RX, 0, 0);
	assert_true(m.host_tso4 && m.host_tso6 && m.guest_tso4 && m.guest_tso6);
	assert_int_equal(m.max_plain_tx, NET_MAX_FRAME);
	/* The MTU limits plain frames only once negotiated. */
	net_mode_init(&m, F(VIRTIO_F_VERSION_1), 1500, 0);
	assert_int_equal(m.max_plain_tx, NET_MAX_FRAME);
	net_mode_init(&m, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MTU), 1500, 0);
	assert_int_equal(m.max_plain_tx, 1518);
	assert_int_equal(m.max_plain_rx, 1518);
	/* Without one negotiated, the link's MTU holds (issue 15, finding 8):
	 * a 9000-byte frame no longer passes a 1500-byte TAP. */
	net_mode_init(&m, F(VIRTIO_F_VERSION_1), 0, 1500);
	assert_int_equal(m.max_plain_tx, 1518);
	assert_int_equal(m.max_plain_rx, NET_MAX_FRAME);
	net_mode_init(&m, F(VIRTIO_F_VERSION_1), 1400, 1280);
	assert_int_equal(m.max_plain_tx, 1298);
	/* The negotiated MTU wins over the link's, either way. */
	net_mode_init(&m, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MTU), 1400, 1500);
	assert_int_equal(m.max_plain_tx, 1418);
	net_mode_init(&m, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MTU), 9000, 1500);
	assert_int_equal(m.max_plain_tx, 9018);
	/* A link MTU near the frame limit cannot raise it. */
	net_mode_init(&m, F(VIRTIO_F_VERSION_1), 0, NET_MAX_MTU);
	assert_int_equal(m.max_plain_tx, NET_MAX_FRAME);
}

static void expect_tx(uint64_t features, unsigned mtu, struct virtio_net_hdr_v1 h,
		      uint32_t len, int want, const char *msg_part)
{
	struct net_mode m;
	struct azerr e = { "" };

	net_mode_init(&m, features, mtu, 0);
	assert_int_equal(net_hdr_check_tx(&h, len, &m, &e), want);
	if (msg_part && !strstr(e.msg, msg_part))
		fail_msg("'%s' does not say '%s'", e.msg, msg_part);
}

static void test_tx_accepts(void **state)
{
	(void)state;
	expect_tx(0, 0, hdr(0, 0, 0, 0, 0, 0), 60, 0, NULL);
	expect_tx(0, 0, hdr(0, 0, 0, 0, 0, 0), NET_ETH_HLEN, 0, NULL);
	expect_tx(0, 0, hdr(0, 0, 0, 0, 0, 0), NET_MAX_FRAME, 0, NULL);
	/* UDP checksum at 34+6 in a 42-byte frame: the last two bytes. */
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 6), 42, 0, NULL);
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
				 54, 1448, 34, 16), 20054, 0, NULL);
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6,
				 74, 1428, 54, 16), 60000, 0, NULL);
	/* GSO frames may exceed the MTU, that is their point. */
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500,
		  hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16),
		  9000, 0, NULL);
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500, hdr(0, 0, 0, 0, 0, 0), 1518, 0, NULL);
}

static void test_tx_rejects(void **state)
{
	(void)state;
	expect_tx(ALL_TX, 0, hdr(0, 0, 0, 0, 0, 0), 13, -1, "13 bytes");
	expect_tx(ALL_TX, 0, hdr(0, 0, 0, 0, 0, 0), NET_MAX_FRAME + 1, -1, "65551");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0), 60, -1, "flags");
	expect_tx(ALL_TX, 0, hdr(0x80, 0, 0, 0, 0, 0), 60, -1, "flags");
	expect_tx(F(VIRTIO_F_VERSION_1), 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 6),
		  60, -1, "CSUM not negotiated");
	/* Checksum field one byte past the frame; offsets that would wrap
	 * a 16-bit sum. */
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 7), 42, -1, "outside");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0xffff, 0xffff),
		  NET_MAX_FRAME, -1, "outside");
	expect_tx(F(VIRTIO_NET_F_CSUM), 0,
		  hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16),
		  20054, -1, "not negotiated");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM,
				 VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
				 54, 1448, 34, 16), 20054, -1, "not negotiated");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP,
				 42, 1472, 34, 6), 20054, -1, "not negotiated");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 7, 54, 1448, 34, 16),
		  20054, -1, "not negotiated");
	expect_tx(ALL_TX, 0, hdr(0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 0, 0), 20054, -1,
		  "NEEDS_CSUM");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
				 54, 0, 34, 16), 20054, -1, "gso_size");
	expect_tx(ALL_TX, 0, hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
				 200, 1448, 34, 16), 100, -1, "hdr_len");
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500, hdr(0, 0, 0, 0, 0, 0), 1519, -1, "MTU");
}

static void test_rx_fix(void **state)
{
	struct net_mode m;
	struct azerr e;
	struct virtio_net_hdr_v1 h;
	(void)state;

	/* No GUEST_CSUM: flags cleared, frame accepted. */
	net_mode_init(&m, F(VIRTIO_F_VERSION_1), 0, 0);
	h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 60, &m, &e), 0);
	assert_int_equal(h.flags, 0);
	/* GUEST_CSUM: NEEDS_CSUM and DATA_VALID pass, others are cleared. */
	net_mode_init(&m, ALL_RX, 0, 0);
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID |
		VIRTIO_NET_HDR_F_RSC_INFO, 0, 0, 0, 34, 6);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 60, &m, &e), 0);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 30000, &m, &e), 0);
	/* GSO the driver did not accept cannot be given to it. */
	net_mode_init(&m, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_GUEST_CSUM), 0, 0);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 30000, &m, &e), -1);
	assert_non_null(strstr(e.msg, "RX GSO type"));
	net_mode_init(&m, ALL_RX, 0, 0);
	h = hdr(0, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 10, &m, &e), -1);
}

static void test_rx_mtu(void **state)
{
	struct net_mode m;
	struct azerr e = { "" };
	struct virtio_net_hdr_v1 h;
	(void)state;

	/* §5.1.4.2: with MTU negotiated, no plain frame beyond it reaches
	 * the driver (a VLAN tag on top, as for transmit). */
	net_mode_init(&m, ALL_RX | F(VIRTIO_NET_F_MTU), 1500, 0);
	h = hdr(0, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 1518, &m, &e), 0);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 1519, &m, &e), -1);
	assert_non_null(strstr(e.msg, "MTU"));
	/* A GSO frame exceeds it by design. */
	h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 30000, &m, &e), 0);
	/* Not negotiated (offered, or the link's): the driver's buffers are
	 * the only limit. */
	net_mode_init(&m, ALL_RX, 1500, 1500);
	h = hdr(0, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_fix_rx(&h, frame, 9018, &m, &e), 0);
}

/* What a TSO frame the driver transmits asks of the host (issue: tiny
 * gso_size): the TAP takes gso_size as it comes, and the host cuts the
 * frame into segments of that size. A 1-byte MSS turns one 64 KiB frame
 * into 65000 packets; a segment the link cannot carry, or a "GSO" frame
 * whose payload fits in one segment (sent whole, as a plain frame), puts
 * frames over the MTU on the host; a TCP checksum elsewhere than the TCP
 * header's field is what the kernel refuses. */
static void test_tx_gso_sizes(void **state)
{
	const uint8_t csum = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	(void)state;

	expect_tx(ALL_TX, 0, hdr(csum, v4, 54, 1, 34, 16), 65000, -1, "1 bytes");
	expect_tx(ALL_TX, 0, hdr(csum, v6, 74, 7, 54, 16), 65000, -1, "at least 8");
	/* Linux's smallest: 8 bytes of data. */
	expect_tx(ALL_TX, 0, hdr(csum, v4, 54, 8, 34, 16), 65000, 0, NULL);
	/* MTU 1500: a 1460-byte segment behind the least headers is the
	 * most; over a VLAN tag 1464. */
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500, hdr(csum, v4, 54, 1460, 34, 16),
		  9000, 0, NULL);
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500, hdr(csum, v4, 54, 1464, 34, 16),
		  9000, 0, NULL);
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500, hdr(csum, v4, 54, 1465, 34, 16),
		  9000, -1, "exceed the MTU");
	/* A 9000-byte "GSO" frame whose one segment is all of it would
	 * reach the host as a plain frame six times the MTU. */
	expect_tx(ALL_TX | F(VIRTIO_NET_F_MTU), 1500, hdr(csum, v4, 54, 9000, 34, 16),
		  9000, -1, "exceed the MTU");
	/* Without an MTU, the frame limit. */
	expect_tx(ALL_TX, 0, hdr(csum, v4, 54, 0xffff, 34, 16), 65000, -1, "exceed the MTU");
	/* The TCP checksum lives 16 bytes into the TCP header. */
	expect_tx(ALL_TX, 0, hdr(csum, v4, 54, 1448, 34, 6), 20054, -1, "offset 6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_tx_accepts),
		cmocka_unit_test(test_tx_rejects),
		cmocka_unit_test(test_tx_gso_sizes),
		cmocka_unit_test(test_rx_fix),
		cmocka_unit_test(test_rx_mtu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
