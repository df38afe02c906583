/* Firecracker's rate limiter: a bandwidth bucket (tokens are bytes) and an
 * ops bucket (one token per request or frame), each optional; a request
 * goes only when both have room for it, and then takes from both.
 *
 * A bucket holds up to size tokens and starts full. It refills
 * continuously, size tokens per refill_time, in proportion to the time
 * passed (fractions of a token carry over to the next refill). The
 * one_time_burst is extra credit spent before the bucket's own tokens and
 * never refilled. A request larger than what the bucket can ever hold
 * (beyond the burst left) would wait forever, so, as in Firecracker, it
 * goes at once and the excess becomes a debt: the bucket refuses
 * everything until refilling has paid it.
 *
 * Where azote differs from Firecracker, on purpose:
 *  - a refused request learns how long until it will fit, where
 *    Firecracker retries on a fixed 100 ms timer (so once throttled it
 *    gets at most size tokens per 100 ms, whatever refill_time says);
 *  - a debt's time is counted once: Firecracker, once unblocked, also
 *    credits the blocked time to the bucket (up to a full bucket);
 *  - "both or neither" is checked before taking, where Firecracker takes
 *    the op, then gives it back (capped at size) if the bytes do not fit.
 *
 * Pure logic: time is the caller's monotonic clock in nanoseconds, passed
 * in, so tests can drive it. Not thread-safe (see cards/limiter.h; the UART's, devices/uart.c, runs under its lock). */
#ifndef AZOTE_IFACE_RATELIMIT_H
#define AZOTE_IFACE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "iface/rate_limit.h"

struct rl_bucket {
	uint64_t size;        /* 0: this bucket does not limit */
	uint64_t refill_ns;   /* from empty to size */
	uint64_t burst;       /* one-time credit left */
	uint64_t budget;      /* tokens now, 0..size */
	uint64_t debt;        /* taken beyond the budget by an oversized request */
	uint64_t last_ns;     /* time up to which refills are counted */
};

struct ratelimit {
	struct rl_bucket bw, ops;
};

/* The clock the buckets run on (a caller's `now`): CLOCK_MONOTONIC, ns. */
static inline uint64_t rl_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Sets up rl at time now from cfg (NULL, or buckets not set or not
 * limiting per token_bucket_limits: no limit). Buckets start full. */
void rl_init(struct ratelimit *rl, const struct rate_limiter *cfg, uint64_t now);

/* Whether rl limits anything at all. */
bool rl_active(const struct ratelimit *rl);

/* Takes bytes from the bandwidth bucket and ops from the ops bucket at
 * time now, from both or from neither. Returns true if taken; false with
 * *wait_ns (at least 1) the time until both buckets will have room, when
 * nothing else takes from them meanwhile. */
bool rl_reduce(struct ratelimit *rl, uint64_t bytes, uint64_t ops, uint64_t now,
	       uint64_t *wait_ns);

#endif
