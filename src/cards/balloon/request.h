/* The balloon device's rings (virtio 1.2 §5.5.6), as Firecracker's balloon
 * serves them: inflate (page frame numbers of pages the guest gives up,
 * given back to the host), deflate (pages it takes back: nothing to do),
 * statistics (one buffer the device holds and returns every interval) and
 * free page reporting (ranges of free guest memory, given back). Pure of
 * threads and fds but for the discard hook, so that unit tests and the
 * fuzzer run it on a ring in memory; the worker (device.c) calls it when
 * a ring was kicked, the statistics timer fired, or a ring stops.
 *
 * Every chain taken is completed with used length 0 (the device writes no
 * guest byte), except the statistics buffer, which is held until it is
 * returned. The driver is notified once per pass, as it asked. */
#ifndef AZOTE_CARDS_BALLOON_REQUEST_H
#define AZOTE_CARDS_BALLOON_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "cards/virtio/virtqueue.h"
#include "iface/card_stats.h"
#include "virtio/virtio_balloon.h"

/* Buffers a chain may have: one with more is refused by virtq_pop
 * (completed with 0, counted as failed). Linux posts one on each ring but
 * the reporting ring, where it posts up to 32 ranges. */
#define BALLOON_MAX_IOV 64
/* Page frame numbers one inflate chain may carry: Linux's
 * VIRTIO_BALLOON_ARRAY_PFNS_MAX and Firecracker's MAX_PAGES_IN_DESC. A
 * longer list is skipped (completed, counted as failed), which bounds a
 * chain's work to 256 lookups and discards. */
#define BALLOON_MAX_PFNS 256
/* Statistics one buffer may carry (Firecracker's MAX_STATS_TAGS): a
 * longer buffer is not read, but held all the same, so that the driver's
 * request-and-answer cycle goes on. */
#define BALLOON_MAX_STATS 256
#define BALLOON_PAGE_SIZE (1u << VIRTIO_BALLOON_PFN_SHIFT)

/* Gives [hva, hva + len) of the card's mapping of guest memory back to
 * the host: the bytes given back (the whole host pages inside the range,
 * possibly 0), or -1 (errno). Never called on memory of pages larger
 * than the host's (gmem_hva_page), which stays with the guest. */
typedef int64_t (*balloon_discard_fn)(void *hva, uint64_t len);

/* madvise(MADV_REMOVE) on the host pages inside [hva, hva + len): guest
 * memory is a MAP_SHARED mapping of azote's memfd, so this punches a hole
 * in the memfd itself, freeing the memory for every process that maps it;
 * the guest's next read of those pages finds zeroes. */
int64_t balloon_remove(void *hva, uint64_t len);

struct balloon_server {
	struct card_balloon_stats *stats;  /* never NULL */
	balloon_discard_fn discard;
	/* Chains taken in one pass at most, so that the worker sees its
	 * commands while a guest keeps a ring full. */
	unsigned budget;
	/* The statistics ring's buffer the device holds (its head), to be
	 * returned by balloon_stats_return. */
	bool held;
	uint16_t held_head;
	bool discard_warned;        /* a failed discard was logged */
	struct iovec iov[BALLOON_MAX_IOV];
	uint32_t pfns[BALLOON_MAX_PFNS];
	uint8_t stat_buf[BALLOON_MAX_STATS * VIRTIO_BALLOON_STAT_SIZE];
};

enum balloon_serve_result {
	BALLOON_IDLE,   /* the ring is empty and kicks are re-armed */
	BALLOON_MORE,   /* the budget ran out with chains left */
};

/* Serves ring q in its role (balloon_ring_role) for up to s->budget
 * chains. BALLOON_RING_NONE serves nothing. */
enum balloon_serve_result balloon_serve(struct balloon_server *s, struct virtq *q,
					enum balloon_ring role);

/* The statistics ring: puts the held buffer on the used ring (length 0)
 * and notifies the driver, which then refills and posts it again. False
 * when none is held. */
bool balloon_stats_return(struct balloon_server *s, struct virtq *q);

/* Reads len bytes of packed statistics (le16 tag, le64 value) into st:
 * stat[tag] and its bit in stat_seen for each known tag, unknown tags
 * ignored. -1, with nothing read, when len is not a whole number of
 * statistics or more than BALLOON_MAX_STATS of them. */
int balloon_stats_parse(const uint8_t *buf, uint64_t len, struct card_balloon_stats *st);

/* Each ring's handling of one chain c taken from q (request.c's pass
 * calls them; pages.c and statsq.c hold them). Each completes c, or holds
 * it (statistics). */
void balloon_inflate_one(struct balloon_server *s, struct virtq *q,
			 const struct virtq_chain *c);
void balloon_deflate_one(struct balloon_server *s, struct virtq *q,
			 const struct virtq_chain *c);
void balloon_report_one(struct balloon_server *s, struct virtq *q,
			const struct virtq_chain *c);
void balloon_stats_one(struct balloon_server *s, struct virtq *q,
		       const struct virtq_chain *c);

#endif
