/* azote-card-vsock: a virtio-vsock device joined to Unix sockets on the
 * host (Firecracker's "hybrid" vsock) as a sandboxed vhost-user back-end.
 *
 *   azote-card-vsock (--socket PATH | --fd N) --cid N --uds PATH
 *                    [--seccomp kill|log|off] [--stats-fd N] [--user UID[:GID]]
 *
 * It creates and listens on the Unix socket at --uds (which must not
 * exist: Firecracker's bind refuses too), and keeps that socket's
 * directory as its working directory, the one place it reaches on the
 * filesystem afterwards: guest-initiated connections to host port P go to
 * "<name>_P" there (docs/security.md, "The vsock card"). The start-up is
 * every card's (card_main.c); the device is device.h's. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cards/card_main.h"
#include "cards/vsock/device.h"
#include "cards/vsock/opts.h"
#include "common/log.h"

struct vsock_card {
	struct vsock_opts o;
	struct vsock_device dev;
	int listen_fd, dir_fd;
	char dir[CARD_VSOCK_MAX_UDS + 1], base[CARD_VSOCK_MAX_UDS + 1];
};

static enum card_opts_action parse(int argc, char **argv, void *card,
				   const struct card_opts **common, struct azerr *e)
{
	struct vsock_card *c = card;

	*common = &c->o.card;
	return vsock_opts_parse(argc, argv, &c->o, e);
}

/* The listener at --uds and its directory, before confinement. */
static int open_uds(void *card, struct azerr *e)
{
	struct vsock_card *c = card;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char tmp[CARD_VSOCK_MAX_UDS + 1];

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", c->o.uds);
	snprintf(tmp, sizeof(tmp), "%s", c->o.uds);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", c->o.uds);
	snprintf(c->base, sizeof(c->base), "%s", basename(tmp));
	c->dir_fd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->dir_fd < 0)
		return azerr_set(e, "--uds %s: its directory %s: %s", c->o.uds, c->dir,
				 strerror(errno));
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(c->listen_fd, 64) < 0) {
		azerr_set(e, "--uds %s: cannot create the socket: %s%s", c->o.uds,
			  strerror(errno), errno == EADDRINUSE ? " (remove it first)" : "");
		if (c->listen_fd >= 0)
			close(c->listen_fd);
		close(c->dir_fd);
		return -1;
	}
	return 0;
}

static struct vu_device *create(void *card, struct card_stats *stats, struct azerr *e)
{
	struct vsock_card *c = card;

	/* After confinement: the socket's directory is the card's only way
	 * out of its empty root, for "<name>_P" (connect only). A confined
	 * card's uid may not search it (a jail's root is 0700, its owner's):
	 * then only host-initiated connections work, which need no path. */
	if (fchdir(c->dir_fd) < 0)
		log_warn("--uds %s: cannot enter %s as uid %u: %s: the guest's connections "
			 "to the host will be refused (RST), the host's to the guest work",
			 c->o.uds, c->dir, (unsigned)getuid(), strerror(errno));
	close(c->dir_fd);
	if (vsock_device_init(&c->dev, c->o.cid, c->listen_fd, c->base,
			      stats ? &stats->vsock : NULL, e))
		return NULL;
	return &c->dev.vu;
}

static void describe(void *card, char *buf, size_t size)
{
	const struct vsock_card *c = card;

	snprintf(buf, size, "vsock CID %llu on %s", (unsigned long long)c->o.cid, c->o.uds);
}

static void close_uds(void *card)
{
	struct vsock_card *c = card;

	close(c->listen_fd);
	close(c->dir_fd);
	unlink(c->o.uds);
}

/* Beyond the base list and every card's: the epoll loop, gathered socket
 * I/O, and Unix sockets for guest-initiated connections (AF_UNIX only). */
static const int extra_syscalls[] = {
	SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl, SYS_readv, SYS_writev,
	SYS_connect, SYS_shutdown,
};
static const struct jail_syscall_arg arg_rules[] = { JAIL_ARG_EQ(SYS_socket, 0, AF_UNIX) };
static const struct jail_filter filter = {
	.syscalls = extra_syscalls,
	.nr_syscalls = sizeof(extra_syscalls) / sizeof(extra_syscalls[0]),
	.args = arg_rules, .nr_args = sizeof(arg_rules) / sizeof(arg_rules[0]),
};

static struct vsock_card card = { .listen_fd = -1, .dir_fd = -1 };
static const struct card_kind vsock_kind = {
	.name = "azote-card-vsock",
	.card = &card,
	.parse = parse,
	.usage = vsock_opts_usage,
	.filter = &filter,
	.open = open_uds,
	.create = create,
	.describe = describe,
	.destroy = close_uds,
};

int main(int argc, char **argv)
{
	return card_main(argc, argv, &vsock_kind);
}
