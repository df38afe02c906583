/* libFuzzer target: the entropy card's request path on a hostile
 * driver's ring. The input is the whole guest memory image (descriptor
 * table, available ring, indirect tables) of a small queue; rng_serve
 * then runs on it until it rests. Nothing may crash, hang or write
 * outside the image (ASan sees the image's ends), no used length may pass
 * the cap, and every request taken is counted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/rng/request.h"
#include "virtio/virtio.h"

#include "fuzz_ring_mem.h"

#define MEM FUZZ_RING_MEM
#define NUM 16
#define USED_GPA 0x400

static uint8_t *mem;
static struct rng_server srv;

/* Cheaper than getrandom, and fails now and then (input's second byte).
 * Zeros: a buffer the driver placed over the used ring cannot make a
 * used length the device wrote look larger than it was. */
static uint8_t fail_mask;
static int source(void *buf, size_t len)
{
	memset(buf, 0, len);
	return fail_mask & 1 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmem g = { 0 };
	struct virtq q = { .callfd = -1 };
	struct card_limiter limit;
	struct card_rng_stats st = { 0 };
	uint64_t wait;

	mem = fuzz_ring_mem(&g, data, size);
	uint64_t features = VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    (size && data[0] & 1 ? VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) : 0);
	/* A bandwidth limit of a few requests' worth: refusals un-pop. */
	struct rate_limiter rl = { .has_bandwidth = size && data[0] & 2,
				   .bandwidth = { .size = 4096, .refill_time_ms = 1000 } };
	fail_mask = size > 1 ? data[1] : 0;
	card_limiter_init(&limit, &rl);
	srv = (struct rng_server){ .limit = &limit, .stats = &st, .source = source,
				   .budget = 2 * NUM };
	if (virtq_start(&q, &g, NUM, 0x100, 0x300, USED_GPA, false, 0, features, NULL))
		abort();
	uint16_t first = q.used_idx;  /* as the image had it */
	enum limited_pass r = rng_serve(&srv, &q, &wait);
	if (r == LIMITED_THROTTLED && !wait)
		abort();
	const struct virtq_used *u = (const void *)(mem + USED_GPA);
	uint16_t done = (uint16_t)(q.used_idx - first);
	for (uint16_t i = 0; i < done && i < NUM; i++)
		if (u->ring[(uint16_t)(first + i) % NUM].len > CARD_RNG_MAX_REQUEST)
			abort();
	/* Every request taken is counted once; all but those whose head
	 * named no descriptor (virtq_pop cannot complete them) completed. */
	if (st.event_count < done || st.event_count > done + q.bad_chains ||
	    st.event_fails > st.event_count ||
	    st.bytes > (uint64_t)CARD_RNG_MAX_REQUEST * done)
		abort();
	pthread_mutex_destroy(&limit.lock);
	return 0;
}
