/* Lazy loading of guest RAM from a snapshot's memory file with
 * userfaultfd (docs/snapshot.md, "Memory"). Guest RAM is one shared
 * memfd; the memory file holds its bytes at the same offsets. Every
 * process that maps the memfd (azote, and each of its cards) registers its
 * own mappings, in MISSING mode, with a userfaultfd of its own, and a
 * pager thread of that process serves its faults: the page is read from
 * the file and put into the memfd's page cache with UFFDIO_COPY, where
 * every other mapping of the memfd then finds it. A page that another
 * process put there first makes the copy fail with EEXIST: the fault is
 * then woken, the page being there.
 *
 * A process serves only its own faults, from a file it may read, so that
 * no process acts on addresses another sent it: a card, which can already
 * read and write all of guest RAM through its mapping, gains nothing from
 * the memory file, and azote never writes where a card tells it to.
 *
 * Where the bytes come from an external page-fault handler instead
 * (Firecracker's Uffd backend), which serves azote's mapping only, a
 * card's pager has the page put in place by azote (struct uffd_source's
 * place) and wakes its fault.
 *
 * The ranges (struct uffd_ranges) are pure, for tests: where each mapping
 * lies in this process and at which offset of the memfd (= of the file),
 * each checked against the file's size when added. */
#ifndef AZOTE_COMMON_UFFD_PAGER_H
#define AZOTE_COMMON_UFFD_PAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/* A card's memory table holds at most 8 regions (vhost-user); while a new
 * table replaces an old one both are registered. */
#define UFFD_PAGER_MAX_RANGES 16

/* The largest page a mapping may have: hugetlbfs's 2 MiB (guest RAM on
 * huge pages, base/guest_mem.h). */
#define UFFD_PAGER_MAX_PAGE (2u << 20)

struct uffd_range {
	uint64_t start;  /* address of the mapping in this process */
	uint64_t len;
	uint64_t off;    /* offset of start in the memfd and in the file */
	uint64_t page;   /* the mapping's page size: what a fault loads */
};

struct uffd_ranges {
	unsigned nr;
	struct uffd_range r[UFFD_PAGER_MAX_RANGES];
};

/* Adds [start, start+len) at file offset off, a mapping of pages of page
 * bytes (a power of two, at most UFFD_PAGER_MAX_PAGE): start, len and off
 * multiples of page, len not 0, no wrap in either space, off+len within
 * file_size, no overlap with a range already there, room left. -1 with
 * e. */
int uffd_ranges_add(struct uffd_ranges *t, uint64_t start, uint64_t len, uint64_t off,
		    uint64_t file_size, uint64_t page, struct azerr *e);
/* Removes the range that starts at start; false if there is none. */
bool uffd_ranges_remove(struct uffd_ranges *t, uint64_t start);
/* The range holding addr: the start of addr's page (of that range's page
 * size) in *page_addr and that page's file offset in *off. NULL when no
 * range holds it. */
const struct uffd_range *uffd_ranges_find(const struct uffd_ranges *t, uint64_t addr,
					  uint64_t *page_addr, uint64_t *off);

/* A userfaultfd of this process, close-on-exec and non-blocking, after
 * UFFDIO_API asking for features (UFFD_FEATURE_*, 0 for none), able to
 * serve missing faults on shmem. From dev_fd, an open
 * /dev/userfaultfd (USERFAULTFD_IOC_NEW: what a process without
 * CAP_SYS_PTRACE needs where vm.unprivileged_userfaultfd is 0), or with
 * dev_fd -1 from the userfaultfd syscall. Not UFFD_USER_MODE_ONLY: the
 * kernel touches guest pages too (KVM, a card's io_uring). -1 with e and
 * errno (EPERM, ENOSYS: no userfaultfd here). */
int uffd_open(int dev_fd, uint64_t features, struct azerr *e);

struct uffd_pager;

/* Where a pager finds a missing page: file_fd, the memory file, read at
 * the page's offset (the fd stays the caller's and must stay open until
 * uffd_pager_stop); or, with file_fd -1, place(arg, off), which puts the
 * page at memfd offset off in place by other means (a card's page relay
 * to azote: cards/page_relay.h) and returns 0, or -1 when it cannot: the
 * process then ends (_exit(UFFD_PAGER_EXIT_LOST_PAGE)), no thread being
 * able to go on past that page. size bounds the ranges' offsets: the
 * file's size, or UINT64_MAX when place checks them (a card is not told
 * the size of RAM). */
#define UFFD_PAGER_EXIT_LOST_PAGE 70
struct uffd_source {
	int file_fd;
	int (*place)(void *arg, uint64_t off);
	void *arg;
	uint64_t size;
};

/* Starts a pager serving faults from src on uffd (from uffd_open; the
 * pager's from now on). on_start, if not NULL, runs first on the pager's
 * thread (azote's installs the thread's seccomp list there); the pager
 * serves nothing if it fails. Returns once the thread has started and
 * on_start has run (a seccomp filter applied to every thread after is
 * not met by a thread still starting). NULL with e. */
struct uffd_pager *uffd_pager_start(int uffd, const struct uffd_source *src,
				    int (*on_start)(struct azerr *e), struct azerr *e);

/* Registers this process's mapping [addr, addr+len) of the memfd at
 * offset off, of pages of page bytes (the host's, or hugetlbfs's 2 MiB:
 * a fault loads one whole), checked as uffd_ranges_add does against src's
 * size, and serves its faults from then on; once p has loaded every page
 * (uffd_pager_loaded), does nothing. -1 with e: then nothing is
 * registered. */
int uffd_pager_add(struct uffd_pager *p, void *addr, uint64_t len, uint64_t off,
		   uint64_t page, struct azerr *e);

/* Forgets the mapping at addr before it is unmapped (munmap unregisters
 * it from the userfaultfd). */
void uffd_pager_remove(struct uffd_pager *p, void *addr);

/* Asks p to copy in, while no fault waits, every page of the file source
 * that no process has put in place yet (its holes skipped: a missing page
 * there reads as zeroes all the same), then to unregister its ranges and
 * end its thread: once uffd_pager_loaded, p serves nothing. For a restore
 * that wants all of the guest's memory soon (a rollback), not for clones
 * that share a snapshot (each would then hold all of it). Call it after
 * the last uffd_pager_add. -1 with e: a place-hook source (the page-fault
 * handler's to prefetch), or no memory for its buffer. */
int uffd_pager_prefetch(struct uffd_pager *p, struct azerr *e);

/* Tells p that every page of its file source is in the memfd already,
 * put there by another process's prefetch (azote's --prefetch-mem, for a
 * card's pager): p unregisters its ranges and ends its thread as its own
 * prefetch would once done, faults waiting on them woken. -1 with e: a
 * place-hook source (no prefetch loads a page-fault handler's pages). */
int uffd_pager_finish(struct uffd_pager *p, struct azerr *e);

/* Whether every page is in place (p's prefetch, or uffd_pager_finish) and
 * p has ended: from then on uffd_pager_add registers nothing, a missing
 * page being a hole of the file. */
bool uffd_pager_loaded(const struct uffd_pager *p);

/* An eventfd of p's that becomes readable once p has loaded (for an
 * event loop; p's to close). */
int uffd_pager_loaded_fd(const struct uffd_pager *p);

/* Ends the thread and frees p; the userfaultfd is closed, which
 * unregisters every range (a later fault then fills with zeroes: call it
 * once nothing will touch the mappings, or once they are gone). Returns
 * the pages p put in place (copies that found the page there not
 * counted; with a place hook, the pages it placed), read once its thread has ended: a fault is woken by its copy,
 * before the thread counts it, so a count read while it runs may be one
 * short. 0 for a NULL p. */
uint64_t uffd_pager_stop(struct uffd_pager *p);

#endif
