/* libFuzzer target: the balloon card's rings on a hostile driver's ring.
 * The input is the whole guest memory image (descriptor table, available
 * ring, indirect tables, page lists, statistics, ranges) of a small
 * queue; its first byte picks the ring's role, EVENT_IDX, and whether the
 * image's second region is of huge pages. balloon_serve then runs on it
 * until it rests, and the statistics buffer is returned. Nothing may
 * crash, hang, touch outside the image (ASan sees its ends; the discard
 * checks every range it is given), give back memory of huge pages,
 * complete a chain with a used length other than 0, or count what it did
 * not do. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/balloon/request.h"
#include "virtio/virtio.h"

#include "fuzz_ring_mem.h"

#define MEM FUZZ_RING_MEM
#define NUM 16
#define USED_GPA 0x400

static uint8_t *mem;
static struct balloon_server srv;
static uint64_t discarded;
/* The end of what may be given back: the image's, or its first region's
 * when the second is of huge pages. */
static uint8_t *givable_end;

/* What MADV_REMOVE would do, inside the image only: zeroes, which the
 * rest of the pass then reads (a list naming its own page, the ring's). */
static int64_t discard(void *hva, uint64_t len)
{
	uint8_t *p = hva;

	if (p < mem || len > MEM || p + len > givable_end)
		abort();
	memset(p, 0, len);
	discarded += len;
	return (int64_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmem g = { 0 };
	struct virtq q = { .callfd = -1 };
	struct card_balloon_stats st = { 0 };

	mem = fuzz_ring_mem(&g, data, size);
	uint8_t cfg = size ? data[0] : 0;
	enum balloon_ring role = (enum balloon_ring)(cfg & 3);
	uint64_t features = VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    (cfg & 4 ? VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) : 0);
	g.r[1].page = cfg & 8 ? 2 << 20 : 0;
	givable_end = cfg & 8 ? g.r[1].hva : mem + MEM;
	srv = (struct balloon_server){ .stats = &st, .discard = discard, .budget = 2 * NUM };
	discarded = 0;
	if (virtq_start(&q, &g, NUM, 0x100, 0x300, USED_GPA, false, 0, features, NULL))
		abort();
	uint16_t first = q.used_idx;  /* as the image had it */
	while (balloon_serve(&srv, &q, role) == BALLOON_MORE)
		;
	bool held = srv.held;
	if (held != balloon_stats_return(&srv, &q) || srv.held)
		abort();
	if (held && role != BALLOON_RING_STATS)
		abort();
	const struct virtq_used *u = (const void *)(mem + USED_GPA);
	uint16_t done = (uint16_t)(q.used_idx - first);
	/* A discard may have zeroed the used ring after it was written: a
	 * length read back is 0 either way. */
	for (uint16_t i = 0; i < done && i < NUM; i++)
		if (u->ring[(uint16_t)(first + i) % NUM].len)
			abort();
	/* Every chain taken is counted once; all but those whose head named
	 * no descriptor (virtq_pop cannot complete them) completed. A second
	 * statistics buffer returns the first: completions match takes. */
	uint64_t taken = st.inflate_count + st.deflate_count + st.stats_updates_count;
	if (role != BALLOON_RING_REPORTING && (taken < done || taken > done + q.bad_chains))
		abort();
	if (st.event_fails > st.inflate_count + st.deflate_count ||
	    st.stats_update_fails > st.stats_updates_count ||
	    st.free_page_report_fails > st.free_page_report_count ||
	    st.inflated_pages > (uint64_t)BALLOON_MAX_PFNS * st.inflate_count ||
	    st.inflated_pages * BALLOON_PAGE_SIZE + st.free_page_report_freed != discarded ||
	    st.stat_seen >> VIRTIO_BALLOON_S_NR)
		abort();
	return 0;
}
