/* Unit tests for the virtio-net device model of the net card
 * (src/cards/net/device.c): features offered, config space, and which
 * vring is which queue for a driver's features. */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/net/device.h"
#include "virtio/virtio.h"

#define F(b) VIRTIO_BIT(b)

static void test_features(void **state)
{
	(void)state;
	uint64_t f = net_device_features(1, 0);
	static const int want[] = {
		VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
		VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS,
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(f & F(want[i]));
	/* Offered only when asked for / when meaningful. */
	assert_false(f & F(VIRTIO_NET_F_MTU));
	assert_false(f & (F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ)));
	assert_true(net_device_features(1, 9000) & F(VIRTIO_NET_F_MTU));
	assert_true((net_device_features(4, 0) & (F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ))) ==
		    (F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ)));
	/* Never: offloads the card cannot pass through the TAP. */
	assert_false(f & (F(VIRTIO_NET_F_HOST_UFO) | F(VIRTIO_NET_F_GUEST_UFO) |
			  F(VIRTIO_NET_F_HOST_ECN) | F(VIRTIO_NET_F_GUEST_ECN) |
			  F(VIRTIO_NET_F_CTRL_RX)));
}

static void test_config(void **state)
{
	static struct net_device d;
	struct virtio_net_config c;
	(void)state;

	memcpy(d.mac, "\x06\x00\xac\x10\x00\x02", MAC_LEN);
	d.nr_pairs = 3;
	d.mtu = 9000;
	net_device_config(&d, &c);
	assert_memory_equal(c.mac, d.mac, MAC_LEN);
	assert_int_equal(le16toh(c.status), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(le16toh(c.max_virtqueue_pairs), 3);
	assert_int_equal(le16toh(c.mtu), 9000);
	/* What azote asks for with GET_CONFIG: mac..mtu, 12 bytes (§5.1.4). */
	assert_int_equal(offsetof(struct virtio_net_config, mtu) + 2, NET_CONFIG_SIZE);
}

static void expect_role(unsigned idx, uint64_t f, unsigned pairs, int ok,
			unsigned pair, enum net_qkind kind)
{
	struct net_ring_role r;

	assert_int_equal(net_ring_role(idx, f, pairs, &r), ok);
	if (!ok) {
		assert_int_equal(r.pair, pair);
		assert_int_equal(r.kind, kind);
	}
}

static void test_ring_roles(void **state)
{
	const uint64_t mq = F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ);
	(void)state;

	expect_role(0, 0, 1, 0, 0, NET_RXQ);
	expect_role(1, 0, 1, 0, 0, NET_TXQ);
	expect_role(2, 0, 1, -1, 0, 0);
	/* 4 pairs, MQ: rings 0..7 are pairs, 8 the control queue. */
	expect_role(5, mq, 4, 0, 2, NET_TXQ);
	expect_role(6, mq, 4, 0, 3, NET_RXQ);
	expect_role(8, mq, 4, 0, 0, NET_CTRLQ);
	expect_role(9, mq, 4, -1, 0, 0);
	/* §5.1.2: without MQ the control queue is 2, whatever the pairs. */
	expect_role(2, F(VIRTIO_NET_F_CTRL_VQ), 4, 0, 0, NET_CTRLQ);
	expect_role(3, F(VIRTIO_NET_F_CTRL_VQ), 4, -1, 0, 0);
	/* QEMU keeps the control queue: MQ without CTRL_VQ, pairs only. */
	expect_role(7, F(VIRTIO_NET_F_MQ), 4, 0, 3, NET_TXQ);
	expect_role(8, F(VIRTIO_NET_F_MQ), 4, -1, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_ring_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
