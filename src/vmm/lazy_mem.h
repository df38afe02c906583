/* Loading a snapshot's guest RAM lazily (docs/snapshot.md, "Memory"), from
 * one of Firecracker's two memory backends:
 * - File: azote's mapping of the memfd registered with a userfaultfd,
 *   whose faults a pager thread serves from the memory file
 *   (common/uffd_pager.h), and with --prefetch-mem then copies in what
 *   the guest has not touched; each card azote starts for the VM is handed the
 *   file and serves the faults on its own mapping the same way
 *   (vmm/vhost_dev.c, cards/card_main.c). Where that cannot be done the
 *   whole file is read before the guest runs, as --eager-mem asks (and
 *   with --seccomp-filter, whose programs know no pager thread).
 * - Uffd: azote's mapping registered with a userfaultfd handed to an
 *   external page-fault handler (vmm/uffd_handoff.h), which serves it;
 *   each card serves the faults on its own mapping by asking azote, whose
 *   touch of the page the handler serves (vmm/page_relay.h). No fallback:
 *   only the handler has the bytes. */
#ifndef AZOTE_VMM_LAZY_MEM_H
#define AZOTE_VMM_LAZY_MEM_H

#include <stdbool.h>

#include "base/guest_mem.h"
#include "common/err.h"
#include "common/uffd_pager.h"

struct lazy_mem {
	int file_fd;                /* File: the memory file, -1 when not lazy */
	int handler_fd;             /* Uffd: the connection to the handler, or -1 */
	int handler_pidfd;          /* Uffd: a pidfd of the handler's process, or -1 */
	int uffd;                   /* Uffd: the handler's userfaultfd, azote's copy, or -1 */
	int uffd_dev_fd;            /* /dev/userfaultfd for the cards, or -1 */
	struct uffd_pager *pager;   /* File: azote's own */
};

/* Nothing loaded lazily: every fd -1. */
void lazy_mem_init(struct lazy_mem *l);

/* How every later load from a file fills RAM: each page when first
 * touched; the same, and the untouched pages while the guest runs
 * (--prefetch-mem); the whole file before the guest runs (--eager-mem). */
enum lazy_mem_mode { LAZY_MEM_ON_FAULT, LAZY_MEM_PREFETCH, LAZY_MEM_EAGER };
void lazy_mem_set_mode(enum lazy_mem_mode mode);

/* Fills m's RAM from path (checked: snapshot_mem_open): lazily when
 * allowed (no --eager-mem, every device served by a card azote starts:
 * cards_ours) and this host lets azote and its cards make a userfaultfd,
 * else all of it now, saying why in a log line. l->file_fd >= 0 after: the
 * lazy way, then the cards must be started with it (vmm/vhost_dev.c).
 * -1 with e: nothing is left open. */
int lazy_mem_load(struct lazy_mem *l, struct guest_mem *m, const char *path, bool cards_ours,
		  struct azerr *e);

/* Hands m's RAM to the page-fault handler listening at path (the Uffd
 * backend): every device must be served by a card azote starts
 * (cards_ours), whose relay it will answer. l->handler_fd >= 0 after:
 * the cards must be started with a page relay (vmm/vhost_dev.c). -1 with
 * e naming path: nothing is left open. */
int lazy_mem_handoff(struct lazy_mem *l, struct guest_mem *m, const char *path,
		     bool cards_ours, struct azerr *e);

/* Stops the pager and closes what l holds: once the cards and vCPUs are
 * gone. */
void lazy_mem_stop(struct lazy_mem *l);

#endif
