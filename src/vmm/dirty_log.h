/* Which pages of guest RAM changed since the last snapshot, for diff
 * snapshots (PUT /snapshot/create with snapshot_type Diff; docs/snapshot.md).
 * Kept only when the machine was configured with track_dirty_pages.
 *
 * Three writers change guest RAM, and each is recorded its own way; a diff
 * snapshot merges the three, writes the pages, and clears them:
 *   vCPUs  KVM's dirty log of each memslot (KVM_MEM_LOG_DIRTY_PAGES on the
 *          RAM slots, read and cleared by KVM_GET_DIRTY_LOG).
 *   cards  the vhost-user dirty log (VHOST_F_LOG_ALL with the LOG_SHMFD
 *          protocol feature): one shared memfd, given to every card with
 *          VHOST_USER_SET_LOG_BASE, one bit per 4 KiB page of guest
 *          physical address (bit n of the little-endian bit string is the
 *          page at n * 4096), set atomically by a card after it writes a
 *          buffer or a used ring and before it tells the driver.
 *   azote  its own writes (the kernel, the boot tables): every page counts
 *          as changed until the first snapshot is taken; a machine restored
 *          from a snapshot starts with nothing changed.
 * The cards' bits are read only once their rings are stopped (a snapshot
 * stops them: vhost_devs_save), so no card is writing while they are read
 * and cleared. */
#ifndef AZOTE_VMM_DIRTY_LOG_H
#define AZOTE_VMM_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/guest_mem.h"
#include "common/err.h"

#define DIRTY_LOG_PAGE 4096u

struct dirty_log {
	int fd;          /* the cards' log (memfd); -1: pages are not tracked */
	uint64_t *bits;  /* fd mapped read-write: bit n = guest page n */
	uint64_t bytes;  /* size of fd and of the mapping: one bit for every
			  * page below the highest RAM address, in whole
			  * 64-bit words */
	bool all;        /* every page counts as changed */
};

/* A log covering every RAM page of m, cleared, with all as given (true at
 * boot, false on a restore). On failure l is as dirty_log_none left it. */
int dirty_log_create(struct dirty_log *l, const struct guest_mem *m, bool all,
		     struct azerr *e);
/* No tracking: fd -1. */
void dirty_log_none(struct dirty_log *l);
/* Unmaps and closes; the log is then as dirty_log_none leaves it. */
void dirty_log_destroy(struct dirty_log *l);

/* The merge, pure (tests/unit/test_dirty_log.c). All three records end up
 * in bits: KVM's are ORed into the cards' log, which is therefore written
 * by azote too, but only while the cards' rings are stopped. */

/* ORs a memslot's log into l: slot_bits is KVM_GET_DIRTY_LOG's bitmap of a
 * slot starting at guest address gpa (4 KiB aligned), pages long: bit j of
 * the little-endian 64-bit words is page j of the slot. Bits past pages
 * and pages past the log are ignored. */
void dirty_log_or_slot(struct dirty_log *l, uint64_t gpa, const uint64_t *slot_bits,
		       uint64_t pages);
/* Whether guest page n (at n * 4096) counts as changed: all, or its bit. */
bool dirty_log_test(const struct dirty_log *l, uint64_t page);
/* The first run of changed pages in [from, end): [*start, *stop), true; or
 * false when there is none. */
bool dirty_log_next_run(const struct dirty_log *l, uint64_t from, uint64_t end,
			uint64_t *start, uint64_t *stop);
/* How many of m's RAM pages count as changed. */
uint64_t dirty_log_count(const struct dirty_log *l, const struct guest_mem *m);
/* After a snapshot was written whole: nothing has changed since (bits
 * cleared, all false). Only while the cards' rings are stopped. */
void dirty_log_clear(struct dirty_log *l);

/* KVM's part (dirty_log_kvm.c): KVM_GET_DIRTY_LOG of every RAM slot (slot
 * i is m->regions[i], as vm.c registers them) ORed into l. KVM clears its
 * log as it hands it over, so what was read stays in l until
 * dirty_log_clear: a snapshot that fails after this loses no page
 * (Firecracker's #4383). On failure the slots read so far are in l. */
int dirty_log_collect(struct dirty_log *l, int vm_fd, const struct guest_mem *m,
		      struct azerr *e);

#endif
