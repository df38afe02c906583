/*
 * The guest's side of vsock exchanges with the host's helper
 * (lib/vsock-host.py), shared by the vsock and vsnap checks: a line of
 * VSOCK_MSG_LEN bytes to the host, which answers it upper-cased, and a
 * line from the host, which the guest echoes. Each carries more than the
 * card's 4 KiB receive buffers, so that credit and several packets are
 * needed. Every result goes on the check's line under the key given
 * (key=PORT:BYTES, or key_what=why on a failure).
 */
#include "lg.h"

#include <ctype.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 60000

/* Reads exactly len bytes within WAIT_MS; returns how many came. */
static size_t read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, WAIT_MS) <= 0)
			break;
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

int vsock_exchange_out(struct line *l, const char *key, uint32_t port)
{
	static char msg[VSOCK_MSG_LEN], back[VSOCK_MSG_LEN];
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
				 .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	for (size_t i = 0; i < VSOCK_MSG_LEN - 1; i++)
		msg[i] = (char)('a' + i % 26);
	msg[VSOCK_MSG_LEN - 1] = '\n';
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		line_fail(l, "%s_connect=%s", key, strerror(errno));
	} else if (!write_all(fd, msg, VSOCK_MSG_LEN)) {
		line_fail(l, "%s_write=%s", key, strerror(errno));
	} else {
		size_t n = read_all(fd, back, VSOCK_MSG_LEN);
		bool same = n == VSOCK_MSG_LEN;
		for (size_t i = 0; same && i < VSOCK_MSG_LEN - 1; i++)
			same = back[i] == toupper((unsigned char)msg[i]);
		if (same) {
			line_add(l, "%s=%u:%d", key, port, VSOCK_MSG_LEN);
			return fd;
		}
		line_fail(l, "%s_reply=%zu/%d", key, n, VSOCK_MSG_LEN);
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

int vsock_listen(struct line *l, const char *key, uint32_t port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				 .svm_port = port };
	int lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0) {
		line_fail(l, "%s_listen=%s", key, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	say("LINUX vsock-listen %u", port);
	return lfd;
}

bool vsock_echo_in(struct line *l, const char *key, int lfd, uint32_t port)
{
	static char msg[VSOCK_MSG_LEN];
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	bool ok = false;
	int fd = -1;

	errno = 0;
	if (poll(&p, 1, WAIT_MS) <= 0 || (fd = accept(lfd, NULL, NULL)) < 0) {
		line_fail(l, "%s_accept=%s", key, errno ? strerror(errno) : "timeout");
	} else {
		size_t n = read_all(fd, msg, VSOCK_MSG_LEN);
		if (n != VSOCK_MSG_LEN || memcmp(msg, "host-", 5))
			line_fail(l, "%s_read=%zu/%d", key, n, VSOCK_MSG_LEN);
		else if (!write_all(fd, msg, VSOCK_MSG_LEN))
			line_fail(l, "%s_write=%s", key, strerror(errno));
		else
			ok = true;
	}
	if (ok)
		line_add(l, "%s=%u:%d", key, port, VSOCK_MSG_LEN);
	if (fd >= 0)
		close(fd);
	return ok;
}

bool vsock_params(struct line *l, uint64_t *cid, uint32_t *out, uint32_t *in)
{
	uint64_t o, i;

	if (!param_u64("lg.vsock_cid", cid) || !param_u64("lg.vsock_out", &o) ||
	    !param_u64("lg.vsock_in", &i) || o > UINT32_MAX || i > UINT32_MAX) {
		line_fail(l, "error=bad-lg.vsock");
		return false;
	}
	*out = (uint32_t)o;
	*in = (uint32_t)i;
	return true;
}
