/* Unit tests for the HTTP transport (src/api/server.c) over a real Unix
 * socket: framing, limits against slow and oversized clients, the socket
 * file's life cycle, requests handed over to the serving thread (a thread
 * of the fixture's, as azote's main thread), the sandbox hook; and the
 * request target as Firecracker's server takes it (src/api/uri.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "api/uri.h"
#include "test_api_util.h"

struct server_fixture {
	struct api_fixture *f;
	struct api_server *srv;
	char sock[128];
	pthread_t server;       /* serves srv's requests, as azote's main thread */
	_Atomic bool serving;   /* false: it stops (and leaves requests waiting) */
	_Atomic int served;
};

static void *serve_requests(void *arg)
{
	struct server_fixture *s = arg;
	struct pollfd p = { .fd = api_server_fd(s->srv), .events = POLLIN };

	while (atomic_load(&s->serving)) {
		if (poll(&p, 1, 20) == 1) {
			/* Counted first: the client may have its answer
			 * before api_server_serve returns. */
			atomic_fetch_add(&s->served, 1);
			api_server_serve(s->srv);
		}
	}
	return NULL;
}

static void stop_serving(struct server_fixture *s)
{
	if (atomic_exchange(&s->serving, false))
		assert_int_equal(pthread_join(s->server, NULL), 0);
}

static const struct api_server_limits test_limits = {
	.max_body = 1024,
	.idle_timeout_s = 1,
	.request_timeout_s = 1,
	.max_connections = 3,
};

/* Starts s's server with the sandbox hook given, and its serving thread. */
static void start_server(struct server_fixture *s, int (*sandbox)(struct azerr *e))
{
	struct azerr e;

	s->srv = api_server_start(s->sock, s->f->api, &test_limits, sandbox, &e);
	if (!s->srv)
		fail_msg("%s", e.msg);
	atomic_store(&s->serving, true);
	assert_int_equal(pthread_create(&s->server, NULL, serve_requests, s), 0);
}

static int setup(void **state)
{
	struct server_fixture *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	api_fixture_setup((void **)&s->f);
	snprintf(s->sock, sizeof(s->sock), "%s/api.sock", s->f->dir);
	start_server(s, NULL);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct server_fixture *s = *state;

	stop_serving(s);
	api_server_stop(s->srv);
	api_fixture_teardown((void **)&s->f);
	free(s);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;  /* the server may close early; reads tell */
		buf += n;
		len -= n;
	}
}

/* Reads until a whole response (headers + Content-Length body) arrived,
 * EOF, or timeout_ms. Returns the bytes read (0: EOF at once, -1:
 * timeout). */
static int read_response(int fd, char *buf, size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	char *hdr_end, *cl;

	buf[0] = '\0';
	for (;;) {
		ssize_t n;

		if (poll(&p, 1, timeout_ms) != 1)
			return -1;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			return len;
		len += n;
		buf[len] = '\0';
		hdr_end = strstr(buf, "\r\n\r\n");
		if (!hdr_end)
			continue;
		cl = strcasestr(buf, "Content-Length:");
		if (!cl || cl > hdr_end ||
		    (size_t)(hdr_end + 4 - buf) + strtoul(cl + 15, NULL, 10) <= len)
			return len;
	}
}

static int status_of(const char *resp)
{
	int status = 0;

	sscanf(resp, "HTTP/1.1 %d", &status);
	return status;
}

/* One request on a new connection; returns the status. */
static int request(struct server_fixture *s, const char *method,
		   const char *path, const char *body, char *resp,
		   size_t size)
{
	char req[2048];
	int fd = connect_to(s->sock), n;

	assert_true(fd >= 0);
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Content-Length: %zu\r\n\r\n%s", method, path,
		     body ? strlen(body) : 0, body ? body : "");
	send_all(fd, req, n);
	n = read_response(fd, resp, size, 5000);
	close(fd);
	return n > 0 ? status_of(resp) : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_requests(void **state)
{
	struct server_fixture *s = *state;
	char resp[4096];
	struct stat st;

	assert_int_equal(stat(s->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "Content-Type: application/json"));
	assert_non_null(strstr(resp, "\"state\":\"Not started\""));
	assert_int_equal(request(s, "PUT", "/machine-config",
				 "{\"vcpu_count\": 2, \"mem_size_mib\": 64}",
				 resp, sizeof(resp)), 204);
	assert_int_equal(request(s, "PUT", "/machine-config", "{\"vcpu_count\"",
				 resp, sizeof(resp)), 400);
	assert_non_null(strstr(resp, "{\"fault_message\":\"An error occurred "
			       "when deserializing"));
	assert_int_equal(request(s, "OPTIONS", "/", NULL, resp, sizeof(resp)),
			 400);
	assert_int_equal(request(s, "GET", "/machine-config", NULL, resp,
				 sizeof(resp)), 200);
	assert_non_null(strstr(resp, "\"vcpu_count\":2"));
}

/* Several requests on one connection (HTTP/1.1 keep-alive, as
 * firecracker-go-sdk does). */
static void test_keep_alive(void **state)
{
	struct server_fixture *s = *state;
	const char *req = "GET /version HTTP/1.1\r\nHost: x\r\n\r\n";
	char resp[2048];
	int fd = connect_to(s->sock);

	for (int i = 0; i < 3; i++) {
		send_all(fd, req, strlen(req));
		assert_true(read_response(fd, resp, sizeof(resp), 5000) > 0);
		assert_int_equal(status_of(resp), 200);
		assert_non_null(strstr(resp, "firecracker_version"));
	}
	close(fd);
}

static void test_oversized_body(void **state)
{
	struct server_fixture *s = *state;
	char resp[4096], *big = malloc(1 << 20);
	const char *hdr;
	double t0;
	int fd;

	assert_non_null(big);
	memset(big, ' ', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	/* A Content-Length over the limit is refused before the body is
	 * read: the client may send 1 MiB or nothing at all. */
	fd = connect_to(s->sock);
	hdr = "PUT /actions HTTP/1.1\r\nHost: x\r\nContent-Length: 1048575\r\n\r\n";
	t0 = now_s();
	send_all(fd, hdr, strlen(hdr));
	assert_true(read_response(fd, resp, sizeof(resp), 5000) > 0);
	assert_true(now_s() - t0 < 0.5);
	assert_int_equal(status_of(resp), 400);
	assert_non_null(strstr(resp, "{\"fault_message\":\"Request payload with "
			       "size 1048575 is larger than the limit of 1024 "
			       "allowed by server.\"}"));
	close(fd);
	/* Without a length (chunked) the limit shows while reading. */
	fd = connect_to(s->sock);
	hdr = "PUT /actions HTTP/1.1\r\nHost: x\r\n"
	      "Transfer-Encoding: chunked\r\n\r\n800\r\n";
	send_all(fd, hdr, strlen(hdr));
	send_all(fd, big, 0x800);
	send_all(fd, "\r\n0\r\n\r\n", 7);
	assert_true(read_response(fd, resp, sizeof(resp), 5000) > 0);
	assert_int_equal(status_of(resp), 400);
	assert_non_null(strstr(resp, "Request payload is larger than the limit "
			       "of 1024"));
	close(fd);
	/* At the limit is fine (the body is then judged on its JSON). */
	big[1024] = '\0';
	big[0] = '{';
	big[1023] = '}';
	assert_int_equal(request(s, "PUT", "/machine-config", big, resp,
				 sizeof(resp)), 400);
	assert_non_null(strstr(resp, "missing field `vcpu_count`"));
	free(big);
	assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), 200);
}

/* A client that stalls mid-request neither delays others nor keeps its
 * connection past the timeouts. */
static void test_slow_clients(void **state)
{
	struct server_fixture *s = *state;
	char resp[2048];
	const char *partial_body = "PUT /actions HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: 100\r\n\r\n{\"act";
	int headers_only, body_only;
	double t0;

	headers_only = connect_to(s->sock);
	send_all(headers_only, "GET / HTTP/1.1\r\nHo", 18);
	body_only = connect_to(s->sock);
	send_all(body_only, partial_body, strlen(partial_body));

	t0 = now_s();
	assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), 200);
	assert_true(now_s() - t0 < 0.5);

	/* Both stalled connections are closed within the timeouts (1 s,
	 * plus libmicrohttpd's timer granularity). */
	assert_int_equal(read_response(headers_only, resp, sizeof(resp), 4000),
			 0);
	assert_int_equal(read_response(body_only, resp, sizeof(resp), 4000), 0);
	assert_true(now_s() - t0 < 4.0);
	close(headers_only);
	close(body_only);
	assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), 200);
}

/* Sends start, then byte every 200 ms for up to 6 s until the server
 * closes the connection; asserts that it did, unanswered, in less than
 * within_s. */
static void trickle(struct server_fixture *s, const char *start, const char *byte,
		    double within_s)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	char resp[256];
	int fd = connect_to(s->sock), got = -1;
	double t0 = now_s();

	send_all(fd, start, strlen(start));
	while (now_s() - t0 < 6 && got == -1) {
		send_all(fd, byte, 1);
		nanosleep(&tick, NULL);
		got = read_response(fd, resp, sizeof(resp), 1);
	}
	assert_int_equal(got, 0);  /* closed, not answered */
	assert_true(now_s() - t0 < within_s);
	close(fd);
}

/* A client trickling its body keeps the connection "active", but the
 * request deadline still ends it. */
static void test_trickling_body(void **state)
{
	trickle(*state, "PUT /actions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
		" ", 3.0);
}

/* A client trickling its headers, or its request line, one byte at a
 * time keeps libmicrohttpd's idle timer from ever firing: it is closed
 * all the same, the request line due within the idle time (1 s here),
 * the rest of the request within the request time (1 s) of it; checked
 * once a second. Meanwhile others are served. */
static void test_trickling_headers(void **state)
{
	struct server_fixture *s = *state;
	char resp[256];

	trickle(s, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", "a", 3.5);
	trickle(s, "GET /aaaaaaaa", "a", 3.5);
	assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), 200);
}

/* Connections beyond the limit are not served until a slot frees up;
 * idle ones time out, so the limit cannot lock the API for long. */
static void test_connection_limit(void **state)
{
	struct server_fixture *s = *state;
	int idle[3], status = -1;
	char resp[2048];
	double t0 = now_s();

	for (int i = 0; i < 3; i++)
		idle[i] = connect_to(s->sock);
	while (status != 200 && now_s() - t0 < 5)
		status = request(s, "GET", "/", NULL, resp, sizeof(resp));
	assert_int_equal(status, 200);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_response(idle[i], resp, sizeof(resp), 100),
				 0);
		close(idle[i]);
	}
}

static void test_socket_file(void **state)
{
	struct server_fixture *s = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[128], longpath[200];
	struct api_server *other;
	struct azerr e;
	int fd;

	/* A live socket is not taken over. */
	assert_null(api_server_start(s->sock, s->f->api, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "another process is serving it"));
	/* A stale one (its server gone) is. */
	snprintf(path, sizeof(path), "%s/stale.sock", s->f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	other = api_server_start(path, s->f->api, NULL, NULL, &e);
	assert_non_null(other);
	api_server_stop(other);
	assert_int_equal(access(path, F_OK), -1);  /* removed on stop */
	/* Whatever else is at the path stays. */
	assert_null(api_server_start(fx_path(s->f, "kernel"), s->f->api, NULL,
				     NULL, &e));
	assert_non_null(strstr(e.msg, "exists and is not a socket"));
	assert_int_equal(access(fx_path(s->f, "kernel"), F_OK), 0);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(api_server_start(longpath, s->f->api, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "longer than 107"));
	assert_null(api_server_start("", s->f->api, NULL, NULL, &e));
	assert_string_equal(e.msg, "API socket path is empty");
}

/* Every request is handled on the serving thread: none is answered while
 * it does not serve, and the one waiting then is answered 503 when the
 * server stops, not left hanging. */
static void test_handed_over(void **state)
{
	struct server_fixture *s = *state;
	char resp[4096];
	int fd, n;

	assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), 200);
	assert_true(atomic_load(&s->served) >= 1);
	stop_serving(s);
	fd = connect_to(s->sock);
	assert_true(fd >= 0);
	send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	assert_int_equal(read_response(fd, resp, sizeof(resp), 300), -1);
	api_server_stop(s->srv);
	s->srv = NULL;
	n = read_response(fd, resp, sizeof(resp), 2000);
	assert_true(n > 0);
	assert_int_equal(status_of(resp), 503);
	assert_non_null(strstr(resp, "shutting down"));
	close(fd);
}

/* The sandbox hook runs once, on the HTTP thread, before the first request
 * is handled; if it fails, requests are refused. */
static pthread_t hook_thread;
static int hook_calls, hook_result;

static int hook(struct azerr *e)
{
	hook_thread = pthread_self();
	hook_calls++;
	return hook_result ? azerr_set(e, "no sandbox for you") : 0;
}

static void test_sandbox_hook(void **state)
{
	struct server_fixture *s = *state;
	char resp[4096];

	for (hook_result = 0; hook_result <= 1; hook_result++) {
		stop_serving(s);
		api_server_stop(s->srv);
		hook_calls = 0;
		start_server(s, hook);
		int want = hook_result ? 500 : 200;
		assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), want);
		assert_int_equal(request(s, "GET", "/", NULL, resp, sizeof(resp)), want);
		assert_int_equal(hook_calls, 1);
		assert_false(pthread_equal(hook_thread, pthread_self()));
		assert_false(pthread_equal(hook_thread, s->server));
	}
}

/* The request target's path (api/uri.h). Escapes stay escapes, and a
 * query stays in the path: the id check or the routes refuse them, as
 * Firecracker's do; nothing routes on part of a target. Control characters
 * and spaces are UTF-8: the routes refuse them too. Past the origin form,
 * micro_http's get_abs_path: the path after "http://" and the authority,
 * for that scheme alone, spelt so; any other target routes as "" (GET /
 * for a GET, as with Firecracker). */
static void test_paths(void **state)
{
	static const struct { const char *target, *path; } cases[] = {
		{ "/", "/" }, { "/drives/rootfs", "/drives/rootfs" },
		{ "/drives/rootfs%00xyz", "/drives/rootfs%00xyz" },
		{ "/drives/root%66s", "/drives/root%66s" }, { "/nope%0a", "/nope%0a" },
		{ "/drives/rootfs?x=1", "/drives/rootfs?x=1" }, { "/version?", "/version?" },
		{ "//version/", "//version/" }, { "/a\rb c\x01", "/a\rb c\x01" },
		{ "/caf\xc3\xa9", "/caf\xc3\xa9" },

		{ "http://localhost/version", "/version" },
		{ "http://localhost:80/drives/a?b", "/drives/a?b" },
		{ "http://localhost", "" }, { "http://", "" }, { "http:///x", "/x" },
		{ "HTTP://localhost/version", "" }, { "https://localhost/version", "" },
		{ "version", "" }, { "*", "" }, { "?/drives/x", "" }, { " /version", "" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].target, *path = NULL;
		struct azerr e;

		if (api_uri_path(t, &path, &e))
			fail_msg("%s: %s", t, e.msg);
		/* Always a part of the target: a suffix, or its end. */
		assert_true(path >= t && path <= t + strlen(t));
		assert_string_equal(path, cases[i].path);
	}
}

/* The targets micro_http refuses, with its reasons. */
static void test_refused_targets(void **state)
{
	static const char *const not_utf8[] = {
		"/version\xff", "/\xc0\xaf", "/\xed\xa0\x80", "http://h/\xc3",
	};
	const char *path = NULL;
	struct azerr e;
	(void)state;

	assert_int_equal(api_uri_path("", &path, &e), -1);
	assert_string_equal(e.msg, "Invalid URI: Empty URI not allowed.");
	for (size_t i = 0; i < sizeof(not_utf8) / sizeof(not_utf8[0]); i++) {
		assert_int_equal(api_uri_path(not_utf8[i], &path, &e), -1);
		assert_string_equal(e.msg, "Invalid URI: Cannot parse URI as UTF-8.");
	}
	assert_null(path);
}

/* One request of len bytes, as given (a NUL included), on a new
 * connection; returns the status. */
static int raw_request(struct server_fixture *s, const char *req, size_t len,
		       char *resp, size_t size)
{
	int fd = connect_to(s->sock), n;

	assert_true(fd >= 0);
	send_all(fd, req, len);
	n = read_response(fd, resp, size, 5000);
	close(fd);
	return n > 0 ? status_of(resp) : -1;
}

#define RAW(s, lit, resp) raw_request(s, lit, sizeof(lit) - 1, resp, sizeof(resp))

static void expect_fault(struct server_fixture *s, const char *method, const char *path,
			 const char *body, const char *want)
{
	char resp[4096];

	assert_int_equal(request(s, method, path, body, resp, sizeof(resp)), 400);
	if (!strstr(resp, want))
		fail_msg("%s %s: %s, want %s", method, path, resp, want);
}

/* The target as the client sent it is what routes, as with Firecracker's
 * micro_http: nothing percent-decoded, the query part of the path, so none
 * of these acts on "rootfs"; a raw NUL, which would cut the target short,
 * and bytes that are not UTF-8 are refused before the API sees them. */
static void test_request_target(void **state)
{
	static const char bad_id[] =
		"API Resource IDs can only contain alphanumeric characters and underscores.";
	struct server_fixture *s = *state;
	char resp[4096], drive[512];
	int fd;

	snprintf(drive, sizeof(drive), "{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\", "
		 "\"is_root_device\": true, \"is_read_only\": false}",
		 fx_path(s->f, "disk.img"));
	expect_fault(s, "PUT", "/drives/rootfs%00xyz", drive, bad_id);
	expect_fault(s, "PUT", "/drives/root%66s", drive, bad_id);
	expect_fault(s, "PUT", "/drives/rootfs?x=1", drive, bad_id);
	expect_fault(s, "PATCH", "/drives/rootfs%2F", drive, bad_id);
	expect_fault(s, "GET", "/vers%69on", NULL,
		     "\"Invalid request method and/or path: GET /vers%69on.\"");
	expect_fault(s, "GET", "/version?x", NULL,
		     "\"Invalid request method and/or path: GET /version?x.\"");
	expect_fault(s, "GET", "/nope%0a", NULL,
		     "\"Invalid request method and/or path: GET /nope%0a.\"");
	assert_int_equal(RAW(s, "PUT /drives/rootfs\0x HTTP/1.1\r\nHost: x\r\n"
			     "Content-Length: 2\r\n\r\n{}", resp), 400);
	assert_non_null(strstr(resp, "{\"fault_message\":\"Invalid URI: a NUL byte is "
			       "not allowed in the request target.\"}"));
	assert_int_equal(RAW(s, "GET /version\xff HTTP/1.1\r\nHost: x\r\n\r\n", resp), 400);
	assert_non_null(strstr(resp, "{\"fault_message\":\"Invalid URI: Cannot parse URI "
			       "as UTF-8.\"}"));
	/* micro_http's absolute form: the path after the authority. */
	assert_int_equal(RAW(s, "GET http://localhost/version HTTP/1.1\r\nHost: x\r\n\r\n",
			     resp), 200);
	assert_non_null(strstr(resp, "firecracker_version"));
	/* Nothing above configured a drive. */
	assert_int_equal(request(s, "GET", "/vm/config", NULL, resp, sizeof(resp)), 200);
	assert_null(strstr(resp, "rootfs"));
	assert_int_equal(request(s, "PUT", "/drives/rootfs", drive, resp, sizeof(resp)), 204);
	/* A target refused, body or none, keeps its connection for the
	 * next request. */
	static const char *const seq[] = {
		"GET /\xc3 HTTP/1.1\r\nHost: x\r\n\r\n",
		"PUT /drives/a\xc3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
		"GET /version HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	fd = connect_to(s->sock);
	for (int i = 0; i < 3; i++) {
		send_all(fd, seq[i], strlen(seq[i]));
		assert_true(read_response(fd, resp, sizeof(resp), 5000) > 0);
		assert_int_equal(status_of(resp), i < 2 ? 400 : 200);
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_requests),
		T(test_keep_alive),
		T(test_oversized_body),
		T(test_slow_clients),
		T(test_trickling_body),
		T(test_trickling_headers),
		T(test_connection_limit),
		T(test_socket_file),
		T(test_handed_over),
		T(test_sandbox_hook),
		T(test_request_target),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_refused_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
