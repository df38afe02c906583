/* Lazy loading of a snapshot's RAM: see lazy_mem.h. */
#include "vmm/lazy_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot_mem.h"

static bool eager;

void lazy_mem_set_eager(bool e)
{
	eager = e;
}

/* The pager thread binds itself to its seccomp list before its first
 * fault. */
static int enter_pager_sandbox(struct azerr *e)
{
	return vmm_sandbox_enter(VMM_ROLE_PAGER, NULL, e);
}

/* Why not lazily, or NULL: then l holds the pager and what the cards need. */
static const char *try_lazy(struct lazy_mem *l, struct guest_mem *m, bool cards_ours,
			    struct azerr *e)
{
	if (eager)
		return "--eager-mem";
	/* Its "vmm" program would bind the pager thread, for which
	 * Firecracker (whose VMM serves no page faults) has no rules. */
	if (vmm_sandbox_custom())
		return "--seccomp-filter's programs have no rules for a page-fault server";
	if (!cards_ours)
		return "a device is served by a vhost-user back-end azote did not start, "
		       "which it cannot hand the memory file";
	/* The device node lets a card confined to another user, without
	 * CAP_SYS_PTRACE, make a userfaultfd that sees kernel faults. */
	l->uffd_dev_fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (l->uffd_dev_fd < 0 && vmm_sandbox_card_user())
		return "the cards run confined and /dev/userfaultfd cannot be opened";
	int uffd = uffd_open(l->uffd_dev_fd, e);
	if (uffd < 0)
		return e->msg;
	l->pager = uffd_pager_start(uffd, l->file_fd, m->ram_size, enter_pager_sandbox, e);
	if (!l->pager)
		return e->msg;
	for (int i = 0; i < m->nr_regions; i++)
		if (uffd_pager_add(l->pager, m->regions[i].hva, m->regions[i].size,
				   m->regions[i].fd_offset, e) < 0)
			return e->msg;
	return NULL;
}

int lazy_mem_load(struct lazy_mem *l, struct guest_mem *m, const char *path, bool cards_ours,
		  struct azerr *e)
{
	struct azerr why;

	*l = (struct lazy_mem){ .file_fd = -1, .uffd_dev_fd = -1 };
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
	log_msg(eager ? LOG_INFO : LOG_WARN, "guest memory %s read whole before the guest "
		"runs: %s", path, not_lazy);
	uffd_pager_stop(l->pager);
	l->pager = NULL;
	int ret = snapshot_mem_read(m, l->file_fd, path, e);
	lazy_mem_stop(l);
	return ret;
}

void lazy_mem_stop(struct lazy_mem *l)
{
	uffd_pager_stop(l->pager);
	if (l->file_fd >= 0)
		close(l->file_fd);
	if (l->uffd_dev_fd >= 0)
		close(l->uffd_dev_fd);
	*l = (struct lazy_mem){ .file_fd = -1, .uffd_dev_fd = -1 };
}
