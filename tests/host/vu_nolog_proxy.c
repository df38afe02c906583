/* vu-nolog-proxy LISTEN BACKEND: a vhost-user back-end that cannot log the
 * guest memory it writes, made of one that can (an azote card): it listens
 * on the Unix socket LISTEN, takes one front-end, connects to the back-end
 * listening on BACKEND and passes every message both ways, fds included,
 * but for the back-end's offer to log: VHOST_F_LOG_ALL is cleared from its
 * GET_FEATURES answer and LOG_SHMFD from its GET_PROTOCOL_FEATURES answer.
 * So the front-end sees what an external back-end without dirty logging
 * shows (test 73). Ends with status 0 when either side hangs up, 1 on a
 * malformed message, 2 on a bad command line. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost/msg.h"

static int unix_socket(const char *path, struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (fd < 0 || strlen(path) >= sizeof(a->sun_path)) {
		fprintf(stderr, "vu-nolog-proxy: %s: cannot make a socket for it\n", path);
		return -1;
	}
	strcpy(a->sun_path, path);
	return fd;
}

/* The back-end's answers, its offer to log taken out. */
static void strip_log(struct vu_msg *m)
{
	if (!(m->hdr.flags & VHOST_USER_REPLY) || m->hdr.size != sizeof(m->p.u64))
		return;
	if (m->hdr.request == VHOST_USER_GET_FEATURES)
		m->p.u64 &= ~(1ULL << VHOST_F_LOG_ALL);
	else if (m->hdr.request == VHOST_USER_GET_PROTOCOL_FEATURES)
		m->p.u64 &= ~(1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD);
}

/* One message from one side to the other: 1 passed, 0 a side hung up,
 * -1 an error (said). */
static int pass_one(int from, int to, bool from_backend)
{
	struct vu_msg m;
	struct azerr e;
	int r = vu_msg_recv(from, &m, -1, &e);

	if (r <= 0) {
		if (r < 0)
			fprintf(stderr, "vu-nolog-proxy: %s\n", e.msg);
		return r;
	}
	if (from_backend)
		strip_log(&m);
	r = vu_msg_send(to, &m, &e);
	vu_msg_close_fds(&m);
	if (r < 0) {
		/* The other side went away meanwhile: an ending, not an error. */
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		fprintf(stderr, "vu-nolog-proxy: %s\n", e.msg);
		return -1;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un la, ba;
	int lfd, fe, be, r = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: vu-nolog-proxy LISTEN BACKEND\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = unix_socket(argv[1], &la);
	be = unix_socket(argv[2], &ba);
	if (lfd < 0 || be < 0)
		return 2;
	if (bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(lfd, 1) < 0) {
		fprintf(stderr, "vu-nolog-proxy: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	fe = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fe < 0 || connect(be, (struct sockaddr *)&ba, sizeof(ba)) < 0) {
		fprintf(stderr, "vu-nolog-proxy: %s: %s\n", fe < 0 ? argv[1] : argv[2],
			strerror(errno));
		return 2;
	}
	close(lfd);
	for (;;) {
		struct pollfd p[2] = { { .fd = fe, .events = POLLIN }, { .fd = be, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			r = pass_one(p[i].fd, p[1 - i].fd, i == 1);
			if (r <= 0)
				return r < 0;
		}
	}
	return 1;
}
