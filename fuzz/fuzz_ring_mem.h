/* The guest memory of the ring fuzzers (fuzz_virtqueue, fuzz_rng,
 * fuzz_balloon): FUZZ_RING_MEM bytes that hold the input (the rest zero),
 * shown to the ring library as two adjacent regions, so that buffers
 * split across regions are exercised too. Allocated once: a fresh buffer
 * each run would only slow the fuzzer. */
#ifndef AZOTE_FUZZ_RING_MEM_H
#define AZOTE_FUZZ_RING_MEM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/virtio/gmem.h"
#include "common/log.h"

#define FUZZ_RING_MEM 65536

/* The input copied into guest memory, g's two regions over it; returns
 * where that memory is. Quiets the log (a hostile ring's every refusal). */
static inline uint8_t *fuzz_ring_mem(struct gmem *g, const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	const size_t half = FUZZ_RING_MEM / 2;

	if (!mem) {
		if (!(mem = malloc(FUZZ_RING_MEM)))
			abort();
		log_init("fuzz", LOG_ERROR);
	}
	memset(mem, 0, FUZZ_RING_MEM);
	memcpy(mem, data, size < FUZZ_RING_MEM ? size : FUZZ_RING_MEM);
	g->nr = 2;
	g->r[0] = (struct gmem_region){ .gpa = 0, .size = half, .hva = mem };
	g->r[1] = (struct gmem_region){ .gpa = half, .size = half, .uva = half, .hva = mem + half };
	return mem;
}

#endif
