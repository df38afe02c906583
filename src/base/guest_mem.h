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

/* The 2 MiB pages of hugetlbfs (Firecracker's huge_pages "2M"). */
#define GUEST_MEM_HUGE_PAGE (2ULL << 20)

struct guest_mem {
	uint64_t ram_size;   /* total RAM asked for */
	bool huge;           /* on 2 MiB hugetlbfs pages, not the host's normal ones */
	int fd;              /* memfd backing all regions, -1 if none */
	int nr_regions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Computes the regions for ram_size bytes (gpa, size, fd_offset; hva left
 * NULL, fd -1, normal pages): from 0 up to hole_start first, the rest from
 * hole_end. Pure, for tests. */
void guest_mem_layout(struct guest_mem *m, uint64_t ram_size, uint64_t hole_start,
		      uint64_t hole_end);

/* Allocates the RAM laid out in m (guest_mem_layout) in a memfd and maps
 * it. The size must be a multiple of 4 KiB; with m->huge, of 2 MiB (as
 * hole_start), and the memfd is on hugetlbfs: its pages are reserved from
 * the host's pool of 2 MiB pages when it is mapped, so that a pool too
 * small fails here, with the pool's figures, rather than killing azote or
 * a card with SIGBUS when the guest first touches a page. On failure m
 * holds nothing. */
int guest_mem_create(struct guest_mem *m, struct azerr *e);

/* The size of the pages backing m: 4 KiB, or 2 MiB with m->huge. */
uint64_t guest_mem_page_size(const struct guest_mem *m);
void guest_mem_destroy(struct guest_mem *m);

/* The host address of [gpa, gpa+len) if the whole range is RAM inside one
 * region, else NULL. len 0 is valid at any RAM address. */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Highest RAM address + 1 below 4 GiB (the end of the low region). */
uint64_t guest_mem_low_end(const struct guest_mem *m);

#endif
