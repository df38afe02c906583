/* Guest RAM in a snapshot: one file holding the memfd's bytes in order
 * (region 0 at offset 0, region 1 right after it: the fd_offset of each
 * region, base/guest_mem.h), as Firecracker's mem_file_path holds its
 * guest memory. */
#ifndef AZOTE_VMM_SNAPSHOT_MEM_H
#define AZOTE_VMM_SNAPSHOT_MEM_H

#include "base/guest_mem.h"
#include "common/err.h"

/* Writes all of m's RAM to path, atomically (vmm/atomic_file.h): a full
 * disk leaves path as it was and says so. */
int snapshot_mem_save(const struct guest_mem *m, const char *path, struct azerr *e);

/* Fills m's RAM (created and mapped: guest_mem_create) from path, which
 * must be a regular file of exactly m->ram_size bytes. The RAM stays
 * azote's shared memfd, which the cards map as at boot: this copies the
 * file in (read() straight into the mapping) rather than mapping the file
 * itself, so restoring costs a read of the whole file up front; loading
 * pages lazily is for later (docs/snapshot.md). */
int snapshot_mem_load(struct guest_mem *m, const char *path, struct azerr *e);

#endif
