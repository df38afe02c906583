/* A card's rate limiter as its queue threads share it: Firecracker keeps
 * one limiter per device, so a card with several queues (block) or queue
 * pairs (net) keeps one too, behind a lock, and each thread that finds it
 * empty waits on a timer of its own. A card given no limit takes no lock
 * at all. azote may replace the buckets while the card runs. */
#ifndef AZOTE_CARDS_LIMITER_H
#define AZOTE_CARDS_LIMITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iface/ratelimit.h"

struct card_limiter {
	/* Some bucket limits: read without the lock on every request, so
	 * that a card given no limit takes none; changed only under it. */
	_Atomic bool on;
	pthread_mutex_t lock;
	struct ratelimit rl;
};

/* From the card's options (NULL: no limit). */
void card_limiter_init(struct card_limiter *l, const struct rate_limiter *cfg);

/* New buckets from azote's control channel (a PATCH after boot): they
 * replace the old ones and start full, as Firecracker's update does. */
void card_limiter_set(struct card_limiter *l, const struct rate_limiter *cfg);

/* The longest wait card_limiter_take gives: Firecracker's blocked
 * limiter retries every 100 ms (its REFILL_TIMER_DURATION), so that a
 * PATCH that lifts or loosens a limit frees a throttled queue at once,
 * not when the old buckets would have. */
#define CARD_LIMITER_RETRY_NS 100000000ull

/* One request or frame of bytes at time now (rl_now): true if it may go,
 * else false with *wait_ns until it should ask again: until it may
 * (rl_reduce), or CARD_LIMITER_RETRY_NS if that is sooner. */
bool card_limiter_take(struct card_limiter *l, uint64_t bytes, uint64_t now,
		       uint64_t *wait_ns);

#endif
