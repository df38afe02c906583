/*
 * vsock: the guest's virtio-vsock (azote's vsock card, Firecracker's
 * hybrid model) both ways. The guest's CID (IOCTL_VM_SOCKETS_GET_LOCAL_CID
 * on /dev/vsock) is lg.vsock_cid; the guest connects to the host (CID 2)
 * at port lg.vsock_out, where the host's helper (run.sh) listens on
 * <uds>_<port> and answers each line upper-cased; then it listens on port
 * lg.vsock_in, where the helper connects through <uds> with
 * "CONNECT <port>", and echoes the line the host sends. Each exchange
 * carries more than the card's 4 KiB receive buffers, so that credit and
 * several packets are needed.
 */
#include "lg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSG_LEN   20000
#define WAIT_MS   60000

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

static void outbound(struct line *l, uint32_t port)
{
	static char msg[MSG_LEN], back[MSG_LEN];
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
				 .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	for (size_t i = 0; i < MSG_LEN - 1; i++)
		msg[i] = (char)('a' + i % 26);
	msg[MSG_LEN - 1] = '\n';
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		line_fail(l, "out_connect=%s", strerror(errno));
	} else if (!write_all(fd, msg, MSG_LEN)) {
		line_fail(l, "out_write=%s", strerror(errno));
	} else {
		size_t n = read_all(fd, back, MSG_LEN);
		bool same = n == MSG_LEN;
		for (size_t i = 0; same && i < MSG_LEN - 1; i++)
			same = back[i] == toupper((unsigned char)msg[i]);
		if (same)
			line_add(l, "out=%u:%d", port, MSG_LEN);
		else
			line_fail(l, "out_reply=%zu/%d", n, MSG_LEN);
	}
	if (fd >= 0)
		close(fd);
}

static void inbound(struct line *l, uint32_t port)
{
	static char msg[MSG_LEN];
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				 .svm_port = port };
	int lfd = socket(AF_VSOCK, SOCK_STREAM, 0), fd = -1;
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0) {
		line_fail(l, "in_listen=%s", strerror(errno));
	} else if (say("LINUX vsock-listen %u", port), poll(&p, 1, WAIT_MS) <= 0 ||
		   (fd = accept(lfd, NULL, NULL)) < 0) {
		line_fail(l, "in_accept=%s", errno ? strerror(errno) : "timeout");
	} else {
		size_t n = read_all(fd, msg, MSG_LEN);
		if (n != MSG_LEN || memcmp(msg, "host-", 5))
			line_fail(l, "in_read=%zu/%d", n, MSG_LEN);
		else if (!write_all(fd, msg, MSG_LEN))
			line_fail(l, "in_write=%s", strerror(errno));
		else
			line_add(l, "in=%u:%d", port, MSG_LEN);
	}
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
}

bool check_vsock(void)
{
	struct line l = { .len = 0 };
	uint64_t cid, out, in;
	unsigned int got = 0;
	int dev;

	if (!param_u64("lg.vsock_cid", &cid) || !param_u64("lg.vsock_out", &out) ||
	    !param_u64("lg.vsock_in", &in) || out > UINT32_MAX || in > UINT32_MAX) {
		line_fail(&l, "error=bad-lg.vsock");
		return line_emit(&l, "vsock");
	}
	dev = open("/dev/vsock", O_RDONLY);
	if (dev < 0 || ioctl(dev, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &got) < 0)
		line_fail(&l, "error=no-/dev/vsock:%s", strerror(errno));
	else if (got != cid)
		line_fail(&l, "cid=%u want_cid=%llu", got, (unsigned long long)cid);
	else
		line_add(&l, "cid=%u", got);
	if (dev >= 0)
		close(dev);
	outbound(&l, (uint32_t)out);
	inbound(&l, (uint32_t)in);
	return line_emit(&l, "vsock");
}
