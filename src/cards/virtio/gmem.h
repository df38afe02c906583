/* Guest memory as a device process sees it: the regions the frontend shared
 * (vhost-user memory table), each mapped here, with both of the address
 * spaces a device is handed: guest physical addresses (in descriptors) and
 * the frontend's own virtual addresses (in VHOST_USER_SET_VRING_ADDR).
 *
 * Every guest-supplied address goes through one of the lookups below, which
 * check the whole range. */
#ifndef AZOTE_CARDS_VIRTIO_GMEM_H
#define AZOTE_CARDS_VIRTIO_GMEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/err.h"

/* VHOST_MEMORY_BASELINE_NREGIONS: what SET_MEM_TABLE can carry. */
#define GMEM_MAX_REGIONS 8

struct gmem_region {
	uint64_t gpa;    /* guest physical start */
	uint64_t size;
	uint64_t uva;    /* the frontend's virtual address of gpa */
	uint8_t *hva;    /* our mapping of gpa */
	void *map;       /* what to munmap (page-aligned start), NULL if not ours */
	uint64_t map_len;
	uint64_t page;   /* the mapping's page size: the host's, or hugetlbfs's */
};

struct gmem {
	unsigned nr;
	struct gmem_region r[GMEM_MAX_REGIONS];
};

/* Checks a region list a frontend sent before anything is mapped: sizes
 * non-zero, no address wrap in either space, no two regions overlapping in
 * guest physical space. */
int gmem_check(const struct gmem *m, struct azerr *e);

/* Maps region r (gpa, size, uva filled) from fd at offset off into m,
 * from the page off lies in (a file on hugetlbfs, guest RAM on huge
 * pages, maps by its own pages: r->page). Checks the fd is a regular file
 * (memfd included) large enough (a short fd, or a device, would SIGBUS
 * us later) and seals it against shrinking (gmem_seal_shrink, with
 * must_seal). The fd is not kept: the mapping holds the memory. */
int gmem_map_region(struct gmem_region *r, int fd, uint64_t off, bool must_seal,
		    struct azerr *e);

/* Keeps the front-end from shrinking fd under our mapping, which would
 * SIGBUS us on the next access: a memfd gets F_SEAL_SHRINK unless it has
 * it. An fd that can still shrink, a memfd that takes no more seals or a
 * file (QEMU's memory-backend-file), which has no seals at all, is refused
 * when must (what names it in e), else taken with a warning. */
int gmem_seal_shrink(int fd, bool must, const char *what, struct azerr *e);

/* Unmaps every region and empties m. */
void gmem_unmap(struct gmem *m);

/* Host address of [gpa, gpa+len) if the whole range lies in one region,
 * else NULL. Used for structures that must be contiguous (rings, indirect
 * tables, request headers). */
void *gmem_gpa(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Host address of the frontend-virtual range [uva, uva+len), one region. */
void *gmem_uva(const struct gmem *m, uint64_t uva, uint64_t len);

/* Guest physical address of host address hva, which must lie in one of
 * m's regions (every iovec gmem_gpa_iov made does); false if it does not.
 * For the dirty log, which is kept by guest address. */
bool gmem_hva_to_gpa(const struct gmem *m, const void *hva, uint64_t *gpa);

/* The page size of the region whose mapping holds host address hva (its
 * r->page: the host's, or hugetlbfs's), 0 if none does. */
uint64_t gmem_hva_page(const struct gmem *m, const void *hva);

/* Appends iovecs covering [gpa, gpa+len) to iov[*n..cap), splitting at
 * region boundaries where regions are adjacent in guest physical space.
 * Returns -1 if part of the range is not guest RAM or cap is reached. */
int gmem_gpa_iov(const struct gmem *m, uint64_t gpa, uint64_t len,
		 struct iovec *iov, unsigned cap, unsigned *n);

#endif
