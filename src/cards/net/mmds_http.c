/* The request parser follows micro_http (Request::try_from, Headers,
 * Uri::get_abs_path) closely enough that a request gets Firecracker's
 * status and body, errors included; the answers follow
 * convert_to_response in Firecracker's mmds/mod.rs. */
#include "cards/net/mmds_http.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/size.h"
#include "common/utf8.h"

#define TOKEN_PATH "/latest/api/token"
/* Room for a message that quotes part of a request head: the caller
 * bounds the head (MMDS_RX_MAX), and a longer quote is cut. */
#define MSG_MAX 4096

enum method { M_GET, M_PUT, M_PATCH, M_DELETE };

/* A piece of the request. */
struct span {
	const char *p;
	size_t n;
};

struct request {
	enum method method;
	struct span uri;
	bool http10;
	bool accept_json;
	uint32_t content_length;
	bool has_token, has_ttl, has_xff;
	struct span token, ttl_name, ttl, xff_name;
};

/* An error found while parsing: status and body. */
struct fail {
	int code;
	char msg[MSG_MAX];
};

size_t mmds_http_head_end(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

static struct span trim(struct span s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool name_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && strncasecmp(s.p, lit, s.n) == 0;
}

static const char *find(const char *p, size_t n, const char *seq)
{
	return memmem(p, n, seq, strlen(seq));
}

static int fail(struct fail *f, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct fail *f, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	f->code = code;
	return -1;
}

static int invalid_value(struct fail *f, struct span name, struct span value)
{
	return fail(f, 400, "Invalid header. Reason: Invalid value. Key:%.*s; Value:%.*s",
		    (int)name.n, name.p, (int)value.n, value.p);
}

/* Accept-Encoding: micro_http refuses only what rules out identity. */
static int accept_encoding(struct span v, struct fail *f)
{
	static const struct span name = { "Accept-Encoding", 15 };
	const char *end = v.p + v.n;

	if (v.n == 0)
		return fail(f, 400, "Invalid request.");
	for (const char *p = v.p; p <= end;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		struct span enc = { p, (size_t)((c ? c : end) - p) };
		struct span t = trim(enc);

		if (span_is(t, "identity;q=0") ||
		    (span_is(t, "*;q=0") && !find(v.p, v.n, "identity")))
			return invalid_value(f, name, enc);
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

static int header(struct request *r, struct span line, struct fail *f)
{
	const char *colon = memchr(line.p, ':', line.n);

	if (!colon)
		return fail(f, 400, "Invalid header. Reason: Header is incorrectly "
			    "formatted. Key: %.*s", (int)line.n, line.p);
	struct span raw_name = { line.p, (size_t)(colon - line.p) };
	struct span raw_val = { colon + 1, line.n - raw_name.n - 1 };
	struct span name = trim(raw_name), val = trim(raw_val);

	if (name_is(name, "content-length")) {
		if (parse_u32_rust(val.p, val.n, &r->content_length) < 0)
			return invalid_value(f, raw_name, raw_val);
	} else if (name_is(name, "accept")) {
		/* Any other type is ignored, as micro_http ignores it. */
		if (span_is(val, "application/json"))
			r->accept_json = true;
		else if (span_is(val, "text/plain"))
			r->accept_json = false;
	} else if (name_is(name, "accept-encoding")) {
		return accept_encoding(val, f);
	} else if (name_is(name, "content-type") || name_is(name, "expect") ||
		   name_is(name, "transfer-encoding") || name_is(name, "server")) {
		/* Known to micro_http, no bearing on MMDS's answers. */
	} else if (name_is(name, "x-metadata-token") ||
		   name_is(name, "x-aws-ec2-metadata-token")) {
		r->has_token = true;
		r->token = val;
	} else if (name_is(name, "x-metadata-token-ttl-seconds") ||
		   name_is(name, "x-aws-ec2-metadata-token-ttl-seconds")) {
		r->has_ttl = true;
		r->ttl_name = name;
		r->ttl = val;
	} else if (name_is(name, "x-forwarded-for")) {
		r->has_xff = true;
		r->xff_name = name;
	}
	return 0;
}

static int request_line(struct request *r, const char *p, size_t n,
			struct fail *f)
{
	const char *sp1, *sp2;
	struct span m, v;

	/* "GET" SP uri SP "HTTP/1.0" at least. */
	if (n < 3 + 1 + 8 + 2)
		return fail(f, 400, "Invalid request.");
	sp1 = memchr(p, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(p + n - sp1 - 1)) : NULL;
	if (!sp2)
		return fail(f, 400, "Invalid request.");
	m = (struct span){ p, (size_t)(sp1 - p) };
	r->uri = (struct span){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
	v = (struct span){ sp2 + 1, (size_t)(p + n - sp2 - 1) };
	if (span_is(m, "GET"))
		r->method = M_GET;
	else if (span_is(m, "PUT"))
		r->method = M_PUT;
	else if (span_is(m, "PATCH"))
		r->method = M_PATCH;
	else if (span_is(m, "DELETE"))
		r->method = M_DELETE;
	else
		return fail(f, 501, "Unsupported HTTP method.");
	if (r->uri.n == 0)
		return fail(f, 400, "Empty URI not allowed.");
	if (!utf8_valid(r->uri.p, r->uri.n))
		return fail(f, 400, "Cannot parse URI as UTF-8.");
	if (span_is(v, "HTTP/1.0"))
		r->http10 = true;
	else if (!span_is(v, "HTTP/1.1"))
		return fail(f, 501, "Unsupported HTTP version.");
	return 0;
}

static int parse(struct request *r, const char *p, size_t n, struct fail *f)
{
	const char *crlf = find(p, n, "\r\n"), *end, *hp;

	memset(r, 0, sizeof(*r));
	if (!crlf)
		return fail(f, 400, "Invalid request.");
	if (request_line(r, p, (size_t)(crlf - p), f))
		return -1;
	end = find(crlf, (size_t)(p + n - crlf), "\r\n\r\n");
	if (!end)
		return fail(f, 400, "Invalid request.");
	hp = crlf + 2;
	if (end > crlf && !utf8_valid(hp, (size_t)(end - hp)))
		return fail(f, 400, "Invalid request.");
	while (hp < end) {
		const char *e = find(hp, (size_t)(end - hp), "\r\n");
		struct span line = { hp, (size_t)((e ? e : end) - hp) };

		if (header(r, line, f))
			return -1;
		hp += line.n + 2;
	}
	/* The head is all MMDS reads: a body is never there (micro_http
	 * refuses a GET or DELETE with one outright). */
	if (r->content_length)
		return fail(f, 400, "Invalid request.");
	return 0;
}

/* The path of the URI: after "http://host" in the absolute form, else
 * the URI if it starts with '/', else nothing. */
static struct span abs_path(struct span uri)
{
	static const char scheme[] = "http://";
	const size_t sl = sizeof(scheme) - 1;

	if (uri.n >= sl && memcmp(uri.p, scheme, sl) == 0) {
		const char *slash = memchr(uri.p + sl, '/', uri.n - sl);

		if (!slash)
			return (struct span){ uri.p, 0 };
		return (struct span){ slash, uri.n - (size_t)(slash - uri.p) };
	}
	if (uri.n && uri.p[0] == '/')
		return uri;
	return (struct span){ uri.p, 0 };
}

/* The path with every run of '/' made one; out has room for s.n. */
static size_t sanitize(struct span s, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] != '/' || o == 0 || out[o - 1] != '/')
			out[o++] = s.p[i];
	return o;
}

struct answer {
	int code;
	bool json;
	char extra[160];        /* header lines, each ending in CRLF */
	const char *body;
	size_t body_len;
};

static int emit(const struct answer *a, bool http10, struct mmds_http_reply *r)
{
	char head[512];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.%c %d \r\nServer: Firecracker API\r\n"
			  "Connection: keep-alive\r\n%sContent-Type: %s\r\n"
			  "Content-Length: %zu\r\n\r\n",
			  http10 ? '0' : '1', a->code, a->extra,
			  a->json ? "application/json" : "text/plain", a->body_len);

	r->buf = malloc((size_t)hl + a->body_len);
	if (!r->buf)
		return -1;
	memcpy(r->buf, head, (size_t)hl);
	memcpy(r->buf + hl, a->body, a->body_len);
	r->len = (size_t)hl + a->body_len;
	return 0;
}

static int text(struct answer *a, int code, const char *body)
{
	a->code = code;
	a->json = false;
	a->body = body;
	a->body_len = strlen(body);
	return 0;
}

static int get(struct mmds_store *s, unsigned version,
	       const struct request *q, struct span path, uint64_t now_ms,
	       bool http10, struct mmds_http_reply *r)
{
	struct answer a = { 0 };
	char msg[MSG_MAX], *clean, *out = NULL;
	size_t cl, out_len = 0;
	int rc;

	if (version == 2 && !q->has_token) {
		text(&a, 401, "No MMDS token provided. Use `X-metadata-token` or "
		     "`X-aws-ec2-metadata-token` header to specify the session token.");
		return emit(&a, http10, r);
	}
	/* Version 1 serves with a bad token too: Firecracker only counts it. */
	if (version == 2 &&
	    !mmds_store_token_valid(s, q->token.p, q->token.n, now_ms)) {
		text(&a, 401, "MMDS token not valid.");
		return emit(&a, http10, r);
	}
	clean = malloc(path.n);
	if (!clean)
		return -1;
	cl = sanitize(path, clean);
	switch (mmds_store_get(s, clean, cl, q->accept_json, &out, &out_len)) {
	case MMDS_GET_OK:
		a = (struct answer){ .code = 200, .json = q->accept_json,
				     .body = out, .body_len = out_len };
		break;
	case MMDS_GET_NOT_FOUND:
		snprintf(msg, sizeof(msg), "Resource not found: %.*s.",
			 (int)path.n, path.p);
		text(&a, 404, msg);
		break;
	case MMDS_GET_UNSUPPORTED:
		text(&a, 501, "Cannot retrieve value. The value has an "
		     "unsupported type.");
		break;
	case MMDS_GET_NOMEM:
		free(clean);
		return -1;
	}
	free(clean);
	rc = emit(&a, http10, r);
	free(out);
	return rc;
}

static int put(struct mmds_store *s, const struct request *q,
	       struct span path, uint64_t now_ms, bool http10,
	       struct mmds_http_reply *r)
{
	struct answer a = { 0 };
	char msg[MSG_MAX], token[MMDS_TOKEN_LEN + 1], *clean;
	uint32_t ttl;
	bool is_token;

	if (q->has_xff) {
		snprintf(msg, sizeof(msg), "Invalid header. Reason: Unsupported "
			 "header name. Key: %.*s", (int)q->xff_name.n, q->xff_name.p);
		text(&a, 400, msg);
		return emit(&a, http10, r);
	}
	clean = malloc(path.n);
	if (!clean)
		return -1;
	is_token = sanitize(path, clean) == strlen(TOKEN_PATH) &&
		   memcmp(clean, TOKEN_PATH, strlen(TOKEN_PATH)) == 0;
	free(clean);
	if (!is_token) {
		snprintf(msg, sizeof(msg), "Resource not found: %.*s.",
			 (int)path.n, path.p);
		text(&a, 404, msg);
	} else if (!q->has_ttl) {
		text(&a, 400, "Token time to live value not found. Use "
		     "`X-metadata-token-ttl-seconds` or "
		     "`X-aws-ec2-metadata-token-ttl-seconds` header to specify "
		     "the token's lifetime.");
	} else if (parse_u32_rust(q->ttl.p, q->ttl.n, &ttl) < 0) {
		snprintf(msg, sizeof(msg), "Invalid header. Reason: Invalid value. "
			 "Key:%.*s; Value:%.*s", (int)q->ttl_name.n, q->ttl_name.p,
			 (int)q->ttl.n, q->ttl.p);
		text(&a, 400, msg);
	} else if (ttl < MMDS_TTL_MIN || ttl > MMDS_TTL_MAX) {
		snprintf(msg, sizeof(msg), "Invalid time to live value provided "
			 "for token: %u. Please provide a value between %u and %u.",
			 ttl, MMDS_TTL_MIN, MMDS_TTL_MAX);
		text(&a, 400, msg);
	} else {
		mmds_store_new_token(s, ttl, now_ms, token);
		text(&a, 200, token);
		/* The lifetime comes back under the name the guest used. */
		snprintf(a.extra, sizeof(a.extra), "%.*s: %u\r\n",
			 (int)q->ttl_name.n, q->ttl_name.p, ttl);
	}
	return emit(&a, http10, r);
}

int mmds_http_answer(struct mmds_store *s, unsigned version, const char *req,
		     size_t len, uint64_t now_ms, struct mmds_http_reply *r)
{
	struct request q;
	struct answer a = { 0 };
	struct fail f;
	struct span path;

	memset(r, 0, sizeof(*r));
	if (parse(&q, req, len, &f)) {
		r->body_skip = q.content_length;
		/* A request that could not be read is answered in HTTP/1.1,
		 * typed as JSON: Firecracker's dumbo leaves these answers
		 * micro_http's default type (its MMDS's own are text). */
		text(&a, f.code, f.msg);
		a.json = true;
		return emit(&a, false, r);
	}
	path = abs_path(q.uri);
	if (path.n == 0) {
		text(&a, 400, "Invalid URI.");
		return emit(&a, q.http10, r);
	}
	if (q.method == M_GET)
		return get(s, version, &q, path, now_ms, q.http10, r);
	if (q.method == M_PUT)
		return put(s, &q, path, now_ms, q.http10, r);
	text(&a, 405, "Not allowed HTTP method.");
	strcpy(a.extra, "Allow: GET, PUT\r\n");
	return emit(&a, q.http10, r);
}
