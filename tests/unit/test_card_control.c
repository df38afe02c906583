/* iface/card_control: one request and its reply over a real SOCK_SEQPACKET
 * socketpair, with fds passed; what each side refuses of the other. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "iface/card_control.h"

static int sv[2];

static int setup(void **st)
{
	(void)st;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

/* The lowest fd number free: one a call leaves open takes it. */
static int lowest_free(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static int teardown(void **st)
{
	(void)st;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* The card's side, on a thread: takes one request, checks its fd is the
 * one sent (same inode), answers with the number of fds it got. */
static void *card(void *arg)
{
	struct card_ctl_req req;
	struct card_ctl_reply rep = { 0 };
	int fds[CARD_CTL_MAX_FDS];
	unsigned n;
	struct azerr e;
	const struct stat *want = arg;
	struct stat st;

	if (card_ctl_recv(sv[1], &req, fds, &n, &e) != 1)
		rep.status = EPROTO;
	else if (n != 1 || fstat(fds[0], &st) < 0 || st.st_ino != want->st_ino ||
		 !(fcntl(fds[0], F_GETFD) & FD_CLOEXEC))
		rep.status = EBADF;
	rep.sectors = n + 100 * req.op;
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	card_ctl_send_reply(sv[1], &rep);
	return NULL;
}

static void test_call_with_fd(void **st)
{
	(void)st;
	struct card_ctl_req req = { .op = CARD_CTL_SET_IMAGE };
	struct card_ctl_reply rep;
	struct azerr e = { "" };
	struct stat want;
	pthread_t t;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0 && fstat(fd, &want) == 0);
	assert_int_equal(pthread_create(&t, NULL, card, &want), 0);
	assert_int_equal(card_ctl_call(sv[0], &req, &fd, 1, &rep, &e), 0);
	pthread_join(t, NULL);
	assert_int_equal(rep.status, 0);
	assert_int_equal(rep.sectors, 1 + 100 * CARD_CTL_SET_IMAGE);
	close(fd);
}

/* A datagram that is not a request: refused, and the fds it carried are
 * not left open in the card. */
static void test_card_refuses_short_request(void **st)
{
	(void)st;
	char junk[7] = "junk";
	struct card_ctl_req req;
	int fds[CARD_CTL_MAX_FDS], before = lowest_free();
	unsigned n = 99;
	struct azerr e = { "" };

	assert_int_equal(send(sv[0], junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "a request of 7 bytes"));
	/* The lowest free fd is the one free before: nothing leaked. */
	assert_int_equal(lowest_free(), before);
	close(sv[0]);
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), 0);
	sv[0] = -1;
}

/* An empty message reads as 0 bytes, as the channel's end does: it is a
 * request refused, the fds it carried closed, and the channel goes on;
 * only azote's end closing ends it. */
static void test_card_refuses_empty_request(void **st)
{
	(void)st;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr h;
	} ctl = { .h = { .cmsg_len = CMSG_LEN(2 * sizeof(int)), .cmsg_level = SOL_SOCKET,
			 .cmsg_type = SCM_RIGHTS } };
	struct msghdr m = { .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct card_ctl_req req = { .op = CARD_CTL_MEM_LOADED };
	int fds[CARD_CTL_MAX_FDS], before = lowest_free(), sent[2] = { 0, 0 };
	unsigned n = 99;
	struct azerr e = { "" };

	memcpy(CMSG_DATA(&ctl.h), sent, sizeof(sent));
	assert_int_equal(sendmsg(sv[0], &m, 0), 0);
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "a request of 0 bytes"));
	assert_int_equal(lowest_free(), before);
	/* Without fds: refused too, and a request after it is read. */
	assert_int_equal(send(sv[0], "", 0, 0), 0);
	assert_int_equal(send(sv[0], &req, sizeof(req), 0), (ssize_t)sizeof(req));
	e.msg[0] = 0;
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), -1);
	assert_non_null(strstr(e.msg, "a request of 0 bytes"));
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), 1);
	assert_int_equal(req.op, CARD_CTL_MEM_LOADED);
	/* azote's end shut, or closed: the channel's end. */
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), 0);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(card_ctl_recv(sv[1], &req, fds, &n, &e), 0);
}

/* Each known request uses its own fields only: a byte not 0 in another's
 * is refused, the fds with it closed; an unknown request is left to the
 * card's kind, which refuses it. */
static void test_card_refuses_stray_fields(void **st)
{
	(void)st;
	static const struct { struct card_ctl_req req; int want; } cases[] = {
		{ { .op = CARD_CTL_NET_PAIRS, .net_pairs = 2 }, 1 },
		{ { .op = CARD_CTL_NET_PAIRS, .net_pairs = 2, .mmds.size = 5 }, -1 },
		{ { .op = CARD_CTL_SET_IMAGE }, 1 },
		{ { .op = CARD_CTL_SET_IMAGE, .stats_interval_s = 1 }, -1 },
		{ { .op = CARD_CTL_SET_MMDS, .mmds = { .version = 1, .size = 5 } }, 1 },
		{ { .op = CARD_CTL_SET_MMDS, .mmds.size = 5, .net_pairs = 1 }, -1 },
		{ { .op = CARD_CTL_SET_STATS_INTERVAL, .stats_interval_s = 3 }, 1 },
		{ { .op = CARD_CTL_SET_STATS_INTERVAL, .nr_limits = 1 }, -1 },
		{ { .op = CARD_CTL_MEM_LOADED, .limit[1].ops.size = 1 }, -1 },
		{ { .op = CARD_CTL_SET_LIMITS, .nr_limits = 1, .net_pairs = 1 }, -1 },
		{ { .op = 99, .net_pairs = 1 }, 1 },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr h;
	} ctl = { .h = { .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET,
			 .cmsg_type = SCM_RIGHTS } };
	int fds[CARD_CTL_MAX_FDS], zero = 0, before = lowest_free();
	struct card_ctl_req got;
	unsigned n;
	struct azerr e;

	memcpy(CMSG_DATA(&ctl.h), &zero, sizeof(zero));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct iovec iov = { (void *)&cases[i].req, sizeof(cases[i].req) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf) };

		e.msg[0] = 0;
		assert_int_equal(sendmsg(sv[0], &m, 0), (ssize_t)sizeof(got));
		int r = card_ctl_recv(sv[1], &got, fds, &n, &e);

		if (r != cases[i].want)
			fail_msg("case %zu: %d, not %d (%s)", i, r, cases[i].want, e.msg);
		if (r < 0)
			assert_non_null(strstr(e.msg, "not 0 outside its fields"));
		assert_int_equal(n, r == 1 ? 1u : 0u);
		if (n)
			close(fds[0]);
		assert_int_equal(lowest_free(), before);
	}
}

/* A reply carrying fds: azote reads replies without room for any, so the
 * kernel drops them instead of putting them in azote's table. */
static void test_azote_takes_no_fds_from_reply(void **st)
{
	(void)st;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr h;
	} ctl = { .h = { .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET,
			 .cmsg_type = SCM_RIGHTS } };
	struct card_ctl_reply rep = { 0 };
	struct iovec iov = { &rep, sizeof(rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct card_ctl_req req = { .op = CARD_CTL_MEM_LOADED }, got;
	int before = lowest_free(), zero = 0;
	struct azerr e = { "" };

	memcpy(CMSG_DATA(&ctl.h), &zero, sizeof(zero));
	assert_int_equal(sendmsg(sv[1], &m, 0), (ssize_t)sizeof(rep));
	assert_int_equal(card_ctl_call(sv[0], &req, NULL, 0, &rep, &e), 0);
	assert_int_equal(recv(sv[1], &got, sizeof(got), 0), (ssize_t)sizeof(got));
	assert_int_equal(lowest_free(), before);
}

/* What azote takes from a (maybe compromised) card: a reply of the right
 * size only; a silent card ends in the caller's error, not a hang. */
static void test_azote_refuses_bad_reply(void **st)
{
	(void)st;
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS }, got;
	struct card_ctl_reply rep;
	struct azerr e = { "" };
	char junk[3] = "ab";

	/* The reply is already waiting: the call reads it after its send. */
	assert_int_equal(send(sv[1], junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(card_ctl_call(sv[0], &req, NULL, 0, &rep, &e), -1);
	assert_non_null(strstr(e.msg, "a reply of 3 bytes"));
	assert_int_equal(recv(sv[1], &got, sizeof(got), 0), (ssize_t)sizeof(got));
	close(sv[1]);
	assert_int_equal(card_ctl_call(sv[0], &req, NULL, 0, &rep, &e), -1);
	assert_non_null(strstr(e.msg, "control: "));
	sv[1] = -1;
}

/* A card that answers "done" to every request and never reads one:
 * azote's requests fill the channel, and a call then fails at once (the
 * caller closes the channel) instead of blocking azote's main thread in
 * its send. alarm: a send that blocks fails the test, not hangs it. */
static void test_card_that_never_reads(void **st)
{
	(void)st;
	struct card_ctl_req req = { .op = CARD_CTL_MEM_LOADED };
	const struct card_ctl_reply done = { 0 };
	struct card_ctl_reply rep;
	struct azerr e = { "" };
	int calls = 0, r;

	alarm(10);
	do {
		assert_int_equal(send(sv[1], &done, sizeof(done), MSG_DONTWAIT),
				 (ssize_t)sizeof(done));
		r = card_ctl_call(sv[0], &req, NULL, 0, &rep, &e);
	} while (r == 0 && ++calls < 100000);
	alarm(0);
	assert_int_equal(r, -1);
	assert_true(calls > 0);
	assert_non_null(strstr(e.msg, "the card is not reading"));
}

static void test_limits_checked(void **st)
{
	(void)st;
	struct rate_limiter in = { .has_ops = true, .ops = { .size = 5, .refill_time_ms = 100 } };
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS, .nr_limits = 2, .given = { 0, 1 } };
	struct rate_limiter out[2];
	bool given[2];
	struct azerr e = { "" };

	card_ctl_limiter_put(&req.limit[1], &in);
	assert_int_equal(card_ctl_limits(&req, 2, out, given, &e), 0);
	assert_false(given[0]);
	assert_true(given[1] && out[1].has_ops && !out[1].has_bandwidth);
	assert_int_equal(out[1].ops.size, 5);
	assert_int_equal(card_ctl_limits(&req, 1, out, given, &e), -1);
	assert_non_null(strstr(e.msg, "2 rate limiters for a card that has 1"));
	req.limit[1].has_bandwidth = 2;
	assert_int_equal(card_ctl_limits(&req, 2, out, given, &e), -1);
	assert_non_null(strstr(e.msg, "limiter 1's flags are 2 and 1"));
	req.limit[1].has_bandwidth = 0;
	req.limit[1].ops.refill_time_ms = TOKEN_BUCKET_MAX_REFILL_MS + 1;
	assert_int_equal(card_ctl_limits(&req, 2, out, given, &e), -1);
	assert_non_null(strstr(e.msg, "a refill_time over"));
	req.limit[1].ops.refill_time_ms = 1;
	req.given[0] = 2;
	assert_int_equal(card_ctl_limits(&req, 2, out, given, &e), -1);
	assert_non_null(strstr(e.msg, "given flag is 2"));
	req.given[0] = 0;
	assert_int_equal(card_ctl_limits(&req, 2, out, given, &e), 0);

	/* Bytes that carry nothing must be 0, or the request is not azote's:
	 * refused whole, nothing written. */
	static const struct { size_t off; unsigned want; const char *says; } junk[] = {
		{ offsetof(struct card_ctl_req, pad) + 5, 2, "padding that is not 0" },
		{ offsetof(struct card_ctl_req, limit[1].pad) + 2, 2, "limiter 1's padding" },
		/* Limiter 1 sets ops only: its bandwidth bucket is not set. */
		{ offsetof(struct card_ctl_req, limit[1].bandwidth.size), 2,
		  "limiter 1 has a bucket that is not set but not 0" },
		/* Limiter 0 is not given. */
		{ offsetof(struct card_ctl_req, limit[0].ops.size), 2,
		  "limiter 0 is not given but not 0" },
		{ offsetof(struct card_ctl_req, mmds.size) + 7, 2,
		  "other requests' fields not 0" },
		{ offsetof(struct card_ctl_req, net_pairs) + 3, 2, "other requests' fields" },
		{ offsetof(struct card_ctl_req, stats_interval_s), 2, "other requests' fields" },
		/* A card of one limiter, and the request's second. */
		{ offsetof(struct card_ctl_req, given[1]), 1, "limiter 1 given to a card that has 1" },
		{ offsetof(struct card_ctl_req, limit[1].ops.size), 1, "limiter 1 given to" },
	};
	struct rate_limiter untouched[2];

	memset(untouched, 0x5a, sizeof(untouched));
	req.given[1] = 0;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct card_ctl_req bad = req;

		bad.nr_limits = junk[i].want;
		if (junk[i].want == 1)
			bad.given[1] = 0;
		else
			bad.given[1] = 1;
		((uint8_t *)&bad)[junk[i].off] = 1;
		memset(out, 0x5a, sizeof(out));
		given[0] = given[1] = true;
		e.msg[0] = 0;
		if (card_ctl_limits(&bad, junk[i].want, out, given, &e) != -1 ||
		    !strstr(e.msg, junk[i].says))
			fail_msg("case %zu: '%s' not in '%s'", i, junk[i].says, e.msg);
		assert_true(given[0] && given[1]);
		assert_memory_equal(out, untouched, sizeof(out));
	}
}

/* SET_MMDS: what azote makes (a sealed memfd) the card maps and reads;
 * everything else about the request or its fd is refused. */
static void test_mmds_checked(void **st)
{
	(void)st;
	static const char doc[] = "{\"latest\":{\"a\":\"b\"}}";
	struct card_ctl_req req = { .op = CARD_CTL_SET_MMDS };
	struct azerr e = { "" };
	const void *p = NULL;
	int fd = card_ctl_mmds_memfd(doc, strlen(doc), &e), two[2], plain;

	assert_true(fd >= 0);
	req.mmds = (struct card_ctl_mmds){ .ipv4 = 0xfea9fea9, .version = 2, .size = strlen(doc) };
	assert_int_equal(card_ctl_mmds_map(&req, &fd, 1, &p, &e), 0);
	assert_memory_equal(p, doc, strlen(doc));
	munmap((void *)p, strlen(doc));
	/* Sealed: nobody writes to it any more, the card's copy is what it
	 * checked. */
	assert_true(write(fd, "x", 1) < 0 && errno == EPERM);

	static const struct { struct card_ctl_mmds m; const char *says; } bad[] = {
		{ { .version = 0, .size = 5 }, "MMDS version 0" },
		{ { .version = 3, .size = 5 }, "MMDS version 3" },
		{ { .version = 1, .imds_compat = 2, .size = 5 }, "imds_compat 2" },
		{ { .version = 1, .pad = { 0, 1 }, .size = 5 }, "padding" },
		{ { .version = 1, .size = 0 }, "of 0 bytes" },
		{ { .version = 1, .size = CARD_CTL_MMDS_MAX + 1ull }, "(1 to" },
		{ { .version = 1, .size = 7 }, "holds 20 bytes, the request says 7" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.mmds = bad[i].m;
		e.msg[0] = 0;
		assert_int_equal(card_ctl_mmds_map(&req, &fd, 1, &p, &e), -1);
		if (!strstr(e.msg, bad[i].says))
			fail_msg("case %zu: '%s' not in '%s'", i, bad[i].says, e.msg);
	}
	req.mmds = (struct card_ctl_mmds){ .version = 1, .size = strlen(doc) };
	two[0] = two[1] = fd;
	assert_int_equal(card_ctl_mmds_map(&req, two, 2, &p, &e), -1);
	assert_non_null(strstr(e.msg, "with 2 fds, not 1"));
	assert_int_equal(card_ctl_mmds_map(&req, two, 0, &p, &e), -1);
	/* A memfd azote could still change, and a file that is no memfd. */
	plain = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(write(plain, doc, strlen(doc)), (ssize_t)strlen(doc));
	assert_int_equal(fcntl(plain, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(card_ctl_mmds_map(&req, &plain, 1, &p, &e), -1);
	assert_non_null(strstr(e.msg, "not a sealed memfd"));
	close(plain);
	plain = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(card_ctl_mmds_map(&req, &plain, 1, &p, &e), -1);
	assert_non_null(strstr(e.msg, "not a sealed memfd"));
	close(plain);
	close(fd);
}

/* NET_PAIRS: the card takes a question (0) or a count it has, no fds;
 * azote takes from a card's reply a count of the device's pairs, the one
 * it set when it set one. */
static void test_net_pairs_checked(void **st)
{
	(void)st;
	struct card_ctl_req req = { .op = CARD_CTL_NET_PAIRS };
	struct card_ctl_reply rep = { .net_pairs = 2 };
	struct azerr e = { "" };

	assert_int_equal(card_ctl_net_pairs(&req, 0, 4, &e), 0);
	req.net_pairs = 4;
	assert_int_equal(card_ctl_net_pairs(&req, 0, 4, &e), 4);
	assert_int_equal(card_ctl_net_pairs(&req, 0, 3, &e), -1);
	assert_non_null(strstr(e.msg, "NET_PAIRS of 4 queue pairs, the card has 3"));
	assert_int_equal(card_ctl_net_pairs(&req, 1, 4, &e), -1);
	assert_non_null(strstr(e.msg, "NET_PAIRS with 1 fds"));

	assert_int_equal(card_ctl_net_pairs_reply(&rep, 0, 2, &e), 2);
	assert_int_equal(card_ctl_net_pairs_reply(&rep, 2, 8, &e), 2);
	assert_int_equal(card_ctl_net_pairs_reply(&rep, 0, 1, &e), -1);
	assert_non_null(strstr(e.msg, "the card says 2 queue pairs are in use, not 1 to 1"));
	assert_int_equal(card_ctl_net_pairs_reply(&rep, 3, 8, &e), -1);
	assert_non_null(strstr(e.msg, "2 queue pairs are in use, 3 were set"));
	rep.net_pairs = 0;
	assert_int_equal(card_ctl_net_pairs_reply(&rep, 0, 8, &e), -1);
	assert_non_null(strstr(e.msg, "the card says 0 queue pairs are in use"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call_with_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_refuses_short_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_refuses_empty_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_refuses_stray_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_azote_takes_no_fds_from_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_azote_refuses_bad_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_that_never_reads, setup, teardown),
		cmocka_unit_test(test_limits_checked),
		cmocka_unit_test(test_mmds_checked),
		cmocka_unit_test(test_net_pairs_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
