/*
 * vsnap: a vsock across a snapshot (tests/integration/94-linux-vsock-
 * snapshot.sh). The guest listens on lg.vsock_in, connects to the host's
 * lg.vsock_out and exchanges a line (before=), keeps that connection open
 * and prints "LINUX vsnap-go", the host's cue to snapshot it, kill the VMM
 * and load the snapshot in a new one whose vsock serves another Unix
 * socket path. The restored card sends the guest a TRANSPORT_RESET, so
 * the connection must end: the guest waits for it, and records how its
 * read ended and the socket's error (ended=read:ENOTCONN,so_error:
 * ECONNRESET when it was reset; an orderly end from the host would be
 * read:0,so_error:0). Then connects to the host's port again (after=:
 * now served on the new path), and accepts one host connection on the
 * listener it had before the snapshot (in=), which a reset must leave.
 * Passes when the connection ended and the three exchanges worked; the
 * host judges how it ended.
 */
#include "lg.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESET_WAIT_MS (600 * 1000)	/* a snapshot and a load in the box */

static const char *errno_name(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "?";
}

/* Waits for the connection fd to end; records how. */
static bool wait_end(struct line *l, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int err = 0, r = poll(&p, 1, RESET_WAIT_MS);
	socklen_t len = sizeof(err);
	char c;
	ssize_t n;

	if (r <= 0) {
		line_fail(l, "ended=none");
		return false;
	}
	n = read(fd, &c, 1);
	int read_err = n < 0 ? errno : 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = -1;
	if (n > 0) {
		line_fail(l, "ended=no,data");
		return false;
	}
	line_add(l, "ended=read:%s,so_error:%s", n < 0 ? errno_name(read_err) : "0",
		 err < 0 ? "?" : errno_name(err));
	return true;
}

bool check_vsnap(void)
{
	struct line l = { .len = 0 };
	uint32_t out, in;
	uint64_t cid;
	int lfd, fd;

	if (!vsock_params(&l, &cid, &out, &in))
		return line_emit(&l, "vsnap");
	lfd = vsock_listen(&l, "in", in);
	if (lfd < 0)
		return line_emit(&l, "vsnap");
	fd = vsock_exchange_out(&l, "before", out);
	if (fd >= 0) {
		say("LINUX vsnap-go");
		bool ended = wait_end(&l, fd);
		close(fd);
		say("LINUX vsnap-ended");
		if (ended && (fd = vsock_exchange_out(&l, "after", out)) >= 0) {
			close(fd);
			vsock_echo_in(&l, "in", lfd, in);
		}
	}
	close(lfd);
	return line_emit(&l, "vsnap");
}
