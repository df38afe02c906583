/* The driver side of split virtqueues in a test's "guest memory" (a memfd
 * shared with the back-end): just enough of a virtio driver to exercise a
 * vhost-user-blk back-end from the host, including hostile chains. */
#ifndef AZOTE_TESTS_HOST_DRV_RING_H
#define AZOTE_TESTS_HOST_DRV_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/ring.h"

/* Guest memory: three regions, like a VM's RAM split around a hole, plus a
 * boundary between two regions adjacent in guest physical space so that
 * buffers crossing it test region splitting:
 *   gpa [0, 16M) and [16M, 32M): memfd offsets 0 and 16M
 *   gpa [4G, 4G+32M):            memfd offset 32M */
#define DRV_NR_REGIONS 3
#define DRV_MEM_SIZE   (64ULL << 20)
#define DRV_HIGH_GPA   0x100000000ULL

struct drv_mem {
	int fd;
	uint8_t *base;            /* the whole memfd, mapped */
	uint64_t next_low, next_high;  /* bump allocators */
};

int drv_mem_init(struct drv_mem *m);
/* The same on the host's 2 MiB hugetlbfs pages (guest RAM with huge_pages
 * "2M"): the mapping reserves all DRV_MEM_SIZE of them from the host's
 * pool, which must have them. */
int drv_mem_init_huge(struct drv_mem *m);
/* Host pointer of gpa (NULL outside RAM). */
void *drv_gpa(const struct drv_mem *m, uint64_t gpa);
/* Allocates len bytes aligned to align, low (<4G) or high memory. */
uint64_t drv_alloc(struct drv_mem *m, uint64_t len, uint64_t align, bool high);

struct drv_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;               /* device-writable */
};

struct drv_vq {
	struct drv_mem *mem;
	unsigned num;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t avail_idx, last_used;
	uint16_t free_head;
	unsigned nr_free;
	uint16_t chain_len[VIRTQ_MAX_SIZE];
	int kickfd, callfd;
	bool event_idx;
	uint16_t kicked_at;       /* avail_idx at the last kick decision */
};

int drv_vq_init(struct drv_vq *q, struct drv_mem *m, unsigned num, bool event_idx);

/* Rings a driver used before (a restored guest's): both indices at base,
 * before the ring is handed to the back-end (vu_fe_vring.base too). */
void drv_vq_set_base(struct drv_vq *q, uint16_t base);

/* Posts a chain of n buffers (indirect: through one indirect table at
 * itable_gpa). Returns the head, or -1 without enough free descriptors. */
int drv_vq_add(struct drv_vq *q, const struct drv_buf *b, unsigned n,
	       uint64_t itable_gpa);
/* Takes k raw descriptors for a hand-made (hostile) chain; returns the
 * first index (they are consecutive in the free list's order in dst). */
int drv_vq_take(struct drv_vq *q, unsigned k, uint16_t *dst);
/* Makes head available (no descriptor changes). */
void drv_vq_publish(struct drv_vq *q, uint16_t head);
/* Kicks if the device asked for it (EVENT_IDX) or always. */
void drv_vq_kick(struct drv_vq *q);
/* Next used element, if any: returns true and fills id/len, frees the
 * chain's descriptors (when id is a real head). */
bool drv_vq_get_used(struct drv_vq *q, uint16_t *id, uint32_t *len);
/* Frees a hand-made chain's descriptors. */
void drv_vq_release(struct drv_vq *q, const uint16_t *d, unsigned k);
/* Posts a hand-made (hostile) chain of k descriptors, desc[i].next being
 * a position in desc (made an index here): the indices it took go to
 * idx[k], for drv_vq_release once it is used. Returns the head, or -1
 * without enough free descriptors. Does not kick. */
int drv_vq_post_raw(struct drv_vq *q, const struct virtq_desc *desc, unsigned k,
		    uint16_t *idx);
/* Waits up to ms for the next used element (drv_vq_get_used), reading
 * the call eventfd meanwhile: false if none came. */
bool drv_vq_wait_used(struct drv_vq *q, uint16_t *id, uint32_t *len, int ms);

#endif
