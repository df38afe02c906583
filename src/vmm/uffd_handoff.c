/* Handing guest RAM to an external page-fault handler: see uffd_handoff.h. */
#include "vmm/uffd_handoff.h"

#include <errno.h>
#include <jansson.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

char *uffd_handoff_json(const struct guest_mem *m, uint64_t page)
{
	json_t *list = json_array();
	char *text = NULL;

	for (int i = 0; list && i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}",
				      "base_host_virt_addr", (json_int_t)(uintptr_t)r->hva,
				      "size", (json_int_t)r->size,
				      "offset", (json_int_t)r->fd_offset,
				      "page_size", (json_int_t)page,
				      "page_size_kib", (json_int_t)page);
		if (!o || json_array_append_new(list, o) < 0)
			goto out;
	}
	if (list)
		text = json_dumps(list, JSON_COMPACT);
out:
	json_decref(list);
	return text;
}

/* The one message: text and the fd. */
static int send_with_fd(int sock, const char *text, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(u.buf, 0, sizeof(u.buf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/* A few hundred bytes on a new connection: a short send fails. */
	if (n >= 0 && (size_t)n != iov.iov_len)
		errno = EMSGSIZE;
	return n >= 0 && (size_t)n == iov.iov_len ? 0 : -1;
}

static int register_ram(const struct guest_mem *m, int uffd, struct azerr *e)
{
	for (int i = 0; i < m->nr_regions; i++) {
		struct uffdio_register reg = {
			.range = { .start = (uintptr_t)m->regions[i].hva, .len = m->regions[i].size },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};
		if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
			return azerr_set(e, "cannot register guest RAM at 0x%llx with "
					 "userfaultfd: %s",
					 (unsigned long long)m->regions[i].gpa, strerror(errno));
	}
	return 0;
}

int uffd_handoff(const struct guest_mem *m, int uffd, const char *path, struct azerr *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return azerr_set(e, "the page-fault handler's socket %s: longer than a Unix "
				 "socket address (%zu bytes)", path, sizeof(a.sun_path) - 1);
	memcpy(a.sun_path, path, strlen(path));
	if (register_ram(m, uffd, e) < 0)
		return -1;
	char *text = uffd_handoff_json(m, guest_mem_page_size(m));
	if (!text)
		return azerr_set(e, "out of memory");
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    send_with_fd(sock, text, uffd) < 0) {
		azerr_set(e, "the page-fault handler's socket %s: %s", path, strerror(errno));
		if (sock >= 0)
			close(sock);
		sock = -1;
	}
	free(text);
	return sock;
}
