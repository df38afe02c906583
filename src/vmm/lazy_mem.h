/* Loading a snapshot's guest RAM lazily (docs/snapshot.md, "Memory"):
 * azote's mapping of the memfd registered with a userfaultfd, whose faults
 * a pager thread serves from the memory file (common/uffd_pager.h); each
 * card azote starts for the VM is handed the file and serves the faults
 * on its own mapping the same way (vmm/vhost_dev.c, cards/card_main.c).
 * Where that cannot be done the whole file is read before the guest runs,
 * as --eager-mem asks (and with --seccomp-filter, whose programs know no
 * pager thread). */
#ifndef AZOTE_VMM_LAZY_MEM_H
#define AZOTE_VMM_LAZY_MEM_H

#include <stdbool.h>

#include "base/guest_mem.h"
#include "common/err.h"
#include "common/uffd_pager.h"

struct lazy_mem {
	int file_fd;                /* the memory file, -1 when not lazy */
	int uffd_dev_fd;            /* /dev/userfaultfd for the cards, or -1 */
	struct uffd_pager *pager;   /* azote's own */
};

/* --eager-mem: every later load reads the whole file first. */
void lazy_mem_set_eager(bool eager);

/* Fills m's RAM from path (checked: snapshot_mem_open): lazily when
 * allowed (no --eager-mem, every device served by a card azote starts:
 * cards_ours) and this host lets azote and its cards make a userfaultfd,
 * else all of it now, saying why in a log line. l->file_fd >= 0 after: the
 * lazy way, then the cards must be started with it (vmm/vhost_dev.c).
 * -1 with e: nothing is left open. */
int lazy_mem_load(struct lazy_mem *l, struct guest_mem *m, const char *path, bool cards_ours,
		  struct azerr *e);

/* Stops the pager and closes the file: once the cards and vCPUs are gone. */
void lazy_mem_stop(struct lazy_mem *l);

#endif
