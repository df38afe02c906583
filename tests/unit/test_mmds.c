/* Unit tests for MMDS's network stack (src/cards/net/mmds.c), driven as a
 * guest would drive it: frames in through mmds_guest_frame, frames out
 * through mmds_reply_frame (tests/unit/mmds_peer.c plays the guest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "cards/net/mmds.h"
#include "common/err.h"
#include "mmds_peer.h"

#define DOC "{\"latest\":{\"meta-data\":{\"reservation-id\":\"r-1\"," \
	    "\"ami-id\":\"ami-1\"}},\"age\":43}"

static int setup(void **state)
{
	struct mmds *m = mmds_new();
	struct azerr e;

	assert_non_null(m);
	assert_int_equal(mmds_set_data(m, DOC, strlen(DOC), &e), 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	mmds_free(*state);
	return 0;
}

static void set_version(struct mmds *m, uint8_t version)
{
	struct mmds_config c = { htonl(0xa9fea9fe), version, false };
	struct azerr e;

	assert_int_equal(mmds_configure(m, &c, &e), 0);
}

/* The body of the answer to req, after checking its status line. */
static char *ask(struct peer *p, const char *req, const char *status)
{
	size_t len;
	char *r = peer_http(p, req, &len);
	char *body;

	assert_non_null(r);
	body = memmem(r, len, "\r\n\r\n", 4);
	assert_non_null(body);
	assert_memory_equal(r, status, strlen(status));
	size_t hl = (size_t)(body - r);
	size_t bl = len - hl - 4;
	char *out = malloc(hl + 1 + bl + 1);

	/* Head (without its blank line), NUL, body, NUL: the caller may
	 * look at either. */
	assert_non_null(out);
	memcpy(out, r, hl);
	out[hl] = '\0';
	memcpy(out + hl + 1, body + 4, bl);
	out[hl + 1 + bl] = '\0';
	free(r);
	return out;
}

static const char *body_of(const char *a)
{
	return a + strlen(a) + 1;
}

static void test_arp(void **state)
{
	struct mmds *m = *state;
	static const uint8_t mmds_mac[6] = { 0x06, 0x01, 0x23, 0x45, 0x67, 0x01 };
	uint8_t f[MMDS_FRAME_MAX];
	struct peer p;
	size_t n;

	peer_init(&p, m, 40000);
	n = peer_arp_request(&p, f, htonl(0xac100001));
	assert_false(mmds_guest_frame(m, f, n, p.now));
	assert_false(mmds_pending(m));
	n = peer_arp_request(&p, f, p.mmds_ip);
	assert_true(mmds_frame_is_ours(m, f, n));
	assert_false(mmds_frame_is_ours(m, f, n - 1));
	assert_true(mmds_guest_frame(m, f, n, p.now));
	assert_true(mmds_pending(m));
	assert_int_equal(mmds_reply_frame(m, f, sizeof(f) - 1, p.now), 0);
	n = mmds_reply_frame(m, f, sizeof(f), p.now);
	assert_int_equal(n, 42);
	assert_memory_equal(f, p.mac, 6);
	assert_memory_equal(f + 6, mmds_mac, 6);
	assert_memory_equal(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02", 10);
	assert_memory_equal(f + 22, mmds_mac, 6);
	assert_memory_equal(f + 28, &p.mmds_ip, 4);
	assert_memory_equal(f + 32, p.mac, 6);
	assert_memory_equal(f + 38, &p.ip, 4);
	assert_false(mmds_pending(m));
	/* Not ARP nor IPv4 to the MMDS: the TAP's. */
	p.mmds_ip = htonl(0x08080808);
	n = peer_frame(&p, f, 0x02, NULL, 0, 1460);
	assert_false(mmds_frame_is_ours(m, f, n));
	assert_false(mmds_guest_frame(m, f, n, p.now));
	assert_false(mmds_guest_frame(m, f, 10, p.now));
	p.mmds_ip = htonl(0xa9fea9fe);
	n = peer_frame(&p, f, 0x02, NULL, 0, 1460);
	assert_true(mmds_frame_is_ours(m, f, 34));
	assert_false(mmds_frame_is_ours(m, f, 33));
}

static void test_get(void **state)
{
	struct mmds *m = *state;
	struct peer p;
	char *a;

	peer_init(&p, m, 40001);
	assert_true(peer_connect(&p));
	a = ask(&p, "GET /latest/meta-data HTTP/1.1\r\nHost: x\r\n\r\n",
		"HTTP/1.1 200 \r\n");
	assert_string_equal(a, "HTTP/1.1 200 \r\nServer: Firecracker API\r\n"
			    "Connection: keep-alive\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 21");
	assert_string_equal(body_of(a), "ami-id\nreservation-id");
	free(a);
	/* Same connection (keep-alive): a directory, then JSON. */
	a = ask(&p, "GET /latest/ HTTP/1.0\r\n\r\n", "HTTP/1.0 200 \r\n");
	assert_string_equal(body_of(a), "meta-data/");
	free(a);
	a = ask(&p, "GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\n"
		"Accept: application/json\r\n\r\n", "HTTP/1.1 200 \r\n");
	assert_non_null(strstr(a, "Content-Type: application/json"));
	assert_string_equal(body_of(a), "{\"ami-id\":\"ami-1\",\"reservation-id\":\"r-1\"}");
	free(a);
	a = ask(&p, "GET /age HTTP/1.1\r\n\r\n", "HTTP/1.1 501 \r\n");
	assert_string_equal(body_of(a), "Cannot retrieve value. The value has an "
			    "unsupported type.");
	free(a);
	a = ask(&p, "GET /latest/nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 \r\n");
	assert_string_equal(body_of(a), "Resource not found: /latest/nothing.");
	free(a);
	a = ask(&p, "DELETE /age HTTP/1.1\r\n\r\n", "HTTP/1.1 405 \r\n");
	assert_non_null(strstr(a, "\r\nAllow: GET, PUT"));
	assert_string_equal(body_of(a), "Not allowed HTTP method.");
	free(a);
}

static char *token(struct peer *p, const char *ttl)
{
	char req[256];
	char *a, *t;

	snprintf(req, sizeof(req), "PUT /latest/api/token HTTP/1.1\r\n"
		 "X-metadata-token-ttl-seconds: %s\r\n\r\n", ttl);
	a = ask(p, req, "HTTP/1.1 200 \r\n");
	assert_non_null(strstr(a, "\r\nX-metadata-token-ttl-seconds: "));
	t = strdup(body_of(a));
	free(a);
	return t;
}

static char *get_with(struct peer *p, const char *hdr, const char *tok,
		      const char *status)
{
	char req[256];

	snprintf(req, sizeof(req), "GET /latest/meta-data/ami-id HTTP/1.1\r\n"
		 "%s: %s\r\n\r\n", hdr, tok);
	return ask(p, req, status);
}

static void test_v2_tokens(void **state)
{
	struct mmds *m = *state;
	struct peer p;
	char *a, *t, *t2;

	set_version(m, 2);
	peer_init(&p, m, 40002);
	assert_true(peer_connect(&p));
	a = ask(&p, "GET /latest HTTP/1.1\r\n\r\n", "HTTP/1.1 401 \r\n");
	assert_string_equal(body_of(a), "No MMDS token provided. Use "
			    "`X-metadata-token` or `X-aws-ec2-metadata-token` "
			    "header to specify the session token.");
	free(a);
	t = token(&p, "60");
	assert_int_equal(strlen(t), 43);
	t2 = token(&p, "60");
	assert_string_not_equal(t, t2);
	a = get_with(&p, "X-metadata-token", t, "HTTP/1.1 200 \r\n");
	assert_string_equal(body_of(a), "ami-1");
	free(a);
	a = get_with(&p, "x-aws-ec2-metadata-token", t2, "HTTP/1.1 200 \r\n");
	free(a);
	t2[0] ^= 1;
	a = get_with(&p, "X-metadata-token", t2, "HTTP/1.1 401 \r\n");
	assert_string_equal(body_of(a), "MMDS token not valid.");
	free(a);
	/* Valid to the last millisecond of its 60 s, not after. */
	p.now += 59999;
	free(get_with(&p, "X-metadata-token", t, "HTTP/1.1 200 \r\n"));
	p.now += 1;
	free(get_with(&p, "X-metadata-token", t, "HTTP/1.1 401 \r\n"));
	free(t);
	free(t2);

	a = ask(&p, "PUT /latest/api/token HTTP/1.1\r\n"
		"X-aws-ec2-metadata-token-ttl-seconds: 21601\r\n\r\n", "HTTP/1.1 400 \r\n");
	assert_string_equal(body_of(a), "Invalid time to live value provided for "
			    "token: 21601. Please provide a value between 1 and 21600.");
	free(a);
	a = ask(&p, "PUT /latest/api/token HTTP/1.1\r\n"
		"X-metadata-token-ttl-seconds: x1\r\n\r\n", "HTTP/1.1 400 \r\n");
	assert_string_equal(body_of(a), "Invalid header. Reason: Invalid value. "
			    "Key:X-metadata-token-ttl-seconds; Value:x1");
	free(a);
	a = ask(&p, "PUT /latest/api/token HTTP/1.1\r\n\r\n", "HTTP/1.1 400 \r\n");
	assert_non_null(strstr(body_of(a), "Token time to live value not found."));
	free(a);
	a = ask(&p, "PUT /latest/api/token HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n"
		"X-metadata-token-ttl-seconds: 5\r\n\r\n", "HTTP/1.1 400 \r\n");
	assert_string_equal(body_of(a), "Invalid header. Reason: Unsupported "
			    "header name. Key: X-Forwarded-For");
	free(a);
	a = ask(&p, "PUT /latest/meta-data HTTP/1.1\r\n"
		"X-metadata-token-ttl-seconds: 5\r\n\r\n", "HTTP/1.1 404 \r\n");
	free(a);
}

static void test_v1_tokens(void **state)
{
	struct mmds *m = *state;
	struct peer p;
	char *t;

	peer_init(&p, m, 40003);
	assert_true(peer_connect(&p));
	/* Version 1 serves without a token, and with a bad one. */
	free(ask(&p, "GET /latest HTTP/1.1\r\n\r\n", "HTTP/1.1 200 \r\n"));
	free(get_with(&p, "X-metadata-token", "bogus", "HTTP/1.1 200 \r\n"));
	t = token(&p, "1");
	free(t);
}

static void test_bad_frames(void **state)
{
	struct mmds *m = *state;
	uint8_t f[MMDS_FRAME_MAX];
	struct peer p;
	struct peer_seg s;
	size_t n;

	peer_init(&p, m, 40004);
	n = peer_frame(&p, f, 0x02, NULL, 0, 1460);
	f[14 + 20 + 17] ^= 0x40;        /* TCP checksum */
	assert_true(mmds_guest_frame(m, f, n, p.now));
	assert_false(mmds_pending(m));
	/* The same, with the checksum left to the device: taken. */
	assert_true(mmds_guest_frame_csum_partial(m, f, n, p.now));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x12);
	n = peer_frame(&p, f, 0x02, NULL, 0, 1460);
	f[14 + 10] ^= 1;                /* IPv4 checksum */
	assert_true(mmds_guest_frame(m, f, n, p.now));
	assert_true(mmds_guest_frame_csum_partial(m, f, n, p.now));
	n = peer_frame(&p, f, 0x02, NULL, 0, 1460);
	f[14 + 6] |= 0x20;              /* more fragments */
	peer_fix_ip_csum(f);
	assert_true(mmds_guest_frame(m, f, n, p.now));
	n = peer_frame(&p, f, 0x02, NULL, 0, 1460);
	assert_true(mmds_guest_frame(m, f, n - 1, p.now));     /* truncated */
	f[14 + 9] = 17;                 /* UDP: consumed, unanswered */
	peer_fix_ip_csum(f);
	assert_true(mmds_guest_frame(m, f, n, p.now));
	assert_false(mmds_pending(m));
}

static void test_syn_flood(void **state)
{
	struct mmds *m = *state;
	struct peer p;
	struct peer_seg s;
	unsigned synacks = 0, rsts = 0;

	for (uint16_t port = 1; port <= 200; port++) {
		peer_init(&p, m, port);
		assert_true(peer_send(&p, 0x02, NULL, 0));
	}
	while (peer_recv(&p, &s, NULL)) {
		if (s.flags == 0x12)
			synacks++;
		else if (s.flags == 0x14)
			rsts++;
	}
	/* 30 connections, 100 RSTs queued at most: the rest dropped. */
	assert_int_equal(synacks, 30);
	assert_int_equal(rsts, 100);
	assert_false(mmds_pending(m));
	/* 10 s later an idle one gives way to a new one (and gets a RST). */
	peer_init(&p, m, 500);
	p.now += 10001;
	assert_true(peer_send(&p, 0x02, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x14);
	assert_int_equal(s.dport, 1);
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x12);
	assert_int_equal(s.dport, 500);
}

static void test_too_large(void **state)
{
	struct mmds *m = *state;
	char big[1000];
	struct peer p;
	struct peer_seg s;

	peer_init(&p, m, 40005);
	assert_true(peer_connect(&p));
	memset(big, 'a', sizeof(big));
	assert_true(peer_send(&p, 0x10, big, sizeof(big)));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x10);
	assert_int_equal(s.ack, p.seq);
	assert_int_equal(s.win, 1500);
	assert_true(peer_send(&p, 0x10, big, sizeof(big)));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.win, 500);
	/* Past the window: only 500 bytes taken, and the buffer full with
	 * no end of request resets the connection. */
	assert_true(peer_send(&p, 0x10, big, sizeof(big)));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x14);
	assert_false(mmds_pending(m));
	/* Gone: a segment on it is refused. */
	assert_true(peer_send(&p, 0x10, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x04);
	assert_int_equal(s.seq, p.ack);
}

static void test_rst(void **state)
{
	struct mmds *m = *state;
	struct peer p;
	struct peer_seg s;

	peer_init(&p, m, 40006);
	p.ack = 777;
	assert_true(peer_send(&p, 0x10, "x", 1));       /* no connection */
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x04);
	assert_int_equal(s.seq, 777);
	p.dport = 81;                                   /* closed port */
	assert_true(peer_send(&p, 0x02, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x14);
	assert_int_equal(s.ack, p.seq);
	assert_int_equal(s.sport, 81);
	assert_int_equal(s.dport, 40006);
	assert_true(peer_send(&p, 0x04, NULL, 0));      /* a RST: no answer */
	assert_false(mmds_pending(m));
	/* The guest resets a connection: it is gone. */
	p.dport = 80;
	assert_true(peer_connect(&p));
	assert_true(peer_send(&p, 0x04, NULL, 0));
	assert_false(mmds_pending(m));
	assert_true(peer_send(&p, 0x10, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x04);
}

static void test_close_and_order(void **state)
{
	struct mmds *m = *state;
	const char *req = "GET /latest HTTP/1.1\r\n\r\n";
	struct peer p;
	struct peer_seg s;
	uint32_t seq;

	peer_init(&p, m, 40007);
	assert_true(peer_connect(&p));
	/* Out of order: dropped, the ACK says what is expected. */
	seq = p.seq;
	p.seq += 5;
	assert_true(peer_send(&p, 0x18, req + 5, strlen(req) - 5));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x10);
	assert_int_equal(s.ack, seq);
	assert_int_equal(s.len, 0);
	assert_false(mmds_pending(m));
	/* The start again, overlapping what came: taken whole. */
	p.seq = seq;
	free(ask(&p, req, "HTTP/1.1 200 \r\n"));
	/* The guest closes: ACK and FIN, then its ACK ends it. */
	assert_true(peer_send(&p, 0x11, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x11);
	assert_int_equal(s.ack, p.seq);
	p.ack = s.seq + 1;
	assert_false(mmds_pending(m));
	assert_true(peer_send(&p, 0x10, NULL, 0));
	assert_false(mmds_pending(m));
	assert_true(peer_send(&p, 0x10, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.flags, 0x04);
}

static void test_segments_and_window(void **state)
{
	struct mmds *m = *state;
	char doc[8192], req[64];
	uint8_t f[MMDS_FRAME_MAX];
	struct peer p;
	struct peer_seg s;
	struct azerr e;
	size_t got = 0, n;

	/* {"k":"xxxx...."}: a 6000-byte value. */
	strcpy(doc, "{\"k\":\"");
	memset(doc + 6, 'x', 6000);
	strcpy(doc + 6006, "\"}");
	assert_int_equal(mmds_set_data(m, doc, strlen(doc), &e), 0);
	peer_init(&p, m, 40008);
	/* MSS 536 (no option), window 1000. */
	p.win = 1000;
	n = peer_frame(&p, f, 0x02, NULL, 0, 0);
	assert_true(mmds_guest_frame(m, f, n, p.now));
	p.seq++;
	assert_true(peer_recv(&p, &s, NULL));
	p.ack = s.seq + 1;
	assert_true(peer_send(&p, 0x10, NULL, 0));
	snprintf(req, sizeof(req), "GET /k HTTP/1.1\r\n\r\n");
	assert_true(peer_send(&p, 0x18, req, strlen(req)));
	for (;;) {
		size_t inflight = 0;

		while (peer_recv(&p, &s, NULL)) {
			assert_true(s.len <= 536);
			assert_int_equal(s.seq, p.ack + inflight);
			inflight += s.len;
			assert_true(inflight <= 1000);
		}
		if (!inflight)
			break;
		p.ack += (uint32_t)inflight;
		got += inflight;
		assert_true(peer_send(&p, 0x10, NULL, 0));
	}
	assert_true(got > 6000 && got < 6200);
	/* A zero window stops it (only the request's ACK goes); an update
	 * resumes it. */
	p.win = 0;
	assert_true(peer_send(&p, 0x18, req, strlen(req)));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.len, 0);
	assert_false(mmds_pending(m));
	p.win = 100;
	assert_true(peer_send(&p, 0x10, NULL, 0));
	assert_true(peer_recv(&p, &s, NULL));
	assert_int_equal(s.len, 100);
	assert_false(mmds_pending(m));
}

static void test_config_and_data(void **state)
{
	struct mmds *m = *state;
	struct mmds_config c = { htonl(0xa9fe0001), 1, false };
	struct azerr e;
	struct peer p;

	assert_int_equal(mmds_configure(m, &c, &e), -1);
	assert_non_null(strstr(e.msg, "169.254.0.1"));
	c.ipv4 = htonl(0x0a000001);
	assert_int_equal(mmds_configure(m, &c, &e), -1);
	c.ipv4 = htonl(0xa9fe0102);
	c.version = 3;
	assert_int_equal(mmds_configure(m, &c, &e), -1);
	assert_non_null(strstr(e.msg, "version 3"));
	assert_int_equal(mmds_set_data(m, "[1]", 3, &e), -1);
	assert_int_equal(mmds_set_data(m, "{", 1, &e), -1);
	/* The old document stays; a new address and IMDS-only answers. */
	c.version = 1;
	c.imds_compat = true;
	assert_int_equal(mmds_configure(m, &c, &e), 0);
	peer_init(&p, m, 40009);
	p.mmds_ip = c.ipv4;
	assert_true(peer_connect(&p));
	char *a = ask(&p, "GET /latest/meta-data/ami-id HTTP/1.1\r\n"
		      "Accept: application/json\r\n\r\n", "HTTP/1.1 200 \r\n");
	assert_string_equal(body_of(a), "ami-1");
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segments_and_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_and_data, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
