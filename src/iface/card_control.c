/* The control channel between azote and a card: see card_control.h. */
#include "iface/card_control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void card_ctl_limiter_put(struct card_ctl_limiter *w, const struct rate_limiter *rl)
{
	/* A bucket that is not set is sent as zeroes: the card refuses
	 * anything else there (card_ctl_limits). */
	memset(w, 0, sizeof(*w));
	w->has_bandwidth = rl->has_bandwidth;
	w->has_ops = rl->has_ops;
	if (rl->has_bandwidth)
		w->bandwidth = rl->bandwidth;
	if (rl->has_ops)
		w->ops = rl->ops;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* The bytes of a SET_LIMITS that carry nothing: padding, limiters the
 * card does not have or that are not given, buckets not set, the other
 * requests' fields. azote sends them as zeroes; anything else is a request
 * built by something else, refused rather than read in part. */
static int limits_unused_zero(const struct card_ctl_req *req, unsigned want,
			      struct azerr *e)
{
	if (!all_zero(req->pad, sizeof(req->pad)))
		return azerr_set(e, "control: SET_LIMITS with padding that is not 0");
	for (unsigned i = 0; i < sizeof(req->limit) / sizeof(req->limit[0]); i++) {
		const struct card_ctl_limiter *w = &req->limit[i];

		if (i >= want && (req->given[i] || !all_zero(w, sizeof(*w))))
			return azerr_set(e, "control: limiter %u given to a card that has %u",
					 i, want);
		if (i < want && !req->given[i] && !all_zero(w, sizeof(*w)))
			return azerr_set(e, "control: limiter %u is not given but not 0", i);
		if (!all_zero(w->pad, sizeof(w->pad)))
			return azerr_set(e, "control: limiter %u's padding is not 0", i);
		if ((!w->has_bandwidth && !all_zero(&w->bandwidth, sizeof(w->bandwidth))) ||
		    (!w->has_ops && !all_zero(&w->ops, sizeof(w->ops))))
			return azerr_set(e, "control: limiter %u has a bucket that is not set "
					 "but not 0", i);
	}
	if (!all_zero(&req->mmds, sizeof(*req) - offsetof(struct card_ctl_req, mmds)))
		return azerr_set(e, "control: SET_LIMITS with other requests' fields not 0");
	return 0;
}

int card_ctl_limits(const struct card_ctl_req *req, unsigned want,
		    struct rate_limiter *rl, bool *given, struct azerr *e)
{
	if (req->nr_limits != want)
		return azerr_set(e, "control: %u rate limiters for a card that has %u",
				 req->nr_limits, want);
	for (unsigned i = 0; i < want; i++) {
		const struct card_ctl_limiter *w = &req->limit[i];

		if (req->given[i] > 1)
			return azerr_set(e, "control: limiter %u's given flag is %u", i,
					 req->given[i]);
		if (w->has_bandwidth > 1 || w->has_ops > 1)
			return azerr_set(e, "control: limiter %u's flags are %u and %u, "
					 "not 0 or 1", i, w->has_bandwidth, w->has_ops);
		if (w->bandwidth.refill_time_ms > TOKEN_BUCKET_MAX_REFILL_MS ||
		    w->ops.refill_time_ms > TOKEN_BUCKET_MAX_REFILL_MS)
			return azerr_set(e, "control: limiter %u: a refill_time over %llu ms",
					 i, (unsigned long long)TOKEN_BUCKET_MAX_REFILL_MS);
	}
	if (limits_unused_zero(req, want, e) < 0)
		return -1;
	/* Written only once the whole request is taken. */
	for (unsigned i = 0; i < want; i++) {
		const struct card_ctl_limiter *w = &req->limit[i];

		given[i] = req->given[i];
		rl[i] = (struct rate_limiter){
			.has_bandwidth = w->has_bandwidth, .has_ops = w->has_ops,
			.bandwidth = w->bandwidth, .ops = w->ops,
		};
	}
	return 0;
}

int card_ctl_net_pairs(const struct card_ctl_req *req, unsigned nr_fds, unsigned max_pairs,
		       struct azerr *e)
{
	if (nr_fds)
		return azerr_set(e, "control: NET_PAIRS with %u fds, not 0", nr_fds);
	if (req->net_pairs > max_pairs)
		return azerr_set(e, "control: NET_PAIRS of %u queue pairs, the card has %u",
				 req->net_pairs, max_pairs);
	return (int)req->net_pairs;
}

int card_ctl_net_pairs_reply(const struct card_ctl_reply *rep, unsigned asked,
			     unsigned max_pairs, struct azerr *e)
{
	if (!rep->net_pairs || rep->net_pairs > max_pairs)
		return azerr_set(e, "the card says %u queue pairs are in use, not 1 to %u",
				 rep->net_pairs, max_pairs);
	if (asked && rep->net_pairs != asked)
		return azerr_set(e, "the card says %u queue pairs are in use, %u were set",
				 rep->net_pairs, asked);
	return (int)rep->net_pairs;
}

#define MMDS_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int card_ctl_mmds_memfd(const char *json, size_t len, struct azerr *e)
{
	int fd = memfd_create("azote-mmds", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t off = 0;

	if (fd < 0)
		return azerr_set(e, "MMDS: memfd_create: %s", strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, json + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			azerr_set(e, "MMDS: cannot write the document: %s",
				  n < 0 ? strerror(errno) : "no progress");
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, MMDS_SEALS) < 0) {
		azerr_set(e, "MMDS: cannot seal the document: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int card_ctl_mmds_map(const struct card_ctl_req *req, const int *fds, unsigned nr_fds,
		      const void **doc, struct azerr *e)
{
	const struct card_ctl_mmds *m = &req->mmds;
	struct stat st;
	int seals;
	void *p;

	if (m->version != 1 && m->version != 2)
		return azerr_set(e, "control: MMDS version %u, not 1 or 2", m->version);
	if (m->imds_compat > 1 || m->pad[0] || m->pad[1])
		return azerr_set(e, "control: MMDS imds_compat %u or padding not 0",
				 m->imds_compat);
	if (!m->size || m->size > CARD_CTL_MMDS_MAX)
		return azerr_set(e, "control: an MMDS document of %llu bytes (1 to %u)",
				 (unsigned long long)m->size, CARD_CTL_MMDS_MAX);
	if (nr_fds != 1)
		return azerr_set(e, "control: SET_MMDS with %u fds, not 1", nr_fds);
	seals = fcntl(fds[0], F_GET_SEALS);
	if (seals < 0 || (seals & MMDS_SEALS) != MMDS_SEALS)
		return azerr_set(e, "control: the MMDS document is not a sealed memfd");
	if (fstat(fds[0], &st) < 0)
		return azerr_set(e, "control: fstat of the MMDS memfd: %s", strerror(errno));
	if ((uint64_t)st.st_size != m->size)
		return azerr_set(e, "control: the MMDS memfd holds %lld bytes, the request "
				 "says %llu", (long long)st.st_size,
				 (unsigned long long)m->size);
	p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fds[0], 0);
	if (p == MAP_FAILED)
		return azerr_set(e, "control: cannot map the MMDS document: %s",
				 strerror(errno));
	*doc = p;
	return 0;
}

int card_ctl_call(int fd, const struct card_ctl_req *req, const int *fds,
		  unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e)
{
	union {
		char buf[CMSG_SPACE(CARD_CTL_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)req, sizeof(*req) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (nr_fds > CARD_CTL_MAX_FDS)
		return azerr_set(e, "control: %u fds, at most %d", nr_fds, CARD_CTL_MAX_FDS);
	if (nr_fds) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nr_fds * sizeof(int));
	}
	/* One request at a time, each answered: room for it now, or the card
	 * has stopped reading (while it may still send replies). Waiting for
	 * room would block azote's main thread for as long as the card likes. */
	do {
		n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return azerr_set(e, "control: cannot send: the card is not reading its "
				 "requests");
	if (n != (ssize_t)sizeof(*req))
		return azerr_set(e, "control: cannot send: %s",
				 n < 0 ? strerror(errno) : "short write");
	int r;
	do {
		r = poll(&p, 1, CARD_CTL_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return azerr_set(e, "control: no answer in %d ms", CARD_CTL_TIMEOUT_MS);
	do {
		n = recv(fd, rep, sizeof(*rep), MSG_DONTWAIT | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return azerr_set(e, "control: the card closed the channel");
	if (n != (ssize_t)sizeof(*rep))
		return azerr_set(e, "control: a reply of %zd bytes, expected %zu%s%s", n,
				 sizeof(*rep), n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	rep->msg[sizeof(rep->msg) - 1] = 0;
	return 0;
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/* After a read of 0 bytes: whether azote closed (or shut down) its end. A
 * SOCK_SEQPACKET read gives 0 for an empty message too, which is a
 * malformed request to refuse, not the end of the channel. */
static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	int r = poll(&p, 1, 0);

	return r < 0 || (r == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)));
}

/* The bytes each request uses beyond op, one range of the struct: every
 * byte outside it must be 0, so that a field another request reads is
 * never taken half-read from one that ignores it. Unknown requests are
 * the kinds' to refuse. */
static const struct { size_t lo, hi; } req_fields[] = {
	[CARD_CTL_SET_LIMITS] = { offsetof(struct card_ctl_req, nr_limits),
				  offsetof(struct card_ctl_req, mmds) },
	[CARD_CTL_SET_IMAGE] = { sizeof(uint32_t), sizeof(uint32_t) },
	[CARD_CTL_SET_MMDS] = { offsetof(struct card_ctl_req, mmds),
				offsetof(struct card_ctl_req, stats_interval_s) },
	[CARD_CTL_MEM_LOADED] = { sizeof(uint32_t), sizeof(uint32_t) },
	[CARD_CTL_SET_STATS_INTERVAL] = { offsetof(struct card_ctl_req, stats_interval_s),
					  offsetof(struct card_ctl_req, net_pairs) },
	[CARD_CTL_NET_PAIRS] = { offsetof(struct card_ctl_req, net_pairs),
				 sizeof(struct card_ctl_req) },
};

static int fields_used_only(const struct card_ctl_req *req, struct azerr *e)
{
	const uint8_t *b = (const uint8_t *)req;

	if (req->op >= sizeof(req_fields) / sizeof(req_fields[0]) || !req_fields[req->op].lo)
		return 0;
	if (!all_zero(b + sizeof(req->op), req_fields[req->op].lo - sizeof(req->op)) ||
	    !all_zero(b + req_fields[req->op].hi, sizeof(*req) - req_fields[req->op].hi))
		return azerr_set(e, "control: request %u has bytes that are not 0 outside "
				 "its fields", req->op);
	return 0;
}

int card_ctl_recv(int fd, struct card_ctl_req *req, int *fds, unsigned *nr_fds,
		  struct azerr *e)
{
	union {
		char buf[CMSG_SPACE(CARD_CTL_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	ssize_t n;

	*nr_fds = 0;
	do {
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return azerr_set(e, "control: recvmsg: %s", strerror(errno));
	/* Taken before anything else, even from an empty message: the kernel
	 * has put them in the card's table already. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		for (unsigned i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nr_fds < CARD_CTL_MAX_FDS)
				fds[(*nr_fds)++] = f;
			else
				close(f);
		}
	}
	if (n == 0 && !*nr_fds && !(m.msg_flags & MSG_CTRUNC) && peer_gone(fd))
		return 0;
	if (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC) || n != (ssize_t)sizeof(*req))
		azerr_set(e, "control: a request of %zd bytes (expected %zu)%s", n,
			  sizeof(*req), m.msg_flags & MSG_CTRUNC ? " with fds cut off" : "");
	else if (fields_used_only(req, e) == 0)
		return 1;
	close_fds(fds, *nr_fds);
	*nr_fds = 0;
	return -1;
}

int card_ctl_send_reply(int fd, const struct card_ctl_reply *rep)
{
	/* sendmsg, not send: the one a card's seccomp list has. */
	struct iovec iov = { (void *)rep, sizeof(*rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do {
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}
