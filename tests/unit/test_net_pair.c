/* The net card's queue pair worker (src/cards/net/pair.c) when its
 * transmit ring is taken back, as GET_VRING_BASE does for a snapshot, with
 * a frame waiting for room in the TAP: the frame goes back to the ring,
 * neither completed (lost) nor left half-done, and whoever serves the ring
 * next sends it once. And with MMDS set (mmds_port.h): a frame for it never
 * reaches the TAP, its answer waits for a receive buffer the driver posts
 * later, and other frames still go to the TAP. And a pair taken out of use
 * lets go of the frame it holds for the guest; a TAP read error costs one
 * frame, unless it says the TAP is gone. The "TAP" is a datagram socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cards/net/pair.h"
#include "iface/card_control.h"
#include "net_fixture.h"
#include "virtio/virtio.h"

#define FRAME_LEN 60

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

static uint16_t used_idx(const struct net_fx *f)
{
	return __atomic_load_n(&f->dq.used->idx, __ATOMIC_ACQUIRE);
}

/* Fills the socket's queue; returns how many datagrams it took. */
static unsigned fill_socket(int fd)
{
	char b[FRAME_LEN] = { 0 };
	unsigned n = 0;

	while (send(fd, b, sizeof(b), MSG_DONTWAIT) == (ssize_t)sizeof(b))
		n++;
	assert_int_equal(errno, EAGAIN);
	return n;
}

static unsigned drain_socket(int fd)
{
	char b[256];
	unsigned n = 0;

	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

static void test_tx_frame_waiting_for_tap_goes_back(void **state)
{
	(void)state;
	/* The pair's worker outlives this function (pairs are never
	 * destroyed) and reads its environment on every turn: static. */
	static struct net_fx f;
	static struct net_mode mode;
	static struct card_limiter rx_l, tx_l;
	static struct net_pair_env env;
	struct azerr e;
	int sv[2];

	net_fx_init(&f, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	net_mode_init(&mode, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0, 0);
	env = (struct net_pair_env){
		.tap_name = "test-tap", .max_pairs = 1, .mode = &mode,
		.rx_limit = &rx_l, .tx_limit = &tx_l,
	};
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	unsigned queued = fill_socket(sv[0]);
	struct net_pair *p = net_pair_create(0, sv[0], &env, &e);
	assert_non_null(p);

	/* One frame: the virtio-net header, then FRAME_LEN bytes. */
	uint8_t *frame = drv_gpa(&f.mem, f.buf);
	memset(frame, 0, mode.hdr_len + FRAME_LEN);
	struct drv_buf b = { f.buf, (uint32_t)(mode.hdr_len + FRAME_LEN), false };
	assert_true(drv_vq_add(&f.dq, &b, 1, 0) >= 0);
	drv_vq_kick(&f.dq);
	net_pair_set_queue(p, NET_TXQ, &f.q);
	sleep_ms(200);
	assert_int_equal(used_idx(&f), 0);   /* waiting for the TAP */

	net_pair_set_queue(p, NET_TXQ, NULL);
	assert_int_equal(f.q.last_avail, 0); /* given back: the next avail index */
	assert_int_equal(used_idx(&f), 0);   /* and not completed */

	/* Room in the TAP and the ring served again (a new card would start
	 * at last_avail 0 too): the frame goes, once. */
	assert_int_equal(drain_socket(sv[1]), queued);
	net_pair_set_queue(p, NET_TXQ, &f.q);
	for (int i = 0; i < 200 && used_idx(&f) == 0; i++)
		sleep_ms(10);
	assert_int_equal(used_idx(&f), 1);
	sleep_ms(50);
	assert_int_equal(drain_socket(sv[1]), 1);
	net_pair_set_queue(p, NET_TXQ, NULL);
	assert_int_equal(f.q.last_avail, 1);
}


static bool wait_used(const struct net_fx *f, uint16_t want)
{
	for (int i = 0; i < 300 && used_idx(f) != want; i++)
		sleep_ms(10);
	return used_idx(f) == want;
}

/* An Ethernet frame from the guest's MAC 52:54:00:00:00:01: an ARP request
 * for target (network order) when arp, else an IPv4 header to target. */
static size_t guest_frame(uint8_t *b, bool arp, uint32_t target)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	uint32_t me = htonl(0x0ad50002);

	memset(b, 0, FRAME_LEN);
	memset(b, 0xff, 6);
	memcpy(b + 6, mac, 6);
	if (arp) {
		static const uint8_t h[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
		b[12] = 0x08, b[13] = 0x06;
		memcpy(b + 14, h, 8);
		memcpy(b + 22, mac, 6);
		memcpy(b + 28, &me, 4);
		memcpy(b + 38, &target, 4);
	} else {
		b[12] = 0x08, b[13] = 0x00;
		b[14] = 0x45, b[17] = FRAME_LEN - 14, b[22] = 64, b[23] = 17;
		memcpy(b + 26, &me, 4);
		memcpy(b + 30, &target, 4);
	}
	return FRAME_LEN;
}

static void test_mmds(void **state)
{
	(void)state;
	static struct net_fx tx, rx;
	static struct net_mmds nm;
	static struct card_limiter rx_l, tx_l;
	static const char doc[] = "{\"latest\":{}}";
	uint32_t mmds_ip = htonl(0xa9fea9fe);
	struct card_ctl_req req = { .op = CARD_CTL_SET_MMDS };
	/* The worker outlives this function (pairs are never destroyed) and
	 * reads its environment on every turn: nothing it sees is on the
	 * stack. */
	static struct net_mode mode;
	static struct net_pair_env env;
	struct azerr e;
	int sv[2], fd;

	net_fx_init(&tx, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	net_fx_init(&rx, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	net_mode_init(&mode, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0, 0);
	assert_int_equal(net_mmds_init(&nm, &e), 0);
	env = (struct net_pair_env){
		.tap_name = "test-tap", .max_pairs = 1, .mode = &mode,
		.rx_limit = &rx_l, .tx_limit = &tx_l, .mmds = &nm,
	};
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	struct net_pair *p = net_pair_create(0, sv[0], &env, &e);
	assert_non_null(p);
	net_pair_set_queue(p, NET_RXQ, &rx.q);
	net_pair_set_queue(p, NET_TXQ, &tx.q);

	/* Off: an ARP request for the address goes to the TAP. */
	uint8_t *out = drv_gpa(&tx.mem, tx.buf);
	memset(out, 0, mode.hdr_len);
	guest_frame(out + mode.hdr_len, true, mmds_ip);
	struct drv_buf b = { tx.buf, (uint32_t)(mode.hdr_len + FRAME_LEN), false };
	assert_true(drv_vq_add(&tx.dq, &b, 1, 0) >= 0);
	drv_vq_kick(&tx.dq);
	assert_true(wait_used(&tx, 1));
	sleep_ms(20);
	assert_int_equal(drain_socket(sv[1]), 1);

	fd = card_ctl_mmds_memfd(doc, strlen(doc), &e);
	assert_true(fd >= 0);
	req.mmds = (struct card_ctl_mmds){ .ipv4 = mmds_ip, .version = 1, .size = strlen(doc) };
	assert_int_equal(net_mmds_set(&nm, &req, &fd, 1, &e), 0);
	close(fd);

	/* On: the same request is MMDS's; no receive buffer yet. */
	assert_true(drv_vq_add(&tx.dq, &b, 1, 0) >= 0);
	drv_vq_kick(&tx.dq);
	assert_true(wait_used(&tx, 2));
	sleep_ms(50);
	assert_int_equal(drain_socket(sv[1]), 0);
	assert_int_equal(used_idx(&rx), 0);
	/* A frame to someone else still goes to the TAP. */
	uint8_t *out2 = out + 256;
	memset(out2, 0, mode.hdr_len);
	guest_frame(out2 + mode.hdr_len, false, htonl(0x0ad50001));
	struct drv_buf b2 = { tx.buf + 256, (uint32_t)(mode.hdr_len + FRAME_LEN), false };
	assert_true(drv_vq_add(&tx.dq, &b2, 1, 0) >= 0);
	drv_vq_kick(&tx.dq);
	assert_true(wait_used(&tx, 3));
	sleep_ms(20);
	assert_int_equal(drain_socket(sv[1]), 1);

	/* The driver posts a buffer: the ARP reply, from the MMDS address to
	 * the guest's MAC. */
	assert_true(net_fx_post_rx(&rx, rx.buf, 2048) >= 0);
	drv_vq_kick(&rx.dq);
	assert_true(wait_used(&rx, 1));
	const uint8_t *in = (const uint8_t *)drv_gpa(&rx.mem, rx.buf) + mode.hdr_len;
	static const uint8_t guest_mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	assert_memory_equal(in, guest_mac, 6);
	assert_int_equal(in[12] << 8 | in[13], 0x0806);
	assert_int_equal(in[20] << 8 | in[21], 2);           /* a reply */
	assert_memory_equal(in + 28, &mmds_ip, 4);          /* sender: MMDS */

	/* An answer the pair took while the receive ring is stopped under it
	 * (a pause for a snapshot) is not lost: the stack counts it sent and
	 * never sends it again, so the card holds it for the next ring. */
	assert_true(drv_vq_add(&tx.dq, &b, 1, 0) >= 0);
	drv_vq_kick(&tx.dq);
	assert_true(wait_used(&tx, 4));
	sleep_ms(50);
	assert_false(net_mmds_pending(&nm));   /* the pair holds it */
	net_pair_set_queue(p, NET_RXQ, NULL);
	assert_true(net_mmds_pending(&nm));    /* given back */
	net_pair_set_queue(p, NET_RXQ, &rx.q);
	assert_true(net_fx_post_rx(&rx, rx.buf + 4096, 2048) >= 0);
	drv_vq_kick(&rx.dq);
	assert_true(wait_used(&rx, 2));
	in = (const uint8_t *)drv_gpa(&rx.mem, rx.buf + 4096) + mode.hdr_len;
	assert_int_equal(in[12] << 8 | in[13], 0x0806);
	assert_int_equal(in[20] << 8 | in[21], 2);
	assert_false(net_mmds_pending(&nm));

	/* Likewise for a pair taken out of use (VQ_PAIRS_SET): the answer
	 * goes back to the stack for a pair in use. */
	assert_true(drv_vq_add(&tx.dq, &b, 1, 0) >= 0);
	drv_vq_kick(&tx.dq);
	assert_true(wait_used(&tx, 5));
	sleep_ms(50);
	assert_false(net_mmds_pending(&nm));
	net_pair_set_active(p, false);
	assert_true(net_mmds_pending(&nm));
	net_pair_set_active(p, true);
	assert_true(net_fx_post_rx(&rx, rx.buf + 8192, 2048) >= 0);
	drv_vq_kick(&rx.dq);
	assert_true(wait_used(&rx, 3));
	assert_false(net_mmds_pending(&nm));
	net_pair_set_queue(p, NET_TXQ, NULL);
	net_pair_set_queue(p, NET_RXQ, NULL);
}

/* A pair with one ring (receive, unless said) on a datagram socket "TAP",
 * counting into a stats page. The worker outlives the test (pairs are
 * never destroyed) and reads all this on every turn: static storage, the
 * caller's. */
struct rx_pair {
	struct net_fx rx;           /* the ring, whichever kind */
	struct net_mode mode;
	struct card_limiter rx_l, tx_l;
	struct card_net_stats stats;
	struct net_pair_env env;
	int sv[2];                  /* the pair's end, the test's */
	struct net_pair *p;
};

static void pair_start(struct rx_pair *t, unsigned idx, unsigned max_pairs,
		       bool multi_queue, enum net_qkind kind)
{
	struct azerr e;

	net_fx_init(&t->rx, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	net_mode_init(&t->mode, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0, 0);
	t->env = (struct net_pair_env){
		.tap_name = "test-tap", .multi_queue = multi_queue, .max_pairs = max_pairs,
		.mode = &t->mode, .rx_limit = &t->rx_l, .tx_limit = &t->tx_l,
		.stats = &t->stats,
	};
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, t->sv), 0);
	t->p = net_pair_create(idx, t->sv[0], &t->env, &e);
	assert_non_null(t->p);
	net_pair_set_queue(t->p, kind, &t->rx.q);
}

static void rx_pair_start(struct rx_pair *t, unsigned idx, unsigned max_pairs)
{
	pair_start(t, idx, max_pairs, false, NET_RXQ);
}

/* A frame from the host: the virtio-net header, FRAME_LEN bytes. */
static void tap_send(struct rx_pair *t)
{
	uint8_t frame[NET_HDR_LEN + FRAME_LEN] = { 0 };

	assert_int_equal(send(t->sv[1], frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
}

/* VQ_PAIRS_SET takes a pair out of use while it holds a TAP frame waiting
 * for receive buffers: the frame is dropped (and counted), not delivered
 * on that pair's receive queue once the driver posts a buffer there
 * (§5.1.6.5.5: no packets on queues beyond virtqueue_pairs once the
 * command is used). */
static void test_held_frame_dropped_when_pair_leaves_use(void **state)
{
	static struct rx_pair t;
	(void)state;

	rx_pair_start(&t, 1, 2);
	tap_send(&t);
	sleep_ms(100);                          /* read: it waits for buffers */
	assert_int_equal(card_stat_read(&t.stats.rx_fails), 0);

	net_pair_set_active(t.p, false);        /* VQ_PAIRS_SET 1 */
	assert_int_equal(card_stat_read(&t.stats.rx_fails), 1);
	assert_true(net_fx_post_rx(&t.rx, t.rx.buf, 2048) >= 0);
	drv_vq_kick(&t.rx.dq);
	sleep_ms(200);
	assert_int_equal(used_idx(&t.rx), 0);
	assert_int_equal(card_stat_read(&t.stats.rx_packets), 0);
	net_pair_set_queue(t.p, NET_RXQ, NULL);
}

/* VQ_PAIRS_SET takes a pair of a multi_queue TAP out of use and the
 * TUNSETQUEUE that would detach its queue fails (here it always does: the
 * "TAP" is a socket): the queue stays attached, and what the host sends
 * to it must still not reach the driver on a receive queue it gave up
 * (§5.1.6.5.5). Back in use, the pair receives again. */
static void test_pair_out_of_use_receives_nothing_when_detach_fails(void **state)
{
	static struct rx_pair t;
	(void)state;

	pair_start(&t, 1, 2, true, NET_RXQ);
	assert_true(net_fx_post_rx(&t.rx, t.rx.buf, 2048) >= 0);
	drv_vq_kick(&t.rx.dq);
	net_pair_set_active(t.p, false);        /* VQ_PAIRS_SET 1 */
	tap_send(&t);
	sleep_ms(200);
	assert_int_equal(used_idx(&t.rx), 0);
	assert_int_equal(card_stat_read(&t.stats.rx_packets), 0);

	net_pair_set_active(t.p, true);         /* VQ_PAIRS_SET 2 */
	assert_true(wait_used(&t.rx, 1));
	assert_int_equal(card_stat_read(&t.stats.rx_packets), 1);
	net_pair_set_queue(t.p, NET_RXQ, NULL);
}

/* And its writev(): on writev_fail_fd, counted, and failing once with
 * writev_fail_errno when set, as tun does once its device is deleted
 * (EBADFD). */
ssize_t __real_writev(int fd, const struct iovec *iov, int n);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int n);
static _Atomic int writev_fail_fd = -1, writev_fail_errno;
static _Atomic unsigned writev_calls;

ssize_t __wrap_writev(int fd, const struct iovec *iov, int n)
{
	int err;

	if (fd == writev_fail_fd) {
		writev_calls++;
		if ((err = atomic_exchange(&writev_fail_errno, 0))) {
			errno = err;
			return -1;
		}
	}
	return __real_writev(fd, iov, n);
}

/* A TAP whose device was deleted fails every write with EBADFD: the pair
 * gives it up at the first, as it does on a read, and drops what the
 * guest sends from then on, counted in tx_fails, without writing it. The
 * pair here has no receive ring, so only the transmit side can tell. */
static void test_tap_deleted_under_tx(void **state)
{
	static struct rx_pair t;
	struct net_fx *tx = &t.rx;
	(void)state;

	pair_start(&t, 0, 1, false, NET_TXQ);
	writev_fail_fd = t.sv[0];
	writev_fail_errno = EBADFD;

	uint8_t *out = drv_gpa(&tx->mem, tx->buf);
	memset(out, 0, t.mode.hdr_len + FRAME_LEN);
	struct drv_buf b = { tx->buf, (uint32_t)(t.mode.hdr_len + FRAME_LEN), false };
	for (uint16_t i = 1; i <= 3; i++) {
		assert_true(drv_vq_add(&tx->dq, &b, 1, 0) >= 0);
		drv_vq_kick(&tx->dq);
		assert_true(wait_used(tx, i));
	}
	sleep_ms(20);
	assert_int_equal(writev_calls, 1);
	assert_int_equal(drain_socket(t.sv[1]), 0);
	assert_int_equal(card_stat_read(&t.stats.tx_fails), 3);
	assert_int_equal(card_stat_read(&t.stats.tx_packets), 0);
	net_pair_set_queue(t.p, NET_TXQ, NULL);
	writev_fail_fd = -1;
}

static _Atomic unsigned pairs_set_calls;

static void count_pairs_set(void *ctx, unsigned pairs)
{
	(void)ctx;
	(void)pairs;
	pairs_set_calls++;
}

/* Posts VQ_PAIRS_SET pairs on control ring f, its ack byte at ack_gpa. */
static void post_pairs_set(struct net_fx *f, uint64_t gpa, uint16_t pairs)
{
	uint8_t *b = drv_gpa(&f->mem, gpa);
	struct drv_buf c[2] = { { gpa, 4, false }, { gpa + 64, 1, true } };

	b[0] = VIRTIO_NET_CTRL_MQ;
	b[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	b[2] = (uint8_t)pairs;
	b[3] = (uint8_t)(pairs >> 8);
	assert_true(drv_vq_add(&f->dq, c, 2, 0) >= 0);
}

/* A driver flipping the pairs in use as fast as it is answered would have
 * the card move TAP queues (TUNSETQUEUE: the host's RTNL lock and an RCU
 * grace period each) without pause: after one VQ_PAIRS_SET the control
 * ring waits PAIRS_SET_INTERVAL_NS (100 ms) before it answers the next. */
static void test_pairs_set_paced(void **state)
{
	static struct net_fx f;
	static struct net_mode mode;
	static struct card_limiter rx_l, tx_l;
	static struct net_pair_env env;
	struct azerr e;
	struct timespec t0, t1;
	int sv[2];
	(void)state;

	net_fx_init(&f, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	net_mode_init(&mode, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0, 0);
	env = (struct net_pair_env){
		.tap_name = "test-tap", .max_pairs = 8, .mode = &mode, .ctrl_mq = true,
		.rx_limit = &rx_l, .tx_limit = &tx_l, .set_pairs = count_pairs_set,
	};
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	struct net_pair *p = net_pair_create(0, sv[0], &env, &e);
	assert_non_null(p);

	for (unsigned i = 0; i < 7; i++)
		post_pairs_set(&f, f.buf + 128 * i, i % 2 ? 1 : 8);
	drv_vq_kick(&f.dq);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	net_pair_set_queue(p, NET_CTRLQ, &f.q);
	/* A burst of four at once (a probe's one never waits), then the
	 * next waits its turn, and the rest one every 100 ms. */
	for (int i = 0; i < 300 && used_idx(&f) < 4; i++)
		sleep_ms(10);
	sleep_ms(50);
	assert_int_equal(used_idx(&f), 4);
	assert_int_equal(pairs_set_calls, 4);
	assert_true(wait_used(&f, 7));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 290);
	assert_int_equal(pairs_set_calls, 7);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(*(uint8_t *)drv_gpa(&f.mem, f.buf + 128 * i + 64), VIRTIO_NET_OK);
	net_pair_set_queue(p, NET_CTRLQ, NULL);
}

/* The pair's read() goes through here (-Xlinker --wrap=read): a frame read
 * from read_fail_fd while read_fail_errno is set fails with that error
 * instead, once, the frame gone, as tun does when it cannot hand a frame
 * over (tun_put_user frees it). */
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);
static _Atomic int read_fail_fd = -1, read_fail_errno;

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	ssize_t n = __real_read(fd, buf, len);
	int err;

	if (n >= 0 && fd == read_fail_fd && (err = atomic_exchange(&read_fail_errno, 0))) {
		errno = err;
		return -1;
	}
	return n;
}

/* A TAP read that fails for one frame (tun's EINVAL for a GSO type it
 * cannot express) costs that frame only, counted; the pair goes on
 * receiving. EBADFD, what tun says once its device is deleted, ends the
 * TAP for the pair. */
static void test_tap_read_error_costs_one_frame(void **state)
{
	static struct rx_pair t;
	(void)state;

	rx_pair_start(&t, 0, 1);
	for (int i = 0; i < 4; i++)
		assert_true(net_fx_post_rx(&t.rx, t.rx.buf + 4096 * i, 2048) >= 0);
	drv_vq_kick(&t.rx.dq);
	read_fail_fd = t.sv[0];

	read_fail_errno = EINVAL;
	tap_send(&t);
	sleep_ms(50);
	assert_int_equal(card_stat_read(&t.stats.rx_fails), 1);
	assert_int_equal(used_idx(&t.rx), 0);
	tap_send(&t);
	assert_true(wait_used(&t.rx, 1));

	read_fail_errno = EBADFD;
	tap_send(&t);
	sleep_ms(50);
	tap_send(&t);
	sleep_ms(100);
	assert_int_equal(used_idx(&t.rx), 1);
	assert_int_equal(card_stat_read(&t.stats.rx_fails), 1);
	net_pair_set_queue(t.p, NET_RXQ, NULL);
	read_fail_fd = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_frame_waiting_for_tap_goes_back),
		cmocka_unit_test(test_mmds),
		cmocka_unit_test(test_held_frame_dropped_when_pair_leaves_use),
		cmocka_unit_test(test_pair_out_of_use_receives_nothing_when_detach_fails),
		cmocka_unit_test(test_tap_read_error_costs_one_frame),
		cmocka_unit_test(test_pairs_set_paced),
		cmocka_unit_test(test_tap_deleted_under_tx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
