/* The dirty log a vhost-user front-end shares with a card (SET_LOG_BASE with
 * VHOST_USER_PROTOCOL_F_LOG_SHMFD): one bit per 4 KiB page of guest physical
 * address, bit n in byte n / 8 at bit n % 8, set by the card for every page
 * it writes while the front-end tracks changes (VHOST_F_LOG_ALL; the spec's
 * "Migration" section). The front-end reads and clears it only while the
 * card's rings are stopped.
 *
 * The front-end is untrusted: the size and offset it gives are checked
 * against the fd, and every bit set is checked against the log's size, so
 * no value it sends makes the card write outside the mapping.
 *
 * Threading: the vhost-user server maps and unmaps a log only while no ring
 * runs; ring workers set bits concurrently (atomic OR), as may other cards
 * sharing the same log. */
#ifndef AZOTE_CARDS_VIRTIO_VLOG_H
#define AZOTE_CARDS_VIRTIO_VLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "cards/virtio/gmem.h"

/* Largest log taken: 4 GiB of bits covers 128 TiB of guest addresses. */
#define VLOG_MAX_BYTES (1ULL << 32)

struct vlog {
	uint8_t *bits;      /* NULL: no log */
	uint64_t size;      /* bytes of bits */
	void *map;          /* what to munmap (page-aligned) */
	uint64_t map_len;
	uint64_t missed;    /* pages beyond the log asked to be set (atomic) */
};

/* Maps size bytes at offset off of fd (read-write, shared) into l, which
 * must be empty. Refuses a missing fd, a size of 0 or above VLOG_MAX_BYTES,
 * an fd that is not a regular file or memfd or holds fewer than off + size
 * bytes; seals it against shrinking as guest memory is (gmem_seal_shrink,
 * with must_seal). The fd is not kept. */
int vlog_map(struct vlog *l, int fd, uint64_t size, uint64_t off, bool must_seal,
	     struct azerr *e);

/* Unmaps and empties l. */
void vlog_unmap(struct vlog *l);

/* Whether l has a bit for every page below guest address end. */
bool vlog_covers(const struct vlog *l, uint64_t end);

/* The guest address just past m's highest region (0 when m is empty). */
uint64_t vlog_mem_end(const struct gmem *m);

/* Sets, atomically, the bit of every page [gpa, gpa + len) touches. Pages
 * beyond the log are not set but counted in missed. */
void vlog_mark(struct vlog *l, uint64_t gpa, uint64_t len);

/* Whether the bit of the page holding gpa is set (for tests). */
bool vlog_test(const struct vlog *l, uint64_t gpa);

#endif
