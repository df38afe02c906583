/*
 * mmds: Firecracker's metadata service as a guest reaches it, through
 * eth0 (lg.ip=, as the net check sets it) and a host route to the MMDS
 * address lg.mmds_ip=: no host answers there, the net card's MMDS does.
 * The guest prints "LINUX mmds-wait" once it can ask; the host then PUTs
 * the document through the API (run.sh's --when), so the guest asks until
 * lg.mmds_path= reads lg.mmds_value= (a 404 until the PUT arrives).
 * lg.mmds=1: a plain GET (version 1). lg.mmds=2: a GET without a token must
 * be refused (401), then PUT /latest/api/token gives one, and the GET with
 * it must read the value; a made-up token is refused too (401).
 */
#include "lg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MS 5000     /* one request's answer */
#define DOC_MS    60000    /* until the host's PUT is seen */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ip route add ADDR/32 dev eth0: the MMDS address is on no subnet of the
 * guest's. */
static bool add_route(int sock, struct in_addr to)
{
	struct rtentry rt;
	struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
	struct sockaddr_in *mask = (struct sockaddr_in *)&rt.rt_genmask;
	char dev[] = "eth0";

	memset(&rt, 0, sizeof(rt));
	dst->sin_family = AF_INET;
	dst->sin_addr = to;
	mask->sin_family = AF_INET;
	mask->sin_addr.s_addr = 0xffffffff;
	rt.rt_flags = RTF_UP | RTF_HOST;
	rt.rt_dev = dev;
	return ioctl(sock, SIOCADDRT, &rt) == 0 || errno == EEXIST;
}

struct answer {
	int status;          /* 0: no answer */
	char body[512];
};

/* One HTTP/1.1 request (extra: more header lines, each ending "\r\n") to
 * the MMDS on port 80; its status and body (Content-Length bytes). */
static void ask(struct in_addr to, const char *method, const char *path,
		const char *extra, struct answer *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80), .sin_addr = to };
	char req[512], buf[2048];
	int64_t deadline = now_ms() + ANSWER_MS;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	a->status = 0;
	a->body[0] = '\0';
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		goto out;
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", method,
			 path, inet_ntoa(to), extra);
	size_t sent = 0;
	while (sent < (size_t)n && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		ssize_t w = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			goto out;
		sent += w > 0 ? (size_t)w : 0;
	}
	/* Headers, then as much body as Content-Length says. */
	while (got < sizeof(buf) - 1 && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		char *end = strstr(buf, "\r\n\r\n"), *cl = strcasestr(buf, "\r\nContent-Length:");
		if (!end)
			continue;
		size_t len = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		if (got < (size_t)(end + 4 - buf) + len)
			continue;
		if (sscanf(buf, "HTTP/1.1 %d", &a->status) != 1)
			a->status = -1;
		snprintf(a->body, sizeof(a->body), "%.*s",
			 (int)(len < sizeof(a->body) - 1 ? len : sizeof(a->body) - 1), end + 4);
		break;
	}
out:
	close(fd);
}

/* Asks for path (with the token's header when token) until it reads want
 * or DOC_MS pass; the last answer in *a, the requests made in *tries. */
static bool read_value(struct in_addr to, const char *path, const char *token,
		       const char *want, struct answer *a, int *tries)
{
	char hdr[300] = "";
	int64_t deadline = now_ms() + DOC_MS;

	if (token)
		snprintf(hdr, sizeof(hdr), "X-metadata-token: %s\r\n", token);
	for (*tries = 1;; ++*tries) {
		ask(to, "GET", path, hdr, a);
		if (a->status == 200 && !strcmp(a->body, want))
			return true;
		if (now_ms() > deadline)
			return false;
		usleep(200 * 1000);
	}
}

static void run(struct line *l, int sock)
{
	const char *ip = param("lg.mmds_ip"), *path = param("lg.mmds_path"),
		   *want = param("lg.mmds_value");
	uint64_t version;
	struct in_addr to;
	struct answer a;
	int tries;

	if (!ip || !inet_aton(ip, &to) || !path || !want || !param_u64("lg.mmds", &version) ||
	    (version != 1 && version != 2)) {
		line_fail(l, "error=bad-lg.mmds-params");
		return;
	}
	if (!add_route(sock, to)) {
		line_fail(l, "error=route errno=%d", errno);
		return;
	}
	line_add(l, "version=%llu", (unsigned long long)version);
	say("LINUX mmds-wait");
	if (version == 1) {
		if (!read_value(to, path, NULL, want, &a, &tries))
			line_fail(l, "status=%d body=%.64s tries=%d", a.status, a.body, tries);
		else
			line_add(l, "status=200 value=%s tries=%d", a.body, tries);
		return;
	}
	/* Version 2: no token, no data. Until the host's PUT the path is
	 * missing, but the token is checked first. The first answer may take
	 * the link's coming up. */
	int64_t deadline = now_ms() + DOC_MS;
	do
		ask(to, "GET", path, "", &a);
	while (!a.status && now_ms() < deadline);
	line_add(l, "no_token=%d", a.status);
	if (a.status != 401)
		line_fail(l, "want_no_token=401");
	ask(to, "PUT", "/latest/api/token", "X-metadata-token-ttl-seconds: 60\r\n", &a);
	if (a.status != 200 || !a.body[0]) {
		line_fail(l, "token_status=%d", a.status);
		return;
	}
	char token[sizeof(a.body)];
	snprintf(token, sizeof(token), "%s", a.body);
	if (!read_value(to, path, token, want, &a, &tries)) {
		line_fail(l, "status=%d body=%.64s tries=%d", a.status, a.body, tries);
		return;
	}
	line_add(l, "status=200 value=%s tries=%d", a.body, tries);
	ask(to, "GET", path, "X-metadata-token: not-a-token\r\n", &a);
	line_add(l, "bad_token=%d", a.status);
	if (a.status != 401)
		line_fail(l, "want_bad_token=401");
}

bool check_mmds(void)
{
	struct line l = { .len = 0 };
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		line_fail(&l, "error=socket errno=%d", errno);
	else if (net_bring_up(&l, sock))
		run(&l, sock);
	if (sock >= 0)
		close(sock);
	return line_emit(&l, "mmds");
}
