/* libFuzzer target: the card's side of the control channel
 * (iface/card_control.c), a request as a card receives it from its
 * front-end: card_ctl_recv over a real SOCK_SEQPACKET socketpair, then
 * card_ctl_limits (for a card of one limiter and one of two),
 * card_ctl_mmds_map and card_ctl_net_pairs on the request's bytes; and
 * azote's side of NET_PAIRS, card_ctl_net_pairs_reply, on a reply
 * carrying the request's count.
 *
 * Input: byte 0 holds the number of fds (0 to 3, every one the MMDS
 * document's memfd), whether that memfd is azote's (card_ctl_mmds_memfd)
 * or one with only some of the seals, and whether the request's MMDS size
 * is made the document's; byte 1 how far the message's length is from a
 * request's (-128 is an empty message); then the request's bytes (zeroes
 * past the input), then the document.
 *
 * Each function must accept exactly what card_control.h says it does,
 * with a message when it refuses: a request of the right size whose fds
 * all arrived (each then close-on-exec and the one sent, and none left
 * open after a refusal), a known request's bytes outside its own fields
 * all 0; limits that hold want limiters with flags 0 or 1
 * and refill times within TOKEN_BUCKET_MAX_REFILL_MS, copied as given and
 * nothing written past want, and every byte that carries nothing 0
 * (padding, a limiter not given or beyond want, a bucket not set, the
 * other requests' fields); an MMDS request of version 1 or 2, flag 0
 * or 1, zero padding, a size of 1 to CARD_CTL_MMDS_MAX and one fd, a
 * memfd of that size sealed against every change, mapped to the
 * document's bytes; a NET_PAIRS count of 0 to the card's pairs, with no
 * fd, taken as it is; a reply's count of 1 to the device's pairs, the
 * count set when one was. These are checks of fields in a fixed struct, not
 * parsing: what the target guards is that they stay what the header says.
 *
 * Seeds: tests/host/fuzz_card_seeds.c, from azote's side of the channel. */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iface/card.h"
#include "iface/card_control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SENT (CARD_CTL_MAX_FDS + 1)
#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* The lowest fd number free: any fd a call leaves open takes it. */
static int lowest_free(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (d < 0)
		abort();
	close(d);
	return d;
}

/* The document's memfd: azote's, or one with the seals in bits 3 to 6 of
 * flags (SHRINK, GROW, WRITE, then SEAL). *sealed: against every change. */
static int doc_memfd(const uint8_t *doc, size_t len, uint8_t flags, bool *sealed)
{
	static const int seals[] = { F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_SEAL };
	struct azerr e;
	int fd;

	*sealed = true;
	if (flags & 4)
		return card_ctl_mmds_memfd((const char *)doc, len, &e);
	fd = memfd_create("fuzz-mmds", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || (len && write(fd, doc, len) != (ssize_t)len))
		abort();
	for (unsigned i = 0; i < 4; i++) {
		if (!(flags & 8 << i))
			*sealed = false;
		else if (fcntl(fd, F_ADD_SEALS, seals[i]) < 0)
			abort();
	}
	return fd;
}

static bool zero(const void *p, size_t len);

/* A known request's bytes outside its own fields are 0; an unknown
 * request's are not looked at. */
static bool fields_valid(const struct card_ctl_req *req)
{
	size_t lo, hi;

	switch (req->op) {
	case CARD_CTL_SET_LIMITS:
		lo = offsetof(struct card_ctl_req, nr_limits);
		hi = offsetof(struct card_ctl_req, mmds);
		break;
	case CARD_CTL_SET_IMAGE:
	case CARD_CTL_MEM_LOADED:
		lo = hi = sizeof(req->op);
		break;
	case CARD_CTL_SET_MMDS:
		lo = offsetof(struct card_ctl_req, mmds);
		hi = offsetof(struct card_ctl_req, stats_interval_s);
		break;
	case CARD_CTL_SET_STATS_INTERVAL:
		lo = offsetof(struct card_ctl_req, stats_interval_s);
		hi = offsetof(struct card_ctl_req, net_pairs);
		break;
	case CARD_CTL_NET_PAIRS:
		lo = offsetof(struct card_ctl_req, net_pairs);
		hi = sizeof(*req);
		break;
	default:
		return true;
	}
	return zero((const uint8_t *)req + sizeof(req->op), lo - sizeof(req->op)) &&
	       zero((const uint8_t *)req + hi, sizeof(*req) - hi);
}

/* The message: the request's bytes, then what follows them in the input. */
static void check_recv(const uint8_t *msg, size_t len, int mfd, unsigned nr)
{
	union {
		char buf[CMSG_SPACE(MAX_SENT * sizeof(int))];
		struct cmsghdr h;
	} ctl = { .h = { .cmsg_len = CMSG_LEN(nr * sizeof(int)), .cmsg_level = SOL_SOCKET,
			 .cmsg_type = SCM_RIGHTS } };
	struct iovec iov = { (void *)msg, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct card_ctl_req req;
	struct azerr e = { "" };
	struct stat want, st;
	int sv[2], fds[CARD_CTL_MAX_FDS], lo;
	unsigned got;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || fstat(mfd, &want))
		abort();
	for (unsigned i = 0; i < nr; i++)
		memcpy(CMSG_DATA(&ctl.h) + i * sizeof(int), &mfd, sizeof(int));
	/* An empty message is refused like any other of the wrong size (the
	 * sender's end is open), its fds closed. */
	if (nr) {
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(nr * sizeof(int));
	}
	if (sendmsg(sv[0], &m, MSG_NOSIGNAL) != (ssize_t)len)
		abort();
	lo = lowest_free(sv[0]);
	int ret = card_ctl_recv(sv[1], &req, fds, &got, &e);
	struct card_ctl_req sent;

	memcpy(&sent, msg, sizeof(sent));
	int expect = len == sizeof(req) && nr <= CARD_CTL_MAX_FDS && fields_valid(&sent) ? 1 : -1;

	if (ret != expect || (ret < 0 && !e.msg[0]) || (ret != 1 && got))
		abort();
	if (ret == 1) {
		if (memcmp(&req, msg, sizeof(req)) || got != nr)
			abort();
		for (unsigned i = 0; i < got; i++) {
			if (!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC) || fstat(fds[i], &st) ||
			    st.st_ino != want.st_ino || st.st_dev != want.st_dev)
				abort();
			close(fds[i]);
		}
	}
	if (lowest_free(sv[0]) != lo)
		abort();
	close(sv[0]);
	close(sv[1]);
}

static bool zero(const void *p, size_t len)
{
	static const uint8_t zeroes[sizeof(struct card_ctl_req)];

	return !memcmp(p, zeroes, len);
}

static bool limits_valid(const struct card_ctl_req *req, unsigned want)
{
	if (req->nr_limits != want || !zero(req->pad, sizeof(req->pad)) ||
	    !zero(&req->mmds, sizeof(*req) - offsetof(struct card_ctl_req, mmds)))
		return false;
	for (unsigned i = 0; i < 2; i++) {
		const struct card_ctl_limiter *w = &req->limit[i];

		if (i >= want || !req->given[i]) {
			if (req->given[i] > 1 || (i >= want && req->given[i]) ||
			    !zero(w, sizeof(*w)))
				return false;
			continue;
		}
		if (req->given[i] > 1 || w->has_bandwidth > 1 || w->has_ops > 1 ||
		    !zero(w->pad, sizeof(w->pad)) ||
		    (!w->has_bandwidth && !zero(&w->bandwidth, sizeof(w->bandwidth))) ||
		    (!w->has_ops && !zero(&w->ops, sizeof(w->ops))) ||
		    w->bandwidth.refill_time_ms > TOKEN_BUCKET_MAX_REFILL_MS ||
		    w->ops.refill_time_ms > TOKEN_BUCKET_MAX_REFILL_MS)
			return false;
	}
	return true;
}

static void check_limits(const struct card_ctl_req *req, unsigned want)
{
	struct rate_limiter rl[2], untouched;
	bool given[2] = { true, true };
	struct azerr e = { "" };

	memset(rl, 0x5a, sizeof(rl));
	memset(&untouched, 0x5a, sizeof(untouched));
	int ret = card_ctl_limits(req, want, rl, given, &e);

	if ((ret == 0) != limits_valid(req, want) || (ret && (ret != -1 || !e.msg[0])))
		abort();
	if (ret)
		return;
	for (unsigned i = 0; i < 2; i++) {
		const struct card_ctl_limiter *w = &req->limit[i];

		if (i >= want) {
			if (memcmp(&rl[i], &untouched, sizeof(untouched)) || !given[i])
				abort();
			continue;
		}
		if (given[i] != req->given[i] || rl[i].has_bandwidth != w->has_bandwidth ||
		    rl[i].has_ops != w->has_ops ||
		    memcmp(&rl[i].bandwidth, &w->bandwidth, sizeof(w->bandwidth)) ||
		    memcmp(&rl[i].ops, &w->ops, sizeof(w->ops)))
			abort();
	}
}

static void check_mmds(const struct card_ctl_req *req, int mfd, unsigned nr, bool sealed,
		       const uint8_t *doc, size_t len)
{
	const struct card_ctl_mmds *m = &req->mmds;
	const int fds[MAX_SENT] = { mfd, mfd, mfd };
	const void *p = NULL;
	struct azerr e = { "" };
	bool valid = (m->version == 1 || m->version == 2) && m->imds_compat <= 1 &&
		     !m->pad[0] && !m->pad[1] && m->size && m->size <= CARD_CTL_MMDS_MAX &&
		     nr == 1 && sealed && m->size == len;
	int ret = card_ctl_mmds_map(req, fds, nr, &p, &e);

	if ((ret == 0) != valid || (ret && (ret != -1 || !e.msg[0])))
		abort();
	if (ret)
		return;
	if (!p || memcmp(p, doc, len))
		abort();
	munmap((void *)p, len);
	/* The fd stays the caller's. */
	if (fcntl(mfd, F_GETFD) < 0)
		abort();
}

/* NET_PAIRS for a card and a device of max_pairs: the card's side on the
 * request, azote's on a reply of the request's count after a question,
 * after that count was set, and after another count was. */
static void check_net_pairs(const struct card_ctl_req *req, unsigned nr, unsigned max_pairs)
{
	const uint32_t n = req->net_pairs, asked[] = { 0, n, n + 1 };
	const struct card_ctl_reply rep = { .net_pairs = n };
	struct azerr e = { "" };
	int ret = card_ctl_net_pairs(req, nr, max_pairs, &e);

	if (ret != (!nr && n <= max_pairs ? (int)n : -1) || (ret < 0 && !e.msg[0]))
		abort();
	for (unsigned i = 0; i < 3; i++) {
		bool valid = n >= 1 && n <= max_pairs && (!asked[i] || asked[i] == n);

		e.msg[0] = 0;
		ret = card_ctl_net_pairs_reply(&rep, asked[i], max_pairs, &e);
		if (ret != (valid ? (int)n : -1) || (ret < 0 && !e.msg[0]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t msg[sizeof(struct card_ctl_req) + 127] = { 0 };
	struct card_ctl_req req;
	const uint8_t *doc;
	size_t len, doc_len;
	unsigned nr;
	bool sealed;

	if (size < 2)
		return 0;
	nr = data[0] & 3;
	len = (int8_t)data[1] == -128 ? 0 : (size_t)((int)sizeof(req) + (int8_t)data[1]);
	memcpy(msg, data + 2, size - 2 < sizeof(msg) ? size - 2 : sizeof(msg));
	doc = size - 2 > sizeof(req) ? data + 2 + sizeof(req) : data;
	doc_len = size - 2 > sizeof(req) ? size - 2 - sizeof(req) : 0;
	memcpy(&req, msg, sizeof(req));
	if (data[0] & 0x80) {
		req.mmds.size = doc_len;
		memcpy(msg, &req, sizeof(req));
	}
	int mfd = doc_memfd(doc, doc_len, data[0], &sealed);

	if (mfd < 0)
		abort();
	check_recv(msg, len, mfd, nr);
	check_limits(&req, 1);
	check_limits(&req, 2);
	check_mmds(&req, mfd, nr, sealed, doc, doc_len);
	check_net_pairs(&req, nr, 1);
	check_net_pairs(&req, nr, CARD_NET_MAX_PAIRS);
	close(mfd);
	return 0;
}
