/* The memory of Firecracker's pmem devices (virtio-pmem): each backing
 * file mapped by azote, shared, and given to KVM as a memory slot of its
 * own in the guest's physical address space, where the guest reads and
 * writes it as memory. Guest memory is azote's job, so the mapping is
 * here; the device's one ring (flush requests) is its card's.
 *
 * Where: above everything else, from the first 1 GiB boundary at or above
 * 4 GiB and the end of RAM, each region 2 MiB aligned and its length the
 * file's rounded up to 2 MiB (virtio/virtio_pmem.h's VIRTIO_PMEM_ALIGN).
 * The place depends only on the RAM size and the files' sizes, in order,
 * so a restore puts them where the snapshot's guest saw them. Beyond the
 * file's end, to the 2 MiB boundary, the region is anonymous memory of
 * azote's own, as in Firecracker: what the guest writes there is not
 * kept. */
#ifndef AZOTE_VMM_PMEM_REGION_H
#define AZOTE_VMM_PMEM_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct pmem_region {
	uint64_t gpa;        /* guest physical start, 2 MiB aligned */
	uint64_t size;       /* bytes mapped, file_len rounded up to 2 MiB */
	uint64_t file_len;   /* the backing file's length when mapped */
	bool read_only;
	uint8_t *hva;        /* azote's mapping, NULL when none */
};

/* Where the first pmem region may start for a guest whose RAM ends
 * (exclusive) at ram_end: the first 1 GiB boundary at or above it and
 * 4 GiB. Pure, for tests. */
uint64_t pmem_regions_base(uint64_t ram_end);

/* Maps the file at path (read-only with read_only) at the first 2 MiB
 * boundary at or above *next, which it then moves past the region. The
 * file must be a non-empty regular file, and the region must end at or
 * below limit (where the guest's physical address space ends); the
 * message names path. */
int pmem_region_map(struct pmem_region *r, const char *path, bool read_only,
		    uint64_t *next, uint64_t limit, struct azerr *e);
void pmem_region_unmap(struct pmem_region *r);

#endif
