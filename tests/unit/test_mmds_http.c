/* Unit tests for MMDS's HTTP (src/cards/net/mmds_http.c) and its store
 * (mmds_store.c, mmds_rng.c): requests straight to mmds_http_answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cards/net/mmds_http.h"
#include "cards/net/mmds_rng.h"
#include "cards/net/mmds_store.h"

static int setup(void **state)
{
	static const char doc[] =
		"{\"a\":{\"b/c\":\"slash\",\"d~e\":\"tilde\",\"list\":[\"x\",\"y\"]},"
		"\"z\":{},\"m\":\"\\u00e9\"}";
	struct mmds_store *s = malloc(sizeof(*s));
	struct azerr e;

	assert_non_null(s);
	assert_int_equal(mmds_store_init(s), 0);
	assert_int_equal(mmds_store_set(s, doc, strlen(doc), &e), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	mmds_store_fini(*state);
	free(*state);
	return 0;
}

/* The answer to req (version 1) must start with status and end with
 * body. */
static void expect(struct mmds_store *s, const char *req, const char *status,
		   const char *body)
{
	struct mmds_http_reply r;
	size_t bl = strlen(body);

	assert_int_equal(mmds_http_answer(s, 1, req, strlen(req), 5, &r), 0);
	if (r.len < bl || memcmp(r.buf, status, strlen(status)) ||
	    memcmp(r.buf + r.len - bl, body, bl))
		fail_msg("%s: got %.*s", req, (int)r.len, r.buf);
	free(r.buf);
}

/* The answer to req (version 1) names content type type. */
static void expect_type(struct mmds_store *s, const char *req, const char *type)
{
	struct mmds_http_reply r;
	char want[64];

	snprintf(want, sizeof(want), "\r\nContent-Type: %s\r\n", type);
	assert_int_equal(mmds_http_answer(s, 1, req, strlen(req), 5, &r), 0);
	if (!memmem(r.buf, r.len, want, strlen(want)))
		fail_msg("%s: no %s in %.*s", req, type, (int)r.len, r.buf);
	free(r.buf);
}

static void test_head_end(void **state)
{
	(void)state;
	assert_int_equal(mmds_http_head_end((const uint8_t *)"GET / HTTP/1.1\r\n", 16), 0);
	assert_int_equal(mmds_http_head_end((const uint8_t *)"GET / HTTP/1.1\r\n\r\nX", 19), 18);
	assert_int_equal(mmds_http_head_end((const uint8_t *)"a\n\nb", 4), 3);
	assert_int_equal(mmds_http_head_end((const uint8_t *)"\n\r", 2), 0);
}

static void test_malformed(void **state)
{
	struct mmds_store *s = *state;
	struct mmds_http_reply r;
	const char *req = "PUT /latest/api/token HTTP/1.1\r\nContent-Length: 7\r\n\r\n";

	expect(s, "GET / HTTP/1.1\n\n", "HTTP/1.1 400 ", "Invalid request.");
	expect(s, "GET /\r\n\r\n", "HTTP/1.1 400 ", "Invalid request.");
	expect(s, "GET /nospace\r\n\r\n", "HTTP/1.1 400 ", "Invalid request.");
	expect(s, "POST / HTTP/1.1\r\n\r\n", "HTTP/1.1 501 ", "Unsupported HTTP method.");
	expect(s, "GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 501 ", "Unsupported HTTP version.");
	expect(s, "GET  HTTP/1.1xx\r\n\r\n", "HTTP/1.1 400 ", "Empty URI not allowed.");
	expect(s, "GET /\xff HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ", "Cannot parse URI as UTF-8.");
	expect(s, "GET / HTTP/1.1\r\nbroken\r\n\r\n", "HTTP/1.1 400 ",
	       "Invalid header. Reason: Header is incorrectly formatted. Key: broken");
	expect(s, "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 400 ",
	       "Invalid header. Reason: Invalid value. Key:Content-Length; Value: x");
	expect(s, "GET / HTTP/1.1\r\nAccept-Encoding: gzip, identity;q=0\r\n\r\n",
	       "HTTP/1.1 400 ", "Key:Accept-Encoding; Value: identity;q=0");
	expect(s, "GET / HTTP/1.1\r\nAccept-Encoding: *;q=0\r\n\r\n",
	       "HTTP/1.1 400 ", "Key:Accept-Encoding; Value:*;q=0");
	/* Requests that cannot be read are answered as Firecracker's dumbo
	 * does, typed application/json; the MMDS's own errors are text. */
	expect_type(s, "GET / HTTP/2.0\r\n\r\n", "application/json");
	expect_type(s, "GET / HTTP/1.1\r\nbroken\r\n\r\n", "application/json");
	expect_type(s, "GET /nowhere HTTP/1.1\r\n\r\n", "text/plain");
	expect(s, "GET relative HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ", "Invalid URI.");
	expect(s, "GET http://host HTTP/1.0\r\n\r\n", "HTTP/1.0 400 ", "Invalid URI.");
	/* A body is refused and skipped. */
	assert_int_equal(mmds_http_answer(s, 2, req, strlen(req), 5, &r), 0);
	assert_memory_equal(r.buf, "HTTP/1.1 400 ", 13);
	assert_int_equal(r.body_skip, 7);
	free(r.buf);
}

static void test_paths(void **state)
{
	struct mmds_store *s = *state;

	expect(s, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "\r\n\r\na/\nm\nz/");
	expect(s, "GET //a///b~1c HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "\r\n\r\nslash");
	expect(s, "GET /a/d~0e/ HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "\r\n\r\ntilde");
	expect(s, "GET /a/ HTTP/1.1\r\nAccept:   text/plain \r\n\r\n", "HTTP/1.1 200 ",
	       "\r\n\r\nb/c\nd~e\nlist");
	expect(s, "GET /z HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "Content-Length: 0\r\n\r\n");
	expect(s, "GET /m HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "\r\n\r\n\xc3\xa9");
	expect(s, "GET /a/list HTTP/1.1\r\n\r\n", "HTTP/1.1 501 ", "unsupported type.");
	expect(s, "GET /a/list/1 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "\r\n\r\ny");
	expect(s, "GET /a/list/01 HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ",
	       "Resource not found: /a/list/01.");
	expect(s, "GET /a/list/2 HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ", "/a/list/2.");
	expect(s, "GET /m/x HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ", "/m/x.");
	expect(s, "GET /a/list HTTP/1.1\r\nAccept: application/json\r\n\r\n",
	       "HTTP/1.1 200 ", "application/json\r\nContent-Length: 9\r\n\r\n[\"x\",\"y\"]");
	expect(s, "GET http://169.254.169.254:80/a/b~1c HTTP/1.1\r\nAccept: */*\r\n\r\n",
	       "HTTP/1.1 200 ", "text/plain\r\nContent-Length: 5\r\n\r\nslash");
}

static void test_store(void **state)
{
	struct mmds_store *s = *state;
	struct azerr e;

	/* A document too large, or not an object, leaves the old one. */
	char *big = malloc(MMDS_DATA_MAX + 1);

	assert_non_null(big);
	memset(big, ' ', MMDS_DATA_MAX + 1);
	big[0] = '{';
	big[MMDS_DATA_MAX] = '}';
	assert_int_equal(mmds_store_set(s, big, MMDS_DATA_MAX + 1, &e), -1);
	assert_int_equal(mmds_store_set(s, big, MMDS_DATA_MAX, &e), -1);
	assert_int_equal(mmds_store_set(s, "{\"a\":1,\"a\":2}", 13, &e), -1);
	free(big);
	expect(s, "GET /m HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ", "\xc3\xa9");
}

/* Tokens carry their expiry, sealed: none is remembered, any number stay
 * valid for their whole life, and no byte of one can be changed. */
static void test_tokens(void **state)
{
	struct mmds_store *s = *state;
	char t[MMDS_TOKEN_LEN + 1], first[MMDS_TOKEN_LEN + 1], same[MMDS_TOKEN_LEN + 1];
	struct mmds_store other;

	mmds_store_new_token(s, 1, 0, first);
	assert_int_equal(strlen(first), MMDS_TOKEN_LEN);
	assert_true(mmds_store_token_valid(s, first, strlen(first), 999));
	assert_false(mmds_store_token_valid(s, first, strlen(first), 1000));
	assert_false(mmds_store_token_valid(s, first, 10, 0));
	/* Firecracker's have no table to fill: a guest that asks for many
	 * loses none (a table of 64 once lost the oldest). */
	mmds_store_new_token(s, 21600, 5, first);
	for (unsigned i = 0; i < 10000; i++)
		mmds_store_new_token(s, 1, 5, t);
	assert_true(mmds_store_token_valid(s, first, MMDS_TOKEN_LEN, 21600004));
	assert_false(mmds_store_token_valid(s, first, MMDS_TOKEN_LEN, 21600005));
	/* Two at the same time differ. */
	mmds_store_new_token(s, 21600, 5, same);
	assert_string_not_equal(first, same);
	/* Any character changed, to any other of the alphabet: refused. */
	for (size_t i = 0; i < MMDS_TOKEN_LEN; i++) {
		static const char alpha[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		for (const char *c = alpha; *c; c++) {
			if (*c == first[i])
				continue;
			memcpy(t, first, sizeof(t));
			t[i] = *c;
			if (mmds_store_token_valid(s, t, MMDS_TOKEN_LEN, 6))
				fail_msg("token with %c at %zu accepted: %s", *c, i, t);
		}
	}
	/* Not base64url, or not 43 characters: refused. */
	memcpy(t, first, sizeof(t));
	t[7] = '+';
	assert_false(mmds_store_token_valid(s, t, MMDS_TOKEN_LEN, 6));
	t[7] = '\0';
	assert_false(mmds_store_token_valid(s, t, MMDS_TOKEN_LEN, 6));
	assert_false(mmds_store_token_valid(s, first, MMDS_TOKEN_LEN - 1, 6));
	/* Another store (another card, a restored VM's) knows none of them. */
	assert_int_equal(mmds_store_init(&other), 0);
	assert_false(mmds_store_token_valid(&other, first, MMDS_TOKEN_LEN, 6));
	mmds_store_fini(&other);
}

static void test_chacha20(void **state)
{
	/* RFC 8439, 2.3.2. */
	static const uint8_t want[16] = {
		0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
		0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
	};
	static const uint8_t tail[4] = { 0xa2, 0x50, 0x3c, 0x4e };
	uint32_t key[8], nonce[3] = { 0x09000000, 0x4a000000, 0 };
	uint8_t out[64];

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		key[i] = (4 * i) | (4 * i + 1) << 8 | (4 * i + 2) << 16 |
			 (uint32_t)(4 * i + 3) << 24;
	mmds_chacha20_block(key, 1, nonce, out);
	assert_memory_equal(out, want, 16);
	assert_memory_equal(out + 60, tail, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_end),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test(test_chacha20),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
