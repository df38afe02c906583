/* Guest RAM in a snapshot: one file holding the memfd's bytes in order
 * (region 0 at offset 0, region 1 right after it: the fd_offset of each
 * region, base/guest_mem.h), as Firecracker's mem_file_path holds its
 * guest memory. */
#ifndef AZOTE_VMM_SNAPSHOT_MEM_H
#define AZOTE_VMM_SNAPSHOT_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/guest_mem.h"
#include "common/err.h"
#include "vmm/dirty_log.h"

/* What the memfd's holes (pages nothing ever wrote there) hold while a
 * Full snapshot is written: zeroes (a booted VM, or one whose memory file
 * was read whole), the bytes at the same offset of a lazy load's memory
 * file (file_fd, vmm/lazy_mem.h: the page was not loaded yet), or what
 * only reading guest RAM tells (via_mapping: an external page-fault
 * handler fills it). */
struct mem_holes {
	int file_fd;        /* -1, or the memory file */
	bool via_mapping;
};

/* Writes all of m's RAM to path, atomically (vmm/atomic_file.h): a full
 * disk leaves path as it was and says so. Sparse: where the memfd has a
 * hole of zeroes (h) the file has one too, so that most of a fresh VM's
 * RAM, never touched, costs neither a write nor a page of memory (reading
 * a hole through the mapping would allocate it); a lazy load's file is
 * copied from, its runs of zeroes left holes as well. id, when not NULL,
 * is set on the file before it replaces path (common/mem_file_id.h: what
 * ties it to its state file). */
int snapshot_mem_save(const struct guest_mem *m, const struct mem_holes *h, const uint8_t *id,
		      const char *path, struct azerr *e);

/* A Diff snapshot's RAM: only the pages l counts as changed, each at its
 * place in the layout above, in a file of m's RAM size whose other pages
 * are holes (a sparse file: azote-rebase-snap copies its data onto the
 * base's memory file). Written whole or not at all, as above; except that,
 * as Firecracker does, an existing regular file of exactly that size (the
 * base's memory file, say) has the pages written into it in place: then a
 * failure may leave some of them written. *pages: how many were written.
 * id as above; merging in place, it is set before the first page is
 * written, so that a merge that fails midway leaves a file that the base's
 * state file no longer takes for its own. */
int snapshot_mem_save_diff(const struct guest_mem *m, const struct dirty_log *l,
			   const uint8_t *id, const char *path, uint64_t *pages,
			   struct azerr *e);

/* Whether path, the memory file a load is to read, may be the memory of
 * the snapshot snap_path whose state file records id (its memory file ID
 * section, NULL when it has none: written before it existed, or under
 * --seccomp-filter). Refused, with e naming both files and both IDs, when
 * the memory file carries another ID; taken when it carries none. */
int snapshot_mem_check_id(const char *path, const char *snap_path, const uint8_t *id,
			  struct azerr *e);

/* A snapshot's memory file for m's RAM: path opened read-only, which must
 * be a regular file of exactly m->ram_size bytes. The fd, or -1 with e
 * naming the file and the fault. */
int snapshot_mem_open(const struct guest_mem *m, const char *path, struct azerr *e);

/* Fills m's RAM (created and mapped: guest_mem_create) from fd
 * (snapshot_mem_open's; path for messages) all at once: the eager load,
 * the fallback of the lazy one (vmm/lazy_mem.h). The RAM stays azote's
 * shared memfd, which the cards map as at boot. */
int snapshot_mem_read(struct guest_mem *m, int fd, const char *path, struct azerr *e);

#endif
