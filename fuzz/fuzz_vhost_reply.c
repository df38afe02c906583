/* libFuzzer target: azote's vhost-user front-end (src/vmm/vhost_frontend.c
 * over src/vhost/msg.c) against a compromised card, whose answers are the
 * input. docs/security.md: a card taken over by its guest reaches azote
 * through its socket only, so nothing it sends may crash azote, hang it,
 * leak a file descriptor into it or get past the checks on what azote
 * takes from a reply (queue count, configuration, ring base).
 *
 * The input's first byte says where an eventfd rides along (0: nowhere;
 * else with the stream from byte 4 * n on), the rest is written to the
 * card's end of a socketpair, which is then shut for writing, so that
 * azote reads the input and then the card's hang-up. azote makes the calls
 * it makes while it builds a device, starts and stops a ring and resets:
 * each may fail; a failed one leaves the rest failing at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/vhost_frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WANT_PF ((1ULL << VHOST_USER_PROTOCOL_F_MQ) | (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
		 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) | \
		 (1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE))

static unsigned open_fds(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < 256; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* The card's side: the input, one eventfd at *fd_at (if inside it). */
static void card_says(int sock, const uint8_t *p, size_t len, size_t fd_at)
{
	size_t first = fd_at && fd_at < len ? fd_at : len;

	if (first && write(sock, p, first) != (ssize_t)first)
		abort();
	if (first < len) {
		int efd = eventfd(0, EFD_CLOEXEC);
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u = { 0 };
		struct iovec iov = { (void *)(p + first), len - first };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &efd, sizeof(int));
		if (efd < 0 || sendmsg(sock, &msg, 0) != (ssize_t)(len - first))
			abort();
		close(efd);   /* the socket holds its own reference */
	}
	shutdown(sock, SHUT_WR);
}

static void build_device(struct vu_frontend *fe, int mem_fd, int kick, int call)
{
	static uint8_t guest[4096] __attribute__((aligned(4096)));
	uint8_t config[VHOST_USER_MAX_CONFIG];
	struct azerr e;
	unsigned n;
	uint16_t base;

	if (vu_fe_negotiate(fe, WANT_PF, &e) == 0 && vu_fe_get_queue_num(fe, &n, &e) == 0 &&
	    (n < 1 || n > VHOST_USER_MAX_QUEUES))
		abort();
	if (vu_fe_get_config(fe, 0, config, 16, &e) == 0)
		vu_fe_set_config(fe, 0, config, 4, &e);
	vu_fe_set_features(fe, fe->features, &e);
	struct vu_fe_region r = { .gpa = 0, .size = sizeof(guest), .uva = (uintptr_t)guest,
				  .fd = mem_fd };
	vu_fe_set_mem_table(fe, &r, 1, &e);
	vu_fe_set_log_base(fe, mem_fd, 4096, &e);
	struct vu_fe_vring v = { .num = 8, .desc = (uintptr_t)guest,
				 .avail = (uintptr_t)guest + 128, .used = (uintptr_t)guest + 256,
				 .kickfd = kick, .callfd = call };
	vu_fe_vring_start(fe, 0, &v, &e);
	base = 0x5a5a;
	if (vu_fe_vring_stop(fe, 0, &base, &e) < 0 && base != 0x5a5a)
		abort();              /* a refused answer must not be taken */
	vu_fe_reset(fe, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned baseline;
	int sv[2];
	struct vu_frontend fe;
	struct azerr e;

	/* More than the socket buffers hold would block the card's write. */
	if (!size || size > 65536)
		return 0;
	if (!baseline)
		baseline = open_fds();
	int mem_fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), call = eventfd(0, EFD_CLOEXEC);
	if (mem_fd < 0 || kick < 0 || call < 0 || ftruncate(mem_fd, 4096) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	card_says(sv[1], data + 1, size - 1, (size_t)data[0] * 4);
	if (vu_fe_attach(&fe, sv[0], "fuzz-card", 1000, &e) < 0)
		abort();
	build_device(&fe, mem_fd, kick, call);
	vu_fe_close(&fe);
	close(sv[1]);
	close(mem_fd);
	close(kick);
	close(call);
	/* Whatever fds the card sent went with the socket or were closed. */
	if (open_fds() != baseline)
		abort();
	return 0;
}
