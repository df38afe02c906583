/* Unit tests for the virtio-net device model of the net card
 * (src/cards/net/device.c): features offered, config space, which vring
 * is which queue for a driver's features, the control ring stopped
 * while pair 0's worker answers VQ_PAIRS_SET on it, and the pairs in use
 * across SET_FEATURES and resets. */
#include <endian.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <cmocka.h>

#include "cards/net/device.h"
#include "net_fixture.h"
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

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

static uint16_t used_idx(const struct net_fx *f)
{
	return __atomic_load_n(&f->dq.used->idx, __ATOMIC_ACQUIRE);
}

/* d as a 2-pair device on datagram sockets for TAP queues (its ioctls
 * fail: logged, not fatal), its transmit limited by tx (NULL: not). Its
 * workers outlive the test, and read d on every turn: d is static. */
static void two_pair_device(struct net_device *d, const struct rate_limiter *tx)
{
	const uint8_t mac[MAC_LEN] = { 0x06, 0, 0, 0, 0, 1 };
	struct azerr e;
	int sv0[2], sv1[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv0), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv1), 0);
	snprintf(d->tap.name, sizeof(d->tap.name), "test-tap");
	d->tap.nr = 2;
	d->tap.fd[0] = sv0[0];
	d->tap.fd[1] = sv1[0];
	d->tap.mtu = 1500;
	assert_int_equal(net_device_init(d, mac, 0, NULL, NULL, tx, &e), 0);
}

/* The worker outlives the test (pairs are never destroyed) and reads the
 * device on every turn: static. */
static struct net_device stop_dev;
static struct net_fx stop_ctl;
static uint16_t base_at_stop, used_at_stop;

/* The server's stop_ring (backend.c), for SET_VRING_ENABLE 0,
 * GET_VRING_BASE or RESET_DEVICE: queue_stop, then the base it reports is
 * last_avail. */
static void *stop_ctrl_ring(void *arg)
{
	(void)arg;
	stop_dev.vu.ops->queue_stop(&stop_dev, 4, &stop_ctl.q);
	base_at_stop = stop_ctl.q.last_avail;
	used_at_stop = used_idx(&stop_ctl);
	return NULL;
}

/* VQ_PAIRS_SET commands on the control ring while the server stops that
 * ring: queue_stop returns only once pair 0's worker has let go of it,
 * every command it took answered, and nothing touches the ring after
 * that (RESET_DEVICE zeroes it and unmaps guest memory next). Pair 0 used
 * to apply the stop inside set_pairs and go on with the ring. Pair 1 is
 * kept busy by holding the card's shared tx limiter while it has a frame
 * to admit, so that pair 0 is in set_pairs, waiting for pair 1, when the
 * stop comes. */
static void test_ctrl_ring_stopped_during_pairs_set(void **state)
{
	enum { NCMDS = 32 };
	static struct net_fx tx1;
	static const struct rate_limiter txl = {
		.has_bandwidth = true,
		.bandwidth = { .size = 1ull << 30, .refill_time_ms = 1000 },
	};
	struct net_device *d = &stop_dev;
	struct azerr e;
	pthread_t stopper;
	(void)state;

	two_pair_device(d, &txl);
	d->vu.ops->set_features(d, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ) |
				   F(VIRTIO_NET_F_MQ));
	net_fx_init(&tx1, 16, F(VIRTIO_F_VERSION_1));
	net_fx_init(&stop_ctl, 2 * NCMDS, F(VIRTIO_F_VERSION_1));
	assert_int_equal(d->vu.ops->queue_start(d, 3, &tx1.q, &e), 0);     /* pair 1 TX */
	assert_int_equal(d->vu.ops->queue_start(d, 4, &stop_ctl.q, &e), 0); /* control */

	pthread_mutex_lock(&d->tx_limit.lock);
	uint8_t *frame = drv_gpa(&tx1.mem, tx1.buf);
	memset(frame, 0, NET_HDR_LEN + 60);
	net_fx_post(&tx1, tx1.buf, NET_HDR_LEN + 60, false);
	drv_vq_kick(&tx1.dq);
	sleep_ms(100);

	uint8_t *cmd = drv_gpa(&stop_ctl.mem, stop_ctl.buf);
	for (int i = 0; i < NCMDS; i++) {
		uint8_t *c = cmd + 8 * i;
		c[0] = VIRTIO_NET_CTRL_MQ;
		c[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
		c[2] = 2;
		c[3] = 0;
		c[4] = 0xee;            /* the ack byte */
		struct drv_buf b[2] = { { stop_ctl.buf + 8 * i, 4, false },
					{ stop_ctl.buf + 8 * i + 4, 1, true } };
		assert_true(drv_vq_add(&stop_ctl.dq, b, 2, 0) >= 0);
	}
	drv_vq_kick(&stop_ctl.dq);
	sleep_ms(100);          /* pair 0: in set_pairs, waiting for pair 1 */
	assert_int_equal(pthread_create(&stopper, NULL, stop_ctrl_ring, NULL), 0);
	sleep_ms(100);          /* the server: in queue_stop, waiting for pair 0 */
	pthread_mutex_unlock(&d->tx_limit.lock);
	assert_int_equal(pthread_join(stopper, NULL), 0);

	/* Every command taken was answered before the ring was let go: the
	 * base a GET_VRING_BASE reports re-runs none. The pass takes one
	 * VQ_PAIRS_SET, then the ring waits: the rest stay on it for whoever
	 * serves it next. */
	assert_true(base_at_stop >= 1);
	assert_int_equal(used_at_stop, base_at_stop);
	for (int i = 0; i < NCMDS; i++)
		assert_int_equal(cmd[8 * i + 4], i < base_at_stop ? VIRTIO_NET_OK : 0xee);
	sleep_ms(200);
	assert_int_equal(stop_ctl.q.last_avail, base_at_stop);
	assert_int_equal(used_idx(&stop_ctl), used_at_stop);
}

/* The pairs the driver chose (VQ_PAIRS_SET) survive SET_FEATURES with the
 * same multiqueue and control queue: azote sends it on every ring start,
 * a snapshot's resume's too, and the driver does not choose again. A
 * driver that changes them, or a reset (a new driver), starts at 1. */
static void test_pairs_across_features_and_reset(void **state)
{
	const uint64_t mq = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ);
	static struct net_device dev;
	struct net_device *d = &dev;
	(void)state;

	two_pair_device(d, NULL);
	d->vu.ops->set_features(d, mq);
	assert_true(d->env.ctrl_mq);
	assert_int_equal(d->pairs_in_use, 1);
	d->env.set_pairs(d->env.ctx, 2);
	assert_int_equal(d->pairs_in_use, 2);
	d->vu.ops->set_features(d, mq);
	assert_int_equal(d->pairs_in_use, 2);
	/* QEMU's way: the control queue is not the card's. */
	d->vu.ops->set_features(d, mq & ~F(VIRTIO_NET_F_CTRL_VQ));
	assert_false(d->env.ctrl_mq);
	d->vu.ops->set_features(d, mq);
	assert_int_equal(d->pairs_in_use, 1);
	d->env.set_pairs(d->env.ctx, 2);
	d->vu.ops->reset(d);
	assert_false(d->env.ctrl_mq);
	assert_int_equal(d->pairs_in_use, 1);
	d->vu.ops->set_features(d, mq);
	assert_int_equal(d->pairs_in_use, 1);
}

/* azote's NET_PAIRS: a question, or the count to put in use, while the
 * driver's features have multiqueue with the control queue; refused
 * otherwise. */
static void test_pairs_from_azote(void **state)
{
	const uint64_t mq = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ);
	static struct net_device dev;
	struct net_device *d = &dev;
	struct azerr e = { "" };
	(void)state;

	two_pair_device(d, NULL);
	assert_int_equal(net_device_pairs(d, 0, &e), -1);
	assert_non_null(strstr(e.msg, "no multiqueue with the control queue"));
	d->vu.ops->set_features(d, mq);
	assert_int_equal(net_device_pairs(d, 0, &e), 1);
	assert_int_equal(net_device_pairs(d, 2, &e), 2);
	assert_int_equal(d->pairs_in_use, 2);
	assert_int_equal(net_device_pairs(d, 0, &e), 2);
	d->vu.ops->set_features(d, mq & ~F(VIRTIO_NET_F_MQ));
	assert_int_equal(net_device_pairs(d, 2, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_ring_roles),
		cmocka_unit_test(test_ctrl_ring_stopped_during_pairs_set),
		cmocka_unit_test(test_pairs_across_features_and_reset),
		cmocka_unit_test(test_pairs_from_azote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
