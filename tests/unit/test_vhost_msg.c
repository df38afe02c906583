/* Unit tests for the vhost-user message codec (src/vhost/msg.c), the
 * back-end's handling of refused requests (src/cards/vhost/backend.c) and
 * what the server tells it of its front-end (src/cards/vhost/server.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "cards/vhost/backend.h"
#include "cards/vhost/server.h"
#include "vhost/msg.h"

/* Raw message bytes: header then payload. */
struct raw {
	struct vhost_user_header h;
	uint8_t p[512];
};

static int parse(uint32_t req, uint32_t flags, const void *payload, uint32_t size,
		 unsigned nfds, struct vu_msg *m)
{
	struct raw r = { .h = { req, flags, size } };

	if (size)
		memcpy(r.p, payload, size);
	return vu_msg_parse(m, &r, sizeof(r.h) + size, nfds, NULL);
}

static void test_parse_valid(void **state)
{
	struct vu_msg m;
	uint64_t u = 0x1234;
	struct vhost_user_mem_table t = { .nregions = 2 };
	struct vhost_user_config c = { .offset = 0, .size = 8 };
	(void)state;

	assert_int_equal(parse(VHOST_USER_GET_FEATURES, 1, NULL, 0, 0, &m), 0);
	assert_int_equal(parse(VHOST_USER_SET_FEATURES, 1, &u, 8, 0, &m), 0);
	assert_int_equal(m.p.u64, 0x1234);
	assert_int_equal(parse(VHOST_USER_SET_MEM_TABLE, 1, &t, 8 + 2 * 32, 2, &m), 0);
	u = 3;
	assert_int_equal(parse(VHOST_USER_SET_VRING_KICK, 1, &u, 8, 1, &m), 0);
	u = 3 | VHOST_USER_VRING_NOFD;
	assert_int_equal(parse(VHOST_USER_SET_VRING_CALL, 1, &u, 8, 0, &m), 0);
	assert_int_equal(parse(VHOST_USER_GET_CONFIG, 1 | VHOST_USER_NEED_REPLY, &c,
			       12 + 8, 0, &m), 0);
}

static void test_parse_malformed(void **state)
{
	struct vu_msg m;
	uint64_t u = 0;
	struct vhost_user_mem_table t = { .nregions = 2 };
	struct vhost_user_config c = { .size = 8 };
	uint8_t big[sizeof(union vhost_user_payload) + 8] = { 0 };
	(void)state;

	assert_int_equal(vu_msg_parse(&m, big, 6, 0, NULL), -1);        /* short header */
	assert_int_equal(parse(VHOST_USER_GET_FEATURES, 2, NULL, 0, 0, &m), -1);  /* version */
	assert_int_equal(parse(VHOST_USER_GET_FEATURES, 0, NULL, 0, 0, &m), -1);
	assert_int_equal(parse(VHOST_USER_GET_FEATURES, 1 | VHOST_USER_REPLY, NULL, 0, 0, &m), -1);
	assert_int_equal(parse(VHOST_USER_GET_FEATURES, 1, &u, 8, 0, &m), -1);  /* size */
	assert_int_equal(parse(VHOST_USER_SET_FEATURES, 1, &u, 4, 0, &m), -1);
	assert_int_equal(parse(VHOST_USER_SET_FEATURES, 1, &u, 8, 1, &m), -1);  /* stray fd */
	assert_int_equal(parse(VHOST_USER_SET_FEATURES, 1, big, sizeof(big), 0, &m), -1);
	assert_int_equal(parse(99, 1, NULL, 0, 0, &m), -1);          /* unknown */
	assert_int_equal(parse(1000, 1, NULL, 0, 0, &m), -1);
	/* SET_LOG_BASE: 16 bytes (size, offset) and one fd. */
	assert_int_equal(parse(VHOST_USER_SET_LOG_BASE, 1, &u, 8, 1, &m), -1);
	assert_int_equal(parse(VHOST_USER_SET_LOG_BASE, 1, big, 16, 0, &m), -1);
	assert_int_equal(parse(VHOST_USER_SET_LOG_BASE, 1, big, 16, 2, &m), -1);
	assert_int_equal(parse(VHOST_USER_SET_LOG_BASE, 1, big, 16, 1, &m), 0);
	assert_int_equal(parse(VHOST_USER_SET_LOG_FD, 1, NULL, 0, 1, &m), -1);  /* unsupported */
	/* Memory table: fd count, region count, size. */
	assert_int_equal(parse(VHOST_USER_SET_MEM_TABLE, 1, &t, 8 + 2 * 32, 1, &m), -1);
	assert_int_equal(parse(VHOST_USER_SET_MEM_TABLE, 1, &t, 8 + 1 * 32, 2, &m), -1);
	t.nregions = 0;
	assert_int_equal(parse(VHOST_USER_SET_MEM_TABLE, 1, &t, 8, 0, &m), -1);
	t.nregions = 9;
	assert_int_equal(parse(VHOST_USER_SET_MEM_TABLE, 1, &t, 8 + 8 * 32, 8, &m), -1);
	assert_int_equal(parse(VHOST_USER_SET_MEM_TABLE, 1, &t, 4, 0, &m), -1);
	/* Vring fds: fd presence must match the NOFD flag; no other flags. */
	assert_int_equal(parse(VHOST_USER_SET_VRING_KICK, 1, &u, 8, 0, &m), -1);
	u = VHOST_USER_VRING_NOFD;
	assert_int_equal(parse(VHOST_USER_SET_VRING_KICK, 1, &u, 8, 1, &m), -1);
	u = 1 << 9;
	assert_int_equal(parse(VHOST_USER_SET_VRING_KICK, 1, &u, 8, 1, &m), -1);
	/* Config: size field must match the payload, at most 256. */
	assert_int_equal(parse(VHOST_USER_GET_CONFIG, 1, &c, 12 + 4, 0, &m), -1);
	assert_int_equal(parse(VHOST_USER_GET_CONFIG, 1, &c, 8, 0, &m), -1);
	c.size = 300;
	assert_int_equal(parse(VHOST_USER_SET_CONFIG, 1, &c, 12, 0, &m), -1);
	/* Too many fds. */
	assert_int_equal(parse(VHOST_USER_GET_FEATURES, 1, NULL, 0, 9, &m), -1);
}

static void test_reply_checks(void **state)
{
	struct vu_msg m = { .hdr = { VHOST_USER_GET_FEATURES, 1 | VHOST_USER_REPLY, 8 } };
	(void)state;

	assert_int_equal(vu_msg_check_reply(&m, VHOST_USER_GET_FEATURES, NULL), 0);
	assert_int_equal(vu_msg_check_reply(&m, VHOST_USER_GET_QUEUE_NUM, NULL), -1);
	m.hdr.flags = 1;
	assert_int_equal(vu_msg_check_reply(&m, VHOST_USER_GET_FEATURES, NULL), -1);
	m.hdr.flags = 1 | VHOST_USER_REPLY;
	m.hdr.size = 4;
	assert_int_equal(vu_msg_check_reply(&m, VHOST_USER_GET_FEATURES, NULL), -1);
	/* REPLY_ACK answers are a u64. */
	m.hdr = (struct vhost_user_header){ VHOST_USER_SET_MEM_TABLE, 1 | VHOST_USER_REPLY, 8 };
	assert_int_equal(vu_msg_check_reply(&m, VHOST_USER_SET_MEM_TABLE, NULL), 0);
	/* SET_LOG_BASE's: 0, 8 or 16 bytes, as back-ends send them. */
	m.hdr = (struct vhost_user_header){ VHOST_USER_SET_LOG_BASE, 1 | VHOST_USER_REPLY, 0 };
	assert_true(vu_request_has_reply(VHOST_USER_SET_LOG_BASE));
	for (uint32_t size = 0; size <= 24; size++) {
		m.hdr.size = size;
		assert_int_equal(vu_msg_check_reply(&m, VHOST_USER_SET_LOG_BASE, NULL),
				 size == 0 || size == 8 || size == 16 ? 0 : -1);
	}
}

static int count_open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 256; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void test_socket_roundtrip(void **state)
{
	int sv[2];
	struct vu_msg m = { .hdr = { VHOST_USER_SET_VRING_CALL, 1, 8 } }, r;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	m.p.u64 = 2;
	m.fds[0] = eventfd(0, 0);
	m.nfds = 1;
	assert_int_equal(vu_msg_send(sv[0], &m, NULL), 0);
	assert_int_equal(vu_msg_recv(sv[1], &r, 1000, NULL), 1);
	assert_int_equal(r.hdr.request, VHOST_USER_SET_VRING_CALL);
	assert_int_equal(r.nfds, 1);
	assert_int_equal(vu_msg_check_request(&r, NULL), 0);
	vu_msg_close_fds(&r);

	/* A payload larger than any request: the stream cannot be trusted. */
	struct vhost_user_header h = { VHOST_USER_SET_FEATURES, 1, 4096 };
	assert_int_equal(write(sv[0], &h, sizeof(h)), sizeof(h));
	assert_int_equal(vu_msg_recv(sv[1], &r, 1000, NULL), -1);

	/* Silence: times out. */
	assert_int_equal(vu_msg_recv(sv[1], &r, 50, NULL), -1);

	/* Half a message: given up VU_MSG_TAIL_MS after it began, even by
	 * a reader that waits for ever for messages to start. */
	struct timespec t0, t1;
	h = (struct vhost_user_header){ VHOST_USER_SET_FEATURES, 1, 8 };
	assert_int_equal(write(sv[0], &h, sizeof(h)), sizeof(h));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct azerr e;
	assert_int_equal(vu_msg_recv(sv[1], &r, -1, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= VU_MSG_TAIL_MS - 100 && ms < VU_MSG_TAIL_MS + 2000);

	/* More fds than a message may carry: refused, none leaked. */
	int before = count_open_fds();
	struct vu_msg many = { .hdr = { VHOST_USER_GET_FEATURES, 1, 0 }, .nfds = 8 };
	for (int i = 0; i < 8; i++)
		many.fds[i] = m.fds[0];
	int extra = eventfd(0, 0);
	/* Send 9 fds by hand. */
	char ctl[CMSG_SPACE(9 * sizeof(int))];
	struct iovec iov = { &many.hdr, sizeof(many.hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(9 * sizeof(int));
	for (int i = 0; i < 9; i++)
		((int *)CMSG_DATA(cm))[i] = i < 8 ? m.fds[0] : extra;
	assert_int_equal(sendmsg(sv[0], &mh, 0), sizeof(many.hdr));
	assert_int_equal(vu_msg_recv(sv[1], &r, 1000, NULL), -1);
	assert_int_equal(count_open_fds(), before + 1);  /* only `extra` */
	close(extra);

	/* A header cut short by EOF, then EOF. */
	assert_int_equal(write(sv[0], &h, 6), 6);
	close(sv[0]);
	assert_int_equal(vu_msg_recv(sv[1], &r, 1000, NULL), -1);
	assert_int_equal(vu_msg_recv(sv[1], &r, 1000, NULL), 0);
	close(sv[1]);
	close(m.fds[0]);
}

/* ---- the back-end's answers ---- */

static void fake_get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(off + i);
}

static void fake_set_features(void *dev, uint64_t f)
{
	*(uint64_t *)dev = f;
}

static int fake_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	(void)dev; (void)idx; (void)q; (void)e;
	return 0;
}

static void fake_stop(void *dev, unsigned idx, struct virtq *q)
{
	(void)dev; (void)idx; (void)q;
}

static unsigned fake_resets;

static void fake_reset(void *dev)
{
	(void)dev;
	fake_resets++;
}

static const struct vu_device_ops fake_ops = {
	.get_config = fake_get_config, .set_features = fake_set_features,
	.queue_start = fake_start, .queue_stop = fake_stop, .reset = fake_reset,
};

static uint64_t fake_features;
static const struct vu_device fake_dev = {
	.ops = &fake_ops, .dev = &fake_features, .features = 0xff,
	.protocol_features = VU_BACKEND_PROTOCOL_FEATURES, .nr_queues = 2,
	.config_size = 16,
};

/* Sends req to the back-end, returns its handle() result; *reply gets the
 * answer if one was sent. */
static int ask(struct vu_backend *b, int peer, uint32_t req, uint32_t flags,
	       const void *p, uint32_t size, struct vu_msg *reply, bool *replied)
{
	struct vu_msg m = { .hdr = { req, 1 | flags, size } };

	if (size)
		memcpy(&m.p, p, size);
	int r = vu_backend_handle(b, &m, NULL);
	*replied = vu_msg_recv(peer, reply, 0, NULL) == 1;
	return r;
}

/* An urgent byte (MSG_OOB) makes a stream socket poll readable while a
 * read waits behind it: a peer that sends one, before a message or in the
 * middle of one, and then nothing, must cost the reader its timeout, not
 * hold it for ever. alarm: a hang fails the test instead of holding it. */
static void test_out_of_band(void **state)
{
	static const unsigned head_bytes[] = { 0, sizeof(struct vhost_user_header) };
	struct vhost_user_header h = { VHOST_USER_GET_FEATURES, 1 | VHOST_USER_REPLY, 8 };
	(void)state;

	for (unsigned i = 0; i < 2; i++) {
		struct vu_msg r;
		struct azerr e = { "" };
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		if (head_bytes[i])
			assert_int_equal(write(sv[0], &h, head_bytes[i]), (ssize_t)head_bytes[i]);
		if (send(sv[0], "!", 1, MSG_OOB) != 1) {
			/* A kernel without AF_UNIX MSG_OOB (before 5.15): no such peer. */
			assert_true(errno == EOPNOTSUPP || errno == EINVAL);
			close(sv[0]);
			close(sv[1]);
			skip();
		}
		alarm(10);
		assert_int_equal(vu_msg_recv(sv[1], &r, 200, &e), -1);
		alarm(0);
		assert_non_null(strstr(e.msg, "out-of-band"));
		close(sv[0]);
		close(sv[1]);
	}
}

static void test_backend_answers(void **state)
{
	struct vu_backend b;
	struct vu_msg r;
	bool replied;
	int sv[2];
	uint64_t u;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vu_backend_init(&b, &fake_dev);
	b.sock = sv[0];
	/* Before SET_OWNER: negotiation is answered, state changes are not. */
	u = 0x3;
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_FEATURES, 0, &u, 8, &r, &replied), -1);
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_FEATURES, 0, NULL, 0, &r, &replied), 0);
	assert_true(replied);
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_OWNER, 0, NULL, 0, &r, &replied), 0);
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_FEATURES, 0, NULL, 0, &r, &replied), 0);
	assert_true(replied);
	/* The device's, and two of the server's: protocol features, and
	 * dirty logging (it offers LOG_SHMFD). */
	assert_int_equal(r.p.u64, 0xff | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) |
			 (1ULL << VHOST_F_LOG_ALL));
	u = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK | 1ULL << VHOST_USER_PROTOCOL_F_CONFIG;
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_PROTOCOL_FEATURES, 0, &u, 8, &r, &replied), 0);
	assert_false(replied);  /* no NEED_REPLY */
	/* Features not offered: refused, and the ack says so. */
	u = 0x100;
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_FEATURES, VHOST_USER_NEED_REPLY,
			     &u, 8, &r, &replied), -1);
	assert_true(replied);
	assert_int_equal(r.p.u64, 1);
	u = 0x3;
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_FEATURES, VHOST_USER_NEED_REPLY,
			     &u, 8, &r, &replied), 0);
	assert_int_equal(r.p.u64, 0);
	assert_int_equal(fake_features, 0x3);
	/* Config: in range answered, out of range answered empty. */
	struct vhost_user_config c = { .offset = 4, .size = 8 };
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_CONFIG, 0, &c, 20, &r, &replied), 0);
	assert_int_equal(r.hdr.size, 20);
	assert_int_equal(r.p.config.data[0], 4);
	c.offset = 12;
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_CONFIG, 0, &c, 20, &r, &replied), -1);
	assert_true(replied);
	assert_int_equal(r.p.config.size, 0);
	/* A malformed GET_CONFIG (more than the 256 bytes a config may have,
	 * or a payload that does not match its size) is answered empty too,
	 * and the connection goes on. */
	c = (struct vhost_user_config){ .offset = 0, .size = 300 };
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_CONFIG, 0, &c, 12, &r, &replied), -1);
	assert_true(replied);
	assert_int_equal(r.p.config.size, 0);
	c.size = 8;
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_CONFIG, 0, &c, 16, &r, &replied), -1);
	assert_true(replied);
	assert_int_equal(r.p.config.size, 0);
	assert_false(b.broken);
	/* Vring index beyond the device's queues. */
	struct vhost_user_vring_state s = { 5, 64 };
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY,
			     &s, 8, &r, &replied), -1);
	assert_int_equal(r.p.u64, 1);
	s = (struct vhost_user_vring_state){ 0, 100 };  /* not a power of 2 */
	assert_int_equal(ask(&b, sv[1], VHOST_USER_SET_VRING_NUM, 0, &s, 8, &r, &replied), -1);
	/* A refused request that owes a reply ends the connection. */
	assert_false(b.broken);
	s = (struct vhost_user_vring_state){ 7, 0 };
	assert_int_equal(ask(&b, sv[1], VHOST_USER_GET_VRING_BASE, 0, &s, 8, &r, &replied), -1);
	assert_true(b.broken);
	/* Memory table whose regions overlap: refused, fds closed. */
	vu_backend_reset(&b);
	int before = count_open_fds();
	struct vu_msg mt = { .hdr = { VHOST_USER_SET_MEM_TABLE, 1, 8 + 64 }, .nfds = 2 };
	mt.p.mem.nregions = 2;
	mt.p.mem.regions[0] = (struct vhost_user_mem_region){ 0, 8192, 0x1000, 0 };
	mt.p.mem.regions[1] = (struct vhost_user_mem_region){ 4096, 8192, 0x9000, 0 };
	mt.fds[0] = eventfd(0, 0);
	mt.fds[1] = eventfd(0, 0);
	assert_int_equal(vu_backend_handle(&b, &mt, NULL), -1);
	assert_int_equal(count_open_fds(), before);
	/* A reply that cannot be sent (the front-end is gone): refused with
	 * the send's own reason, not an earlier request's, and the
	 * connection is broken. */
	vu_backend_reset(&b);
	close(sv[1]);
	struct vu_msg gf = { .hdr = { VHOST_USER_GET_FEATURES, 1, 0 } };
	struct azerr e = { .msg = "stale" };
	assert_int_equal(vu_backend_handle(&b, &gf, &e), -1);
	assert_non_null(strstr(e.msg, "GET_FEATURES refused: "));
	assert_non_null(strstr(e.msg, "send"));
	assert_null(strstr(e.msg, "stale"));
	assert_true(b.broken);
	vu_backend_reset(&b);
	close(sv[0]);
}

/* Sends one message carrying fd (or none if fd < 0) with NEED_REPLY and
 * returns the REPLY_ACK value (0 success). */
static uint64_t ask_ack(struct vu_backend *b, int peer, uint32_t req,
			const void *p, uint32_t size, int fd)
{
	struct vu_msg m = { .hdr = { req, 1 | VHOST_USER_NEED_REPLY, size } };
	struct vu_msg r;

	if (size)
		memcpy(&m.p, p, size);
	if (fd >= 0) {
		m.fds[0] = fd;
		m.nfds = 1;
	}
	vu_backend_handle(b, &m, NULL);
	assert_int_equal(vu_msg_recv(peer, &r, 0, NULL), 1);
	return r.p.u64;
}

/* A back-end on one end of a new socketpair sv (the front-end's end is
 * sv[1]), owned, with protocol features pf negotiated (REPLY_ACK among
 * them: every request below is acked). */
static void owned_backend(struct vu_backend *b, int sv[2], uint64_t pf)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vu_backend_init(b, &fake_dev);
	b->sock = sv[0];
	assert_int_equal(ask_ack(b, sv[1], VHOST_USER_SET_PROTOCOL_FEATURES, &pf, 8, -1), 0);
	assert_int_equal(ask_ack(b, sv[1], VHOST_USER_SET_OWNER, NULL, 0, -1), 0);
}

static unsigned config_writes;

static int count_set_config(void *dev, uint32_t off, const void *buf, uint32_t len,
			    struct azerr *e)
{
	(void)dev, (void)off, (void)buf, (void)len, (void)e;
	config_writes++;
	return 0;
}

/* One config request, its result, with the error's text in why. */
static int config_req(struct vu_backend *b, uint32_t req, uint32_t off, uint32_t size,
		      char *why)
{
	struct vu_msg m = { .hdr = { req, 1, VHOST_USER_CONFIG_HDR + size } };
	struct azerr e = { "" };
	int r;

	m.p.config = (struct vhost_user_config){ .offset = off, .size = size };
	r = vu_backend_handle(b, &m, &e);
	strcpy(why, e.msg);
	return r;
}

/* A config access the device cannot serve is refused, never taken as done:
 * any on a device with no config space (the entropy card's), one of 0
 * bytes (which GET_CONFIG's refusal, an empty config, would look like),
 * and SET_CONFIG as GET_CONFIG without the CONFIG protocol feature. */
static void test_config_refusals(void **state)
{
	static const struct vu_device_ops ops = {
		.get_config = fake_get_config, .set_config = count_set_config,
		.set_features = fake_set_features, .queue_start = fake_start,
		.queue_stop = fake_stop, .reset = fake_reset,
	};
	struct vu_device none = { .ops = &ops, .dev = &fake_features, .features = 0xff,
				  .protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
				  .nr_queues = 1 }, sixteen = none;
	struct vu_backend b;
	struct vu_msg r;
	char why[sizeof(((struct azerr *)0)->msg)];
	int sv[2];
	(void)state;

	sixteen.config_size = 16;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int with_config = 0; with_config < 2; with_config++) {
		vu_backend_init(&b, with_config ? &sixteen : &none);
		b.sock = sv[0];
		b.owner = true;
		config_writes = 0;
		/* Not negotiated yet: neither is served. */
		assert_int_equal(config_req(&b, VHOST_USER_SET_CONFIG, 0, 4, why), -1);
		assert_non_null(strstr(why, "without the CONFIG protocol feature"));
		assert_int_equal(config_req(&b, VHOST_USER_GET_CONFIG, 0, 4, why), -1);
		assert_int_equal(vu_msg_recv(sv[1], &r, 0, NULL), 1);
		assert_int_equal(r.p.config.size, 0);
		b.protocol_features = 1ULL << VHOST_USER_PROTOCOL_F_CONFIG;
		/* 12 bytes: a config header asking for nothing. */
		assert_int_equal(config_req(&b, VHOST_USER_GET_CONFIG, 0, 0, why), -1);
		assert_non_null(strstr(why, with_config ? "config access of 0 bytes at 0" :
						   "the device has no config space"));
		assert_int_equal(vu_msg_recv(sv[1], &r, 0, NULL), 1);
		assert_int_equal(r.p.config.size, 0);
		assert_int_equal(config_req(&b, VHOST_USER_SET_CONFIG, 16, 0, why), -1);
		assert_non_null(strstr(why, with_config ? "config access of 0 bytes at 16" :
						   "the device has no config space"));
		/* What the device has is served. */
		assert_int_equal(config_req(&b, VHOST_USER_SET_CONFIG, 0, 4, why),
				 with_config ? 0 : -1);
		assert_int_equal(config_writes, (unsigned)with_config);
		vu_backend_reset(&b);
	}
	close(sv[0]);
	close(sv[1]);
}

/* The resets with NEED_REPLY are acked, RESET_OWNER's too although it
 * forgets REPLY_ACK (its front-end, which asked under it, waits);
 * RESET_DEVICE keeps the owner and the protocol features. Each, and the
 * front-end's end, resets the device. */
static void test_resets_acked(void **state)
{
	struct vu_backend b;
	int sv[2];
	uint64_t pf = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK |
		      1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE;
	(void)state;

	owned_backend(&b, sv, pf);
	fake_resets = 0;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_RESET_DEVICE, NULL, 0, -1), 0);
	assert_true(b.owner);
	assert_int_equal(b.protocol_features, pf);
	assert_int_equal(fake_resets, 1);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_RESET_OWNER, NULL, 0, -1), 0);
	assert_false(b.owner);
	assert_int_equal(b.protocol_features, 0);
	assert_false(b.broken);
	assert_int_equal(fake_resets, 2);
	vu_backend_reset(&b);
	assert_int_equal(fake_resets, 3);
	close(sv[0]);
	close(sv[1]);
}

/* Guest memory of the ring tests: 64 KiB at guest address 0, which the
 * front-end has at RAM_UVA; RING_OUT is outside it. */
#define RAM_UVA 0x100000
#define RING_OUT 0x900000

/* Places ring 0 at front-end address uva: descriptors, then the avail and
 * used rings a page apart. Returns the REPLY_ACK value. */
static uint64_t place_ring(struct vu_backend *b, int peer, uint64_t uva)
{
	struct vhost_user_vring_addr a = { .index = 0, .desc = uva,
					   .avail = uva + 0x1000, .used = uva + 0x2000 };

	return ask_ack(b, peer, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), -1);
}

/* The ring tests' memory, from fd (handed over). Returns the REPLY_ACK
 * value. */
static uint64_t set_ram(struct vu_backend *b, int peer, int fd)
{
	struct vhost_user_mem_table t = { .nregions = 1 };

	t.regions[0] = (struct vhost_user_mem_region){ 0, 65536, RAM_UVA, 0 };
	return ask_ack(b, peer, VHOST_USER_SET_MEM_TABLE, &t, 8 + 32, fd);
}

/* A memfd of the ring tests' memory size; flags: memfd_create's. */
static int ram_memfd(unsigned flags)
{
	int fd = memfd_create("guest", flags);

	assert_int_equal(ftruncate(fd, 65536), 0);
	return fd;
}

/* An owned back-end (REPLY_ACK) with the ring tests' memory and ring 0 of
 * 16 entries, enabled, placed outside that memory: it cannot start. */
static void ring_outside_memory(struct vu_backend *b, int sv[2])
{
	owned_backend(b, sv, 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	assert_int_equal(set_ram(b, sv[1], ram_memfd(0)), 0);
	struct vhost_user_vring_state num = { 0, 16 }, on = { 0, 1 };
	assert_int_equal(ask_ack(b, sv[1], VHOST_USER_SET_VRING_NUM, &num, 8, -1), 0);
	assert_int_equal(place_ring(b, sv[1], RING_OUT), 0);
	assert_int_equal(ask_ack(b, sv[1], VHOST_USER_SET_VRING_ENABLE, &on, 8, -1), 0);
}

/* A ring that cannot start (issue 15, finding 5): the request that made
 * it ready is refused through REPLY_ACK and its error eventfd fires; later
 * requests about other things are not refused for it, nor after a refused
 * request about it, which changed nothing; once its addresses are fixed
 * it starts. */
static void test_ring_start_failure(void **state)
{
	struct vu_backend b;
	int sv[2];
	uint64_t u = 0, cnt;
	(void)state;

	ring_outside_memory(&b, sv);
	int errfd = eventfd(0, EFD_NONBLOCK), kick = eventfd(0, 0);
	/* Ring fds must be eventfds: a pipe is refused (and closed). */
	int before = count_open_fds(), pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_CALL, &u, 8, pfd[0]), 1);
	close(pfd[1]);
	assert_int_equal(count_open_fds(), before);
	assert_int_equal(b.vrings[0].callfd, -1);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ERR, &u, 8, errfd), 0);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_KICK, &u, 8, dup(kick)), 1);
	assert_false(b.vrings[0].running);
	assert_int_equal(read(errfd, &cnt, 8), 8);
	assert_int_equal(cnt, 1);
	/* Not refused again for a ring nobody touched since. */
	u = 3;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_FEATURES, &u, 8, -1), 0);
	struct vhost_user_vring_addr bad_flags = { .index = 0, .flags = 2 };
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ADDR, &bad_flags,
				 sizeof(bad_flags), -1), 1);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_FEATURES, &u, 8, -1), 0);
	assert_int_equal(read(errfd, &cnt, 8), -1);  /* signalled once only */
	/* Fixed: inside the region, and it starts. */
	assert_int_equal(place_ring(&b, sv[1], RAM_UVA), 0);
	assert_true(b.vrings[0].running);
	vu_backend_reset(&b);
	close(kick);
	close(errfd);
	close(sv[0]);
	close(sv[1]);
}

/* An eventfd left blocking, as a front-end may send it, whose counter it
 * filled: one more write would wait until someone reads it. */
static int full_blocking_eventfd(void)
{
	uint64_t max = 0xfffffffffffffffeULL;
	int fd = eventfd(0, 0);

	assert_int_equal(write(fd, &max, sizeof(max)), sizeof(max));
	return fd;
}

static bool nonblocking(int fd)
{
	return fcntl(fd, F_GETFL) & O_NONBLOCK;
}

/* Ring eventfds a front-end left blocking: each is made non-blocking as
 * it comes, so a full error counter cannot hold the vhost-user thread
 * (a ring that cannot start signals it) nor a full call counter a worker
 * (virtq_notify); and a kick is read without waiting even once the
 * front-end has cleared the flag again. alarm: a hang fails the test. */
static void test_blocking_ring_fds(void **state)
{
	struct vu_backend b;
	int sv[2];
	uint64_t u = 0;
	(void)state;

	ring_outside_memory(&b, sv);
	int errfd = full_blocking_eventfd(), callfd = full_blocking_eventfd();
	int kick = eventfd(0, 0);
	alarm(2);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ERR, &u, 8, dup(errfd)), 0);
	assert_true(nonblocking(errfd));
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_CALL, &u, 8, dup(callfd)), 0);
	assert_true(nonblocking(callfd));
	/* The ring cannot start: answered, its error signal dropped (one is
	 * pending already). */
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_KICK, &u, 8, dup(kick)), 1);
	assert_true(nonblocking(kick));
	assert_false(b.vrings[0].running);
	/* Inside memory it starts; a completion's call is dropped too. */
	assert_int_equal(place_ring(&b, sv[1], RAM_UVA), 0);
	assert_true(b.vrings[0].running);
	b.vrings[0].q.used_idx++;
	virtq_notify(&b.vrings[0].q);
	/* The front-end clears O_NONBLOCK on the file it shares with us:
	 * no kick pending is still no wait, and no failure. */
	assert_int_equal(fcntl(kick, F_SETFL, 0), 0);
	assert_true(virtq_take_kicks(b.vrings[0].kickfd));
	u = 1;
	assert_int_equal(write(kick, &u, sizeof(u)), sizeof(u));
	assert_true(virtq_take_kicks(b.vrings[0].kickfd));
	struct pollfd left = { kick, POLLIN, 0 };
	assert_int_equal(poll(&left, 1, 0), 0);  /* taken: none left */
	alarm(0);
	vu_backend_reset(&b);
	close(kick);
	close(callfd);
	close(errfd);
	close(sv[0]);
	close(sv[1]);
}

/* An unbound loop device (its size 0) this process may open read-write,
 * or -1. */
static int unbound_loop_device(void)
{
	char path[32];

	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/dev/loop%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && lseek(fd, 0, SEEK_END) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/* Guest memory from an fd that is no regular file: refused, as nothing
 * says what a mapping of it holds, and the connection goes on. An unbound
 * loop device was mapped, and the ring's start then died of SIGBUS. */
static void test_ram_not_a_file(void **state)
{
	struct vu_backend b;
	int sv[2];
	(void)state;

	owned_backend(&b, sv, 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	assert_int_equal(set_ram(&b, sv[1], open("/dev/zero", O_RDWR | O_CLOEXEC)), 1);
	assert_int_equal(b.mem.nr, 0);
	int loop = unbound_loop_device();
	if (loop >= 0) {
		assert_int_equal(set_ram(&b, sv[1], loop), 1);
		assert_int_equal(b.mem.nr, 0);
	} else {
		print_message("no unbound loop device to open: that case not run\n");
	}
	assert_int_equal(set_ram(&b, sv[1], ram_memfd(0)), 0);
	assert_int_equal(b.mem.nr, 1);
	vu_backend_reset(&b);
	close(sv[0]);
	close(sv[1]);
}

/* What a front-end on the other end of sock gets for req (NEED_REPLY set)
 * with payload p and fd (closed here; -1: none): the u64 answered. */
static uint64_t front_end_ask(int sock, uint32_t req, const void *p, uint32_t size, int fd)
{
	struct vu_msg m = { .hdr = { req, 1 | VHOST_USER_NEED_REPLY, size } }, r;

	if (size)
		memcpy(&m.p, p, size);
	if (fd >= 0) {
		m.fds[0] = fd;
		m.nfds = 1;
	}
	assert_int_equal(vu_msg_send(sock, &m, NULL), 0);
	if (fd >= 0)
		close(fd);
	assert_int_equal(vu_msg_recv(sock, &r, 5000, NULL), 1);
	return r.p.u64;
}

static void *serve_fd(void *sock)
{
	return (void *)(intptr_t)vu_server_run(&fake_dev, *(int *)sock, -1, NULL, NULL);
}

/* The card's front-end on --fd is azote, whose guest memory and dirty log
 * are memfds sealable against shrinking: one that cannot be sealed, which
 * the front-end could then truncate under the card (SIGBUS), is refused
 * there. (A front-end that connects to --socket may send such fds: they
 * are taken, with a warning; ring_outside_memory's memfd is one.) */
static void test_fd_front_end_seals(void **state)
{
	uint64_t pf = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK |
		      1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	struct vhost_user_mem_table t = { .nregions = 1 };
	struct vhost_user_log l = { 4096, 0 };
	pthread_t server;
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pthread_create(&server, NULL, serve_fd, &sv[0]), 0);
	assert_int_equal(front_end_ask(sv[1], VHOST_USER_SET_PROTOCOL_FEATURES, &pf, 8, -1), 0);
	assert_int_equal(front_end_ask(sv[1], VHOST_USER_SET_OWNER, NULL, 0, -1), 0);
	t.regions[0] = (struct vhost_user_mem_region){ 0, 65536, RAM_UVA, 0 };
	assert_int_equal(front_end_ask(sv[1], VHOST_USER_SET_MEM_TABLE, &t, 8 + 32,
				       ram_memfd(0)), 1);
	assert_int_equal(front_end_ask(sv[1], VHOST_USER_SET_MEM_TABLE, &t, 8 + 32,
				       ram_memfd(MFD_ALLOW_SEALING)), 0);
	assert_int_equal(front_end_ask(sv[1], VHOST_USER_SET_LOG_BASE, &l, sizeof(l),
				       ram_memfd(0)), 1);
	assert_int_equal(front_end_ask(sv[1], VHOST_USER_SET_LOG_BASE, &l, sizeof(l),
				       ram_memfd(MFD_ALLOW_SEALING)), 0);
	close(sv[1]);
	void *r;
	assert_int_equal(pthread_join(server, &r), 0);
	assert_null(r);
	close(sv[0]);
}

/* SET_LOG_BASE with a log of size bytes at off in fd (-1: none attached);
 * returns the u64 the back-end answered, after checking it answered once
 * (NEED_REPLY is set: REPLY_ACK must not add a second answer). */
static uint64_t set_log(struct vu_backend *b, int peer, int fd, uint64_t size,
			uint64_t off)
{
	struct vhost_user_log l = { size, off };
	struct vu_msg r;
	uint64_t v = ask_ack(b, peer, VHOST_USER_SET_LOG_BASE, &l, sizeof(l), fd);

	assert_int_equal(vu_msg_recv(peer, &r, 0, NULL), -1);
	assert_false(b->broken);
	return v;
}

/* The dirty log's messages: SET_LOG_BASE's refusals answered as the
 * front-end waits for them, the log checked against guest memory and
 * replaced with the rings stopped (and started again: the same driver's,
 * the device not reset), VHOST_VRING_F_LOG's address checked when the
 * ring starts, every fd closed. */
static void test_log_base(void **state)
{
	struct vu_backend b;
	int sv[2], before = count_open_fds();
	uint64_t u;
	(void)state;

	u = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK;
	owned_backend(&b, sv, u);
	int logfd = memfd_create("log", MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(logfd, 4096), 0);
	/* Without LOG_SHMFD negotiated: refused. */
	assert_int_equal(set_log(&b, sv[1], dup(logfd), 16, 0), 1);
	u |= 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_PROTOCOL_FEATURES, &u, 8, -1), 0);
	/* No fd, a size of 0, more than the fd holds, an eventfd: refused,
	 * answered, the connection goes on. */
	assert_int_equal(set_log(&b, sv[1], -1, 16, 0), 1);
	assert_int_equal(set_log(&b, sv[1], dup(logfd), 0, 0), 1);
	assert_int_equal(set_log(&b, sv[1], dup(logfd), 16, 4090), 1);
	assert_int_equal(set_log(&b, sv[1], eventfd(0, 0), 16, 0), 1);
	assert_null(b.log.bits);
	/* 64 KiB of guest memory at 0x10000: pages up to 0x20000, 4 bytes of
	 * log. 3 bytes are refused, 4 taken. */
	int memfd = memfd_create("guest", 0);
	assert_int_equal(ftruncate(memfd, 65536), 0);
	struct vhost_user_mem_table t = { .nregions = 1 };
	t.regions[0] = (struct vhost_user_mem_region){ 0x10000, 65536, 0x100000, 0 };
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_MEM_TABLE, &t, 8 + 32, memfd), 0);
	close(memfd);
	assert_int_equal(set_log(&b, sv[1], dup(logfd), 3, 0), 1);
	assert_int_equal(set_log(&b, sv[1], dup(logfd), 4, 0), 0);
	assert_int_equal(b.log.size, 4);
	/* A ring whose used ring is logged: log_guest_addr must be the used
	 * ring's guest address (0x100000 + 0x2000 -> 0x12000). Unknown
	 * flags are refused outright. */
	u = (1ULL << VHOST_F_LOG_ALL) | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_FEATURES, &u, 8, -1), 0);
	assert_int_equal(fake_features, 0);  /* the device does not see LOG_ALL */
	struct vhost_user_vring_state num = { 0, 16 }, on = { 0, 1 };
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_NUM, &num, 8, -1), 0);
	struct vhost_user_vring_addr a = { .index = 0, .flags = 2, .desc = 0x100000,
					   .avail = 0x101000, .used = 0x102000 };
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), -1), 1);
	a.flags = VHOST_VRING_F_LOG;
	a.log = 0x13000;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), -1), 0);
	int kick = eventfd(0, 0);
	u = 0;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ENABLE, &on, 8, -1), 0);
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_KICK, &u, 8, dup(kick)), 1);
	assert_false(b.vrings[0].running);
	a.log = 0x12000;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), -1), 0);
	assert_true(b.vrings[0].running);
	assert_ptr_equal(b.vrings[0].q.log, &b.log);
	assert_ptr_equal(b.vrings[0].q.used_log, &b.log);
	assert_int_equal(b.vrings[0].q.used_gpa, 0x12000);
	/* A new log replaces the old one; the ring runs on it. */
	uint8_t *old = b.log.bits;
	fake_resets = 0;
	assert_int_equal(set_log(&b, sv[1], dup(logfd), 8, 8), 0);
	assert_true(b.log.bits != old);
	assert_int_equal(b.log.size, 8);
	assert_true(b.vrings[0].running);
	assert_int_equal(fake_resets, 0);
	/* Logging off again (features without LOG_ALL): the used ring is
	 * still logged, as its address asks; buffers are not. */
	u = 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_SET_FEATURES, &u, 8, -1), 0);
	assert_true(b.vrings[0].running);
	assert_null(b.vrings[0].q.log);
	assert_ptr_equal(b.vrings[0].q.used_log, &b.log);
	/* A reset forgets the log. */
	assert_int_equal(ask_ack(&b, sv[1], VHOST_USER_RESET_DEVICE, NULL, 0, -1), 0);
	assert_null(b.log.bits);
	vu_backend_reset(&b);
	close(kick);
	close(logfd);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(count_open_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_reply_checks),
		cmocka_unit_test(test_socket_roundtrip),
		cmocka_unit_test(test_out_of_band),
		cmocka_unit_test(test_backend_answers),
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_resets_acked),
		cmocka_unit_test(test_ring_start_failure),
		cmocka_unit_test(test_blocking_ring_fds),
		cmocka_unit_test(test_ram_not_a_file),
		cmocka_unit_test(test_fd_front_end_seals),
		cmocka_unit_test(test_log_base),
	};

	log_init("test_vhost_msg", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
