/* Unit tests for the vhost-user front-end library (src/vmm/vhost_frontend.c):
 * a back-end that is silent, gone, or answers wrongly yields an error that
 * names the socket and the message, never a hang. The "back-end" is the
 * other end of a socketpair, its answers written in advance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
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
	/* A reply to another request is a protocol error. */
	answer(VHOST_USER_GET_FEATURES, 8, &f);
	uint8_t cfg[8];
	assert_int_equal(vu_fe_get_config(&fe, 0, cfg, 8, &e), -1);
	assert_non_null(strstr(e.msg, "bad reply"));
	/* An empty config answer is the back-end's failure. */
	struct vhost_user_config c = { .size = 0 };
	answer(VHOST_USER_GET_CONFIG, 12, &c);
	assert_int_equal(vu_fe_get_config(&fe, 0, cfg, 8, &e), -1);
	assert_non_null(strstr(e.msg, "GET_CONFIG 0+8 failed"));
	/* MQ not negotiated: one queue, no question asked. */
	unsigned n;
	assert_int_equal(vu_fe_get_queue_num(&fe, &n, &e), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_silent_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
