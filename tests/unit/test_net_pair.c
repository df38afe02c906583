/* The net card's queue pair worker (src/cards/net/pair.c) when its
 * transmit ring is taken back, as GET_VRING_BASE does for a snapshot, with
 * a frame waiting for room in the TAP: the frame goes back to the ring,
 * neither completed (lost) nor left half-done, and whoever serves the ring
 * next sends it once. The "TAP" is a datagram socket nobody reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cards/net/pair.h"
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
	static struct net_fx f;
	struct net_mode mode;
	static struct card_limiter rx_l, tx_l;
	struct azerr e;
	int sv[2];

	net_fx_init(&f, 16, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	net_mode_init(&mode, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0, 0);
	struct net_pair_env env = {
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_frame_waiting_for_tap_goes_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
