/* Unit tests for the vhost-user front-end library (src/vmm/vhost_frontend.c):
 * a back-end that is silent, gone, or answers wrongly yields an error that
 * names the socket and the message, never a hang. The "back-end" is the
 * other end of a socketpair, its answers written in advance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/vhost_frontend.h"
#include "vhost/msg.h"

static struct vu_frontend fe;
static int peer;

static int setup(void **state)
{
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(vu_fe_attach(&fe, sv[0], "test-backend", 100, NULL), 0);
	peer = sv[1];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vu_fe_close(&fe);
	if (peer >= 0)
		close(peer);
	return 0;
}

static void answer(uint32_t req, uint32_t size, const void *payload)
{
	struct vu_msg m = { .hdr = { req, VHOST_USER_VERSION | VHOST_USER_REPLY, size } };

	if (size)
		memcpy(&m.p, payload, size);
	assert_int_equal(vu_msg_send(peer, &m, NULL), 0);
}

static void test_silent_backend(void **state)
{
	struct azerr e;
	struct timespec a, b;
	(void)state;

	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(vu_fe_negotiate(&fe, VU_FE_PROTOCOL_FEATURES, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_non_null(strstr(e.msg, "test-backend"));
	assert_non_null(strstr(e.msg, "GET_FEATURES"));
	assert_true(b.tv_sec - a.tv_sec < 2);
	/* A back-end that missed one answer may send it late: no later
	 * request waits for it, or takes it for its own. */
	assert_int_equal(vu_fe_reset(&fe, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_true((a.tv_sec - b.tv_sec) * 1000 + (a.tv_nsec - b.tv_nsec) / 1000000 < 50);
	assert_non_null(strstr(e.msg, "an earlier request broke the connection"));
}

static void test_backend_gone(void **state)
{
	struct azerr e;
	(void)state;

	close(peer);
	peer = -1;
	assert_int_equal(vu_fe_negotiate(&fe, 0, &e), -1);
	assert_non_null(strstr(e.msg, "test-backend"));
}

static void test_negotiation(void **state)
{
	struct azerr e;
	uint64_t f = (1ULL << 32) | (1ULL << 30) | 1;
	uint64_t pf = (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		      (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) | (1ULL << 20);
	uint64_t ack = 0, nack = 1;
	(void)state;

	answer(VHOST_USER_GET_FEATURES, 8, &f);
	answer(VHOST_USER_GET_PROTOCOL_FEATURES, 8, &pf);
	assert_int_equal(vu_fe_negotiate(&fe, VU_FE_PROTOCOL_FEATURES, &e), 0);
	assert_true(fe.has_protocol_features);
	assert_int_equal(fe.features, (1ULL << 32) | 1);
	/* Only what both sides know. */
	assert_int_equal(fe.protocol_features, pf & ~(1ULL << 20));
	/* With REPLY_ACK, a refusal is the caller's error. */
	answer(VHOST_USER_SET_FEATURES, 8, &nack);
	assert_int_equal(vu_fe_set_features(&fe, 1, &e), -1);
	assert_non_null(strstr(e.msg, "refused SET_FEATURES"));
	answer(VHOST_USER_SET_FEATURES, 8, &ack);
	assert_int_equal(vu_fe_set_features(&fe, 1, &e), 0);
	/* Features never offered are refused before anything is sent. */
	assert_int_equal(vu_fe_set_features(&fe, 2, &e), -1);
	/* An empty config answer is the back-end's failure. */
	struct vhost_user_config c = { .size = 0 };
	uint8_t cfg[8];
	answer(VHOST_USER_GET_CONFIG, 12, &c);
	assert_int_equal(vu_fe_get_config(&fe, 0, cfg, 8, &e), -1);
	assert_non_null(strstr(e.msg, "GET_CONFIG 0+8 failed"));
	/* MQ not negotiated: one queue, no question asked. */
	unsigned n;
	assert_int_equal(vu_fe_get_queue_num(&fe, &n, &e), 0);
	assert_int_equal(n, 1);
	/* A reply to another request is a protocol error, and the stream is
	 * out of step for good: nothing more is sent, even with an answer
	 * waiting. */
	answer(VHOST_USER_GET_FEATURES, 8, &f);
	assert_int_equal(vu_fe_get_config(&fe, 0, cfg, 8, &e), -1);
	assert_non_null(strstr(e.msg, "bad reply"));
	answer(VHOST_USER_SET_FEATURES, 8, &ack);
	assert_int_equal(vu_fe_set_features(&fe, 1, &e), -1);
	assert_non_null(strstr(e.msg, "SET_FEATURES: not sent, an earlier request broke"));
}

/* Reads the next message the front-end sent; fails the test if none. */
static void sent(struct vu_msg *m)
{
	assert_int_equal(vu_msg_recv(peer, m, 100, NULL), 1);
}

/* Negotiates offering pf as the back-end's protocol features; returns the
 * first request the front-end sent for it. */
static uint32_t negotiate_with(uint64_t pf)
{
	uint64_t f = 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	struct vu_msg m;
	uint32_t first;

	answer(VHOST_USER_GET_FEATURES, 8, &f);
	answer(VHOST_USER_GET_PROTOCOL_FEATURES, 8, &pf);
	assert_int_equal(vu_fe_negotiate(&fe, VU_FE_PROTOCOL_FEATURES, NULL), 0);
	sent(&m);
	first = m.hdr.request;
	do
		sent(&m);
	while (m.hdr.request != VHOST_USER_SET_PROTOCOL_FEATURES);
	return first;
}

/* The back-end keeps its owner through RESET_DEVICE (vhost-user spec), and
 * one may refuse a second claim: the negotiation after it sends no
 * SET_OWNER. RESET_OWNER releases it: the next negotiation claims it. */
static void test_owner_across_resets(void **state)
{
	struct vu_msg m;
	(void)state;

	assert_int_equal(negotiate_with(1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE),
			 VHOST_USER_SET_OWNER);
	assert_int_equal(vu_fe_reset(&fe, NULL), 0);
	sent(&m);
	assert_int_equal(m.hdr.request, VHOST_USER_RESET_DEVICE);
	assert_int_equal(negotiate_with(0), VHOST_USER_GET_FEATURES);
	assert_int_equal(vu_fe_reset(&fe, NULL), 0);
	sent(&m);
	assert_int_equal(m.hdr.request, VHOST_USER_RESET_OWNER);
	assert_int_equal(negotiate_with(0), VHOST_USER_SET_OWNER);
}

/* A back-end that answers every GET_FEATURES SLOW_MS late, well within a
 * request's timeout, until its socket closes. */
#define SLOW_MS 100
static void *slow_backend(void *arg)
{
	struct timespec late = { 0, SLOW_MS * 1000 * 1000 };
	uint64_t f = 1;
	struct vu_msg m;
	(void)arg;

	while (vu_msg_recv(peer, &m, -1, NULL) == 1) {
		vu_msg_close_fds(&m);
		if (m.hdr.request != VHOST_USER_GET_FEATURES)
			continue;
		nanosleep(&late, NULL);
		/* Not answer(): no cmocka assertion off the test's thread. */
		struct vu_msg a = { .hdr = { VHOST_USER_GET_FEATURES,
					     VHOST_USER_VERSION | VHOST_USER_REPLY, 8 },
				    .p.u64 = f };
		if (vu_msg_send(peer, &a, NULL))
			break;
	}
	return NULL;
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* Each answer in time, the sequence not: vu_fe_begin bounds them all. */
static void test_sequence_deadline(void **state)
{
	struct timespec t0;
	struct azerr e;
	pthread_t t;
	int ok = 0;
	(void)state;

	fe.timeout_ms = 10 * SLOW_MS;
	assert_int_equal(pthread_create(&t, NULL, slow_backend, NULL), 0);
	/* Without a bound, three slow answers are three successes. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(vu_fe_negotiate(&fe, 0, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vu_fe_begin(&fe, 5 * SLOW_MS / 2);
	while (ok < 10 && vu_fe_negotiate(&fe, 0, &e) == 0)
		ok++;
	vu_fe_end(&fe);
	assert_true(ok >= 1 && ok <= 2);
	assert_non_null(strstr(e.msg, "no answer within the timeout"));
	assert_true(ms_since(&t0) < 5 * SLOW_MS / 2 + 2 * SLOW_MS);
	shutdown(peer, SHUT_RDWR);
	pthread_join(t, NULL);
}

/* Dirty logging: VHOST_F_LOG_ALL is kept out of the features a guest would
 * see and added only when asked; SET_LOG_BASE carries the fd, the size and
 * offset 0, and waits for the answer whichever size a back-end gives it;
 * a logged ring's SET_VRING_ADDR names its used ring's guest address. */
static void test_dirty_log(void **state)
{
	struct azerr e;
	struct vu_msg m;
	uint64_t f = (1ULL << 32) | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) |
		     (1ULL << VHOST_F_LOG_ALL) | 1;
	uint64_t pf = (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		      (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD);
	uint64_t ack = 0, nack = 1;
	uint8_t sixteen[16] = { 0 };
	(void)state;

	answer(VHOST_USER_GET_FEATURES, 8, &f);
	answer(VHOST_USER_GET_PROTOCOL_FEATURES, 8, &pf);
	assert_int_equal(vu_fe_negotiate(&fe, VU_FE_PROTOCOL_FEATURES |
					 (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD), &e), 0);
	assert_int_equal(fe.features, (1ULL << 32) | 1);
	assert_true(fe.can_log);
	for (int i = 0; i < 4; i++)
		sent(&m);
	assert_int_equal(m.hdr.request, VHOST_USER_SET_PROTOCOL_FEATURES);
	assert_int_equal(m.p.u64, pf);
	/* LOG_ALL when asked, never otherwise. */
	answer(VHOST_USER_SET_FEATURES, 8, &ack);
	assert_int_equal(vu_fe_set_features(&fe, 1 | (1ULL << VHOST_F_LOG_ALL), &e), 0);
	sent(&m);
	assert_int_equal(m.p.u64, 1 | (1ULL << VHOST_F_LOG_ALL) |
				  (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
	/* SET_LOG_BASE: the fd, 16 bytes, no NEED_REPLY (it has its own). */
	int logfd = memfd_create("log", 0);
	answer(VHOST_USER_SET_LOG_BASE, 8, &ack);
	assert_int_equal(vu_fe_set_log_base(&fe, logfd, 4096, &e), 0);
	sent(&m);
	assert_int_equal(m.hdr.request, VHOST_USER_SET_LOG_BASE);
	assert_int_equal(m.hdr.size, 16);
	assert_int_equal(m.hdr.flags & VHOST_USER_NEED_REPLY, 0);
	assert_int_equal(m.p.log.mmap_size, 4096);
	assert_int_equal(m.p.log.mmap_offset, 0);
	assert_int_equal(m.nfds, 1);
	vu_msg_close_fds(&m);
	/* Answers of 0 and 16 bytes are back-ends' too; an 8-byte non-zero
	 * is a refusal (other sizes, a broken back-end: at the end). */
	answer(VHOST_USER_SET_LOG_BASE, 0, NULL);
	assert_int_equal(vu_fe_set_log_base(&fe, logfd, 4096, &e), 0);
	answer(VHOST_USER_SET_LOG_BASE, 16, sixteen);
	assert_int_equal(vu_fe_set_log_base(&fe, logfd, 4096, &e), 0);
	answer(VHOST_USER_SET_LOG_BASE, 8, &nack);
	assert_int_equal(vu_fe_set_log_base(&fe, logfd, 4096, &e), -1);
	assert_non_null(strstr(e.msg, "refused SET_LOG_BASE"));
	for (int i = 0; i < 3; i++) {
		sent(&m);
		vu_msg_close_fds(&m);
	}
	/* A logged ring names its used ring's guest address. */
	static const uint32_t ring_reqs[] = {
		VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_BASE,
		VHOST_USER_SET_VRING_ADDR, VHOST_USER_SET_VRING_CALL,
		VHOST_USER_SET_VRING_KICK, VHOST_USER_SET_VRING_ENABLE,
	};
	struct vu_fe_vring v = { .num = 16, .desc = 0x7000, .avail = 0x8000,
				 .used = 0x9000, .kickfd = eventfd(0, 0), .callfd = -1,
				 .log = true, .log_gpa = 0x5000 };
	for (unsigned i = 0; i < 6; i++)
		answer(ring_reqs[i], 8, &ack);
	assert_int_equal(vu_fe_vring_start(&fe, 1, &v, &e), 0);
	for (unsigned i = 0; i < 6; i++) {
		sent(&m);
		assert_int_equal(m.hdr.request, ring_reqs[i]);
		if (m.hdr.request == VHOST_USER_SET_VRING_ADDR) {
			assert_int_equal(m.p.addr.flags, VHOST_VRING_F_LOG);
			assert_int_equal(m.p.addr.log, 0x5000);
			assert_int_equal(m.p.addr.used, 0x9000);
		}
		vu_msg_close_fds(&m);
	}
	/* Without the protocol feature no log is sent; without LOG_ALL
	 * offered it is not asked for. */
	fe.protocol_features &= ~(1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD);
	assert_int_equal(vu_fe_set_log_base(&fe, logfd, 4096, &e), -1);
	assert_non_null(strstr(e.msg, "LOG_SHMFD"));
	fe.can_log = false;
	assert_int_equal(vu_fe_set_features(&fe, 1 | (1ULL << VHOST_F_LOG_ALL), &e), -1);
	assert_int_equal(vu_msg_recv(peer, &m, 0, NULL), -1);  /* nothing sent */
	fe.protocol_features |= 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	answer(VHOST_USER_SET_LOG_BASE, 4, &nack);
	assert_int_equal(vu_fe_set_log_base(&fe, logfd, 4096, &e), -1);
	assert_non_null(strstr(e.msg, "bad reply"));
	sent(&m);
	vu_msg_close_fds(&m);
	close(v.kickfd);
	close(logfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_silent_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_across_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty_log, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
