/* Lazy loading of a snapshot's RAM: see lazy_mem.h. */
#include "vmm/lazy_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include "common/log.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot_mem.h"
#include "vmm/uffd_handoff.h"

static enum lazy_mem_mode mode;

void lazy_mem_init(struct lazy_mem *l)
{
	*l = (struct lazy_mem){ .file_fd = -1, .handler_fd = -1, .handler_pidfd = -1, .uffd = -1,
				.uffd_dev_fd = -1 };
}

void lazy_mem_set_mode(enum lazy_mem_mode m)
{
	mode = m;
}

/* The pager thread binds itself to its seccomp list before its first
 * fault. */
static int enter_pager_sandbox(struct azerr *e)
{
	return vmm_sandbox_enter(VMM_ROLE_PAGER, NULL, e);
}

/* Why azote and its cards cannot take guest RAM lazily here, or NULL:
 * then l->uffd_dev_fd is open when the cards need it. */
static const char *cannot_lazy(struct lazy_mem *l, bool cards_ours)
{
	/* Its "vmm" program would bind the pager or relay threads, for
	 * which Firecracker (whose VMM serves no page faults) has no rules. */
	if (vmm_sandbox_custom())
		return "--seccomp-filter's programs have no rules for a page-fault server";
	if (!cards_ours)
		return "a device is served by a vhost-user back-end azote did not start, "
		       "which it cannot hand the memory's pages";
	/* The device node lets a card confined to another user, without
	 * CAP_SYS_PTRACE, make a userfaultfd that sees kernel faults. */
	l->uffd_dev_fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (l->uffd_dev_fd < 0 && vmm_sandbox_card_user())
		return "the cards run confined and /dev/userfaultfd cannot be opened";
	return NULL;
}

/* Why not lazily, or NULL: then l holds the pager and what the cards need. */
static const char *try_lazy(struct lazy_mem *l, struct guest_mem *m, bool cards_ours,
			    struct azerr *e)
{
	if (mode == LAZY_MEM_EAGER)
		return "--eager-mem";
	const char *why = cannot_lazy(l, cards_ours);
	if (why)
		return why;
	int uffd = uffd_open(l->uffd_dev_fd, 0, e);
	if (uffd < 0)
		return e->msg;
	struct uffd_source src = { .file_fd = l->file_fd, .size = m->ram_size };
	l->pager = uffd_pager_start(uffd, &src, enter_pager_sandbox, e);
	if (!l->pager)
		return e->msg;
	for (int i = 0; i < m->nr_regions; i++)
		if (uffd_pager_add(l->pager, m->regions[i].hva, m->regions[i].size,
				   m->regions[i].fd_offset, guest_mem_page_size(m), e) < 0)
			return e->msg;
	/* Only azote's pager: a page it puts in the memfd is there for the
	 * cards' mappings too. */
	if (mode == LAZY_MEM_PREFETCH && uffd_pager_prefetch(l->pager, e) < 0)
		return e->msg;
	return NULL;
}

int lazy_mem_load(struct lazy_mem *l, struct guest_mem *m, const char *path, bool cards_ours,
		  struct azerr *e)
{
	struct azerr why;

	lazy_mem_init(l);
	l->file_fd = snapshot_mem_open(m, path, e);
	if (l->file_fd < 0)
		return -1;
	const char *not_lazy = try_lazy(l, m, cards_ours, &why);
	if (!not_lazy) {
		log_info("guest memory %s loaded lazily (userfaultfd)", path);
		return 0;
	}
	/* Asked for, it is news to no one; otherwise the load is slower and
	 * larger than it could be, which the user should hear of. */
	log_msg(mode == LAZY_MEM_EAGER ? LOG_INFO : LOG_WARN, "guest memory %s read whole before the guest "
		"runs: %s", path, not_lazy);
	uffd_pager_stop(l->pager);
	l->pager = NULL;
	int ret = snapshot_mem_read(m, l->file_fd, path, e);
	lazy_mem_stop(l);
	return ret;
}

/* A pidfd of the process at the other end of the handler's connection,
 * or -1 (a kernel before pidfd_open, a handler in a pid namespace that
 * hides it from azote's): it polls readable once that process has ended,
 * which the cards' page relays ask before touching a page for a card. The
 * connection itself is no such sign: a handler may close it once it has
 * the userfaultfd and serve on. */
static int handler_pidfd(int sock)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
		return -1;
	return (int)syscall(SYS_pidfd_open, cred.pid, 0);
}

int lazy_mem_handoff(struct lazy_mem *l, struct guest_mem *m, const char *path,
		     bool cards_ours, struct azerr *e)
{
	lazy_mem_init(l);
	const char *why = cannot_lazy(l, cards_ours);
	if (why) {
		azerr_set(e, "guest memory from the page-fault handler at %s: %s", path, why);
		goto fail;
	}
	/* Firecracker's: handlers written for it may count on it. */
	l->uffd = uffd_open(l->uffd_dev_fd, UFFD_FEATURE_EVENT_REMOVE, e);
	if (l->uffd < 0 || (l->handler_fd = uffd_handoff(m, l->uffd, path, e)) < 0)
		goto fail;
	l->handler_pidfd = handler_pidfd(l->handler_fd);
	log_info("guest memory handed to the page-fault handler at %s (userfaultfd)%s", path,
		 mode == LAZY_MEM_PREFETCH ? "; what it prefetches is its choice, not "
		 "--prefetch-mem's" : "");
	return 0;
fail:
	lazy_mem_stop(l);
	return -1;
}

/* The handler's userfaultfd stays open here while the VM lives, as in
 * Firecracker: if the handler dies, a fault then waits rather than finding
 * the range unregistered and a page of zeroes in place of the guest's. */
void lazy_mem_stop(struct lazy_mem *l)
{
	uffd_pager_stop(l->pager);
	const int fds[] = { l->file_fd, l->handler_fd, l->handler_pidfd, l->uffd, l->uffd_dev_fd };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	lazy_mem_init(l);
}
