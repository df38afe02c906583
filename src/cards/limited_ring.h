/* The vhost-user device of a card with one ring, served by one poll
 * worker (cards/poll_worker.h) under the card's one rate limiter: the
 * entropy and pmem cards. The card gives only its pass over the ring
 * (its request path, pure of threads: request.c) and the size of its
 * configuration space; what is the same for both is here: the features
 * offered, the ring handed to the worker and taken back, and a request
 * the limiter refused waiting, left on the ring, for the limiter's timer
 * while kicks serve nothing (they would only be refused again). */
#ifndef AZOTE_CARDS_LIMITED_RING_H
#define AZOTE_CARDS_LIMITED_RING_H

#include <stdint.h>

#include "cards/limiter.h"
#include "cards/vhost/backend.h"
#include "cards/virtio/virtqueue.h"
#include "common/err.h"
#include "iface/card_stats.h"
#include "iface/rate_limit.h"

/* What one pass over the ring found. */
enum limited_pass {
	LIMITED_IDLE,       /* the ring is empty and kicks are re-armed */
	LIMITED_MORE,       /* the pass's budget ran out with requests left */
	LIMITED_THROTTLED,  /* the limiter refused the next request, left on the
			     * ring: it fits in *wait_ns */
};

/* One try of a pass at q's next request (the cards' request paths, which
 * bound their tries): 1 with it in c; 0 when the ring is empty and kicks
 * are re-armed, which ends the pass (LIMITED_IDLE); -1 when requests came
 * meanwhile or a chain was refused (try again). Chains virtq_pop refused,
 * taken and completed with 0 there, are counted as taken and failed. */
static inline int limited_pop(struct virtq *q, struct virtq_chain *c, uint64_t *taken,
			      uint64_t *failed)
{
	int got = virtq_pop(q, c);

	if (got > 0)
		return 1;
	if (got < 0) {
		card_stat_add(taken, 1);
		card_stat_add(failed, 1);
		return -1;
	}
	return virtq_rearm(q) ? -1 : 0;
}

/* One pass over q for the card (srv: its request path's state); every
 * request taken is completed before it returns, but for one it puts back
 * (virtq_unpop) with LIMITED_THROTTLED. */
typedef enum limited_pass (*limited_pass_fn)(void *srv, struct virtq *q, uint64_t *wait_ns);

struct limited_worker;

struct limited_ring {
	struct vu_device vu;
	struct card_limiter limit;  /* the card's one: SET_LIMITS replaces it */
	struct limited_worker *w;
};

/* Sets d up with limit (NULL: none) and starts its worker, "<name>-w",
 * which serves ring 0 with pass(srv, ...). srv must be ready (it may
 * point at d->limit, set here first) before a ring starts. config_size:
 * the bytes of configuration space the device shows, all zero (0: none;
 * the pmem card's is azote's to fill in). */
int limited_ring_init(struct limited_ring *d, const char *name, const struct rate_limiter *limit,
		      limited_pass_fn pass, void *srv, uint32_t config_size, struct azerr *e);

#endif
