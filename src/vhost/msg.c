#include "vhost/msg.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* What a request's payload must look like. */
enum payload_kind {
	PAY_UNSUPPORTED = 0,
	PAY_NONE,        /* no payload */
	PAY_U64,
	PAY_STATE,       /* struct vhost_user_vring_state */
	PAY_ADDR,        /* struct vhost_user_vring_addr */
	PAY_MEM,         /* memory table, one fd per region */
	PAY_CONFIG,      /* config header + size bytes */
	PAY_VRING_FD,    /* u64 index/flags, one fd unless NOFD */
	PAY_LOG,         /* struct vhost_user_log, one fd */
	PAY_LOG_REPLY,   /* SET_LOG_BASE's answer: see below */
};

struct request_info {
	const char *name;
	enum payload_kind req;    /* as sent by the front-end */
	enum payload_kind reply;  /* PAY_UNSUPPORTED: no reply of its own */
};

static const struct request_info requests[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = { "GET_FEATURES", PAY_NONE, PAY_U64 },
	[VHOST_USER_SET_FEATURES] = { "SET_FEATURES", PAY_U64, 0 },
	[VHOST_USER_SET_OWNER] = { "SET_OWNER", PAY_NONE, 0 },
	[VHOST_USER_RESET_OWNER] = { "RESET_OWNER", PAY_NONE, 0 },
	[VHOST_USER_SET_MEM_TABLE] = { "SET_MEM_TABLE", PAY_MEM, 0 },
	/* The spec's table says "reply payload: N/A", yet QEMU, the
	 * reference front-end, always waits for an answer to a SET_LOG_BASE
	 * carrying an fd, and back-ends answer it with 0, 8 (libvhost-user)
	 * or 16 bytes (rust-vmm), whose content QEMU ignores. So it is a
	 * request with a reply of its own (REPLY_ACK does not apply); this
	 * back-end answers a u64, 0 when the log is taken, 1 when refused,
	 * and this front-end takes any of the three sizes, an 8-byte
	 * non-zero as a refusal. */
	[VHOST_USER_SET_LOG_BASE] = { "SET_LOG_BASE", PAY_LOG, PAY_LOG_REPLY },
	[VHOST_USER_SET_LOG_FD] = { "SET_LOG_FD", 0, 0 },
	[VHOST_USER_SET_VRING_NUM] = { "SET_VRING_NUM", PAY_STATE, 0 },
	[VHOST_USER_SET_VRING_ADDR] = { "SET_VRING_ADDR", PAY_ADDR, 0 },
	[VHOST_USER_SET_VRING_BASE] = { "SET_VRING_BASE", PAY_STATE, 0 },
	[VHOST_USER_GET_VRING_BASE] = { "GET_VRING_BASE", PAY_STATE, PAY_STATE },
	[VHOST_USER_SET_VRING_KICK] = { "SET_VRING_KICK", PAY_VRING_FD, 0 },
	[VHOST_USER_SET_VRING_CALL] = { "SET_VRING_CALL", PAY_VRING_FD, 0 },
	[VHOST_USER_SET_VRING_ERR] = { "SET_VRING_ERR", PAY_VRING_FD, 0 },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES", PAY_NONE, PAY_U64 },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES", PAY_U64, 0 },
	[VHOST_USER_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", PAY_NONE, PAY_U64 },
	[VHOST_USER_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", PAY_STATE, 0 },
	[VHOST_USER_SEND_RARP] = { "SEND_RARP", 0, 0 },
	[VHOST_USER_NET_SET_MTU] = { "NET_SET_MTU", 0, 0 },
	[VHOST_USER_SET_BACKEND_REQ_FD] = { "SET_BACKEND_REQ_FD", 0, 0 },
	[VHOST_USER_IOTLB_MSG] = { "IOTLB_MSG", 0, 0 },
	[VHOST_USER_SET_VRING_ENDIAN] = { "SET_VRING_ENDIAN", 0, 0 },
	[VHOST_USER_GET_CONFIG] = { "GET_CONFIG", PAY_CONFIG, PAY_CONFIG },
	[VHOST_USER_SET_CONFIG] = { "SET_CONFIG", PAY_CONFIG, 0 },
	[VHOST_USER_RESET_DEVICE] = { "RESET_DEVICE", PAY_NONE, 0 },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { "GET_MAX_MEM_SLOTS", 0, 0 },
	[VHOST_USER_SET_STATUS] = { "SET_STATUS", PAY_U64, 0 },
	[VHOST_USER_GET_STATUS] = { "GET_STATUS", PAY_NONE, PAY_U64 },
};

const char *vu_request_name(uint32_t req, char buf[32])
{
	if (req < VHOST_USER_REQUEST_MAX && requests[req].name)
		return requests[req].name;
	snprintf(buf, 32, "request %u", req);
	return buf;
}

bool vu_request_has_reply(uint32_t req)
{
	return req < VHOST_USER_REQUEST_MAX && requests[req].reply != PAY_UNSUPPORTED;
}

void vu_msg_close_fds(struct vu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

/* Checks size and fds of m against kind. */
static int check_payload(const struct vu_msg *m, enum payload_kind kind,
			 const char *name, struct azerr *e)
{
	uint32_t size = m->hdr.size;
	unsigned want_fds = 0;
	uint32_t want;

	switch (kind) {
	case PAY_NONE: want = 0; break;
	case PAY_U64: want = 8; break;
	case PAY_STATE: want = sizeof(struct vhost_user_vring_state); break;
	case PAY_ADDR: want = sizeof(struct vhost_user_vring_addr); break;
	case PAY_VRING_FD:
		want = 8;
		if (size == 8 && (m->p.u64 & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK |
							  VHOST_USER_VRING_NOFD)))
			return azerr_set(e, "%s: unknown flags in 0x%llx", name,
					 (unsigned long long)m->p.u64);
		want_fds = size == 8 && !(m->p.u64 & VHOST_USER_VRING_NOFD);
		break;
	case PAY_LOG:
		want = sizeof(struct vhost_user_log);
		want_fds = 1;
		break;
	case PAY_LOG_REPLY:
		if (size != 0 && size != 8 && size != sizeof(struct vhost_user_log))
			return azerr_set(e, "%s: reply of %u bytes, expected 0, 8 or %zu",
					 name, size, sizeof(struct vhost_user_log));
		want = size;
		break;
	case PAY_MEM:
		if (size < 8)
			return azerr_set(e, "%s: %u payload bytes, need at least 8",
					 name, size);
		if (m->p.mem.nregions < 1 || m->p.mem.nregions > VHOST_USER_MAX_FDS)
			return azerr_set(e, "%s: %u regions, must be 1..%d", name,
					 m->p.mem.nregions, VHOST_USER_MAX_FDS);
		want = 8 + m->p.mem.nregions * sizeof(struct vhost_user_mem_region);
		want_fds = m->p.mem.nregions;
		break;
	case PAY_CONFIG:
		if (size < VHOST_USER_CONFIG_HDR)
			return azerr_set(e, "%s: %u payload bytes, need at least %d",
					 name, size, VHOST_USER_CONFIG_HDR);
		if (m->p.config.size > VHOST_USER_MAX_CONFIG)
			return azerr_set(e, "%s: config size %u above %d", name,
					 m->p.config.size, VHOST_USER_MAX_CONFIG);
		want = VHOST_USER_CONFIG_HDR + m->p.config.size;
		break;
	default:
		return azerr_set(e, "%s is not supported", name);
	}
	if (size != want)
		return azerr_set(e, "%s: payload of %u bytes, expected %u", name,
				 size, want);
	if (m->nfds != want_fds)
		return azerr_set(e, "%s: %u file descriptors, expected %u", name,
				 m->nfds, want_fds);
	return 0;
}

int vu_msg_check_request(const struct vu_msg *m, struct azerr *e)
{
	uint32_t req = m->hdr.request;
	char buf[32];

	if (m->hdr.flags & VHOST_USER_REPLY)
		return azerr_set(e, "%s: reply flag set on a request",
				 vu_request_name(req, buf));
	if (req >= VHOST_USER_REQUEST_MAX || !requests[req].name)
		return azerr_set(e, "unknown request %u", req);
	return check_payload(m, requests[req].req, requests[req].name, e);
}

int vu_msg_check_reply(const struct vu_msg *m, uint32_t req, struct azerr *e)
{
	char buf[32], buf2[32];
	const char *name = vu_request_name(req, buf);
	enum payload_kind kind = vu_request_has_reply(req) ? requests[req].reply : PAY_U64;

	if (m->hdr.request != req)
		return azerr_set(e, "reply to %s received while waiting for %s",
				 vu_request_name(m->hdr.request, buf2), name);
	if (!(m->hdr.flags & VHOST_USER_REPLY))
		return azerr_set(e, "%s: reply without the reply flag", name);
	/* Replies never carry fds to this front-end. */
	if (kind == PAY_VRING_FD || kind == PAY_MEM)
		kind = PAY_UNSUPPORTED;
	return check_payload(m, kind, name, e);
}

/* Bytes in the header's version field other than 1 mean a peer speaking
 * something else; a size above the largest payload cannot be skipped
 * safely. */
static int check_header(const struct vhost_user_header *h, struct azerr *e)
{
	char buf[32];

	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		return azerr_set(e, "%s: protocol version %u, expected %u",
				 vu_request_name(h->request, buf),
				 h->flags & VHOST_USER_VERSION_MASK, VHOST_USER_VERSION);
	if (h->size > sizeof(union vhost_user_payload))
		return azerr_set(e, "%s: payload of %u bytes, at most %zu allowed",
				 vu_request_name(h->request, buf), h->size,
				 sizeof(union vhost_user_payload));
	return 0;
}

int vu_msg_parse(struct vu_msg *m, const void *buf, size_t len, unsigned nfds,
		 struct azerr *e)
{
	memset(m, 0, sizeof(*m));
	if (len < sizeof(m->hdr))
		return azerr_set(e, "message of %zu bytes, shorter than a header", len);
	memcpy(&m->hdr, buf, sizeof(m->hdr));
	if (check_header(&m->hdr, e))
		return -1;
	if (len - sizeof(m->hdr) != m->hdr.size)
		return azerr_set(e, "header announces %u payload bytes, %zu present",
				 m->hdr.size, len - sizeof(m->hdr));
	memcpy(&m->p, (const uint8_t *)buf + sizeof(m->hdr), m->hdr.size);
	if (nfds > VHOST_USER_MAX_FDS)
		return azerr_set(e, "%u file descriptors, at most %d", nfds,
				 VHOST_USER_MAX_FDS);
	m->nfds = nfds;
	for (unsigned i = 0; i < nfds; i++)
		m->fds[i] = -1;
	return vu_msg_check_request(m, e);
}

/* Waits for sock to be readable until deadline (CLOCK_MONOTONIC ms, -1:
 * none). Out-of-band data fails it: vhost-user has none, and a stream
 * socket holding an urgent byte polls readable while a read would wait
 * behind it (past any deadline) for bytes the peer may never send. */
static int wait_readable(int sock, int64_t deadline, struct azerr *e)
{
	for (;;) {
		int timeout = -1;
		if (deadline >= 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
			timeout = now >= deadline ? 0 : (int)(deadline - now);
		}
		struct pollfd pfd = { .fd = sock, .events = POLLIN | POLLPRI };
		int r = poll(&pfd, 1, timeout);
		if (r > 0 && (pfd.revents & POLLPRI))
			return azerr_set(e, "the peer sent out-of-band data");
		if (r > 0)
			return 0;
		if (r == 0)
			return azerr_set(e, "no answer within the timeout");
		if (errno != EINTR)
			return azerr_set(e, "poll: %s", strerror(errno));
	}
}

static int64_t deadline_after(int timeout_ms)
{
	struct timespec ts;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + timeout_ms;
}

/* Reads exactly len bytes (after the first part of a message). */
static int read_full(int sock, void *buf, size_t len, int64_t deadline,
		     struct azerr *e)
{
	size_t got = 0;

	while (got < len) {
		if (wait_readable(sock, deadline, e))
			return -1;
		/* Never blocking: only wait_readable waits, bounded. */
		ssize_t r = recv(sock, (uint8_t *)buf + got, len - got, MSG_DONTWAIT);
		if (r == 0)
			return azerr_set(e, "connection closed in the middle of a message");
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return azerr_set(e, "recv: %s", strerror(errno));
		}
		got += (size_t)r;
	}
	return 0;
}

/* Collects SCM_RIGHTS fds from msg into m; fails (closing them all) if
 * the kernel had to drop some. */
static int take_fds(struct msghdr *msg, struct vu_msg *m, struct azerr *e)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			if (m->nfds < VHOST_USER_MAX_FDS)
				m->fds[m->nfds++] = fds[i];
			else
				close(fds[i]);
		}
	}
	if (msg->msg_flags & MSG_CTRUNC) {
		vu_msg_close_fds(m);
		return azerr_set(e, "more than %d file descriptors in one message",
				 VHOST_USER_MAX_FDS);
	}
	return 0;
}

int vu_msg_recv(int sock, struct vu_msg *m, int timeout_ms, struct azerr *e)
{
	int64_t deadline = deadline_after(timeout_ms);
	union {
		char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t r;

	m->nfds = 0;
	do {
		if (wait_readable(sock, deadline, e))
			return -1;
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (r < 0 && (errno == EINTR || errno == EAGAIN));
	if (r == 0)
		return 0;
	if (r < 0)
		return azerr_set(e, "recvmsg: %s", strerror(errno));
	if (take_fds(&msg, m, e))
		return -1;
	/* A message begun must end soon, whatever the wait for its start:
	 * a peer that sends half of one must not hold us for ever. */
	int64_t tail = deadline_after(VU_MSG_TAIL_MS);
	if (deadline < 0 || deadline > tail)
		deadline = tail;
	if ((size_t)r < sizeof(m->hdr) &&
	    read_full(sock, (uint8_t *)&m->hdr + r, sizeof(m->hdr) - (size_t)r,
		      deadline, e))
		goto fail;
	if (check_header(&m->hdr, e) ||
	    read_full(sock, &m->p, m->hdr.size, deadline, e))
		goto fail;
	return 1;
fail:
	vu_msg_close_fds(m);
	return -1;
}

int vu_msg_send(int sock, const struct vu_msg *m, struct azerr *e)
{
	union {
		char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)&m->hdr, .iov_len = sizeof(m->hdr) },
		{ .iov_base = (void *)&m->p, .iov_len = m->hdr.size },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t total = sizeof(m->hdr) + m->hdr.size;
	char buf[32];
	ssize_t r;

	if (m->hdr.size > sizeof(m->p) || m->nfds > VHOST_USER_MAX_FDS)
		return azerr_set(e, "%s: refusing to send a malformed message",
				 vu_request_name(m->hdr.request, buf));
	if (m->nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(m->nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(m->nfds * sizeof(int));
		memcpy(CMSG_DATA(c), m->fds, m->nfds * sizeof(int));
	}
	do {
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return azerr_set(e, "%s: send: %s",
				 vu_request_name(m->hdr.request, buf), strerror(errno));
	/* A unix stream socket takes a message this small whole or not at
	 * all unless the send timed out half way. */
	if ((size_t)r != total)
		return azerr_set(e, "%s: short send (%zd of %zu bytes)",
				 vu_request_name(m->hdr.request, buf), r, total);
	return 0;
}
