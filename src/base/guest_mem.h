/* Guest RAM: how it is laid out in guest physical space and how azote
 * reaches it. The RAM is one memfd (so that cards can map it), split into at
 * most two regions around a hole for devices (where the hole is belongs to
 * the architecture: arch/x86/e820.h, e820_ram_layout). Every guest physical
 * address that azote dereferences goes through guest_mem_ptr(), which checks
 * the whole range against the map. */
#ifndef AZOTE_BASE_GUEST_MEM_H
#define AZOTE_BASE_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define GUEST_MEM_MAX_REGIONS 2

struct guest_mem_region {
	uint64_t gpa;        /* guest physical start */
	uint64_t size;       /* bytes */
	uint64_t fd_offset;  /* offset of this region in the memfd */
	uint8_t *hva;        /* where azote mapped it */
};

struct guest_mem {
	uint64_t ram_size;   /* total RAM asked for */
	int fd;              /* memfd backing all regions, -1 if none */
	int nr_regions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Computes the regions for ram_size bytes (gpa, size, fd_offset; hva left
 * NULL, fd -1): from 0 up to hole_start first, the rest from hole_end.
 * Pure, for tests. */
void guest_mem_layout(struct guest_mem *m, uint64_t ram_size, uint64_t hole_start,
		      uint64_t hole_end);

/* Allocates the RAM laid out in m (guest_mem_layout) in a memfd and maps
 * it. The size must be a multiple of 4 KiB. On failure m holds nothing. */
int guest_mem_create(struct guest_mem *m, struct azerr *e);
void guest_mem_destroy(struct guest_mem *m);

/* The host address of [gpa, gpa+len) if the whole range is RAM inside one
 * region, else NULL. len 0 is valid at any RAM address. */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Highest RAM address + 1 below 4 GiB (the end of the low region). */
uint64_t guest_mem_low_end(const struct guest_mem *m);

#endif
