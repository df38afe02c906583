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

#endif
