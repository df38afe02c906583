/* virtq_pop for the fuzzers that drain a ring they never refill
 * (fuzz_virtqueue, fuzz_net, fuzz_vhost_msg): virtq_pop refuses one
 * malformed chain per call (-1); this passes over up to a ring's worth
 * of them, so that the chains behind are fuzzed too. 1 with a chain in
 * c, 0 when none is left. */
#ifndef AZOTE_FUZZ_POP_H
#define AZOTE_FUZZ_POP_H

#include "cards/virtio/virtqueue.h"

static inline int fuzz_pop(struct virtq *q, struct virtq_chain *c)
{
	for (unsigned i = 0; i <= q->num; i++) {
		int got = virtq_pop(q, c);

		if (got >= 0)
			return got;
	}
	return 0;
}

#endif
