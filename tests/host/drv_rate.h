/* Measuring a rate the way the rate limiter tests need it on a loaded
 * machine: completions are counted as they come, after a warm-up (so that
 * neither the start-up nor a limiter's first fill, buckets start full, is
 * measured), in consecutive slices of at least a second, and the rate is
 * the median of the slices' rates. A stall of the driver or the card
 * lets a bucket fill and empty in a burst, which moves a slice or two;
 * the median does not follow them. */
#ifndef AZOTE_TESTS_HOST_DRV_RATE_H
#define AZOTE_TESTS_HOST_DRV_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define DRV_RATE_MAX_SLICES 60

struct drv_rate {
	int64_t start, measure, deadline;  /* monotonic ms */
	unsigned slices, n;                /* slices wanted, samples taken */
	int64_t t[DRV_RATE_MAX_SLICES + 1];
	uint64_t done[DRV_RATE_MAX_SLICES + 1];
};

/* Starts now: warmup_ms unmeasured, then slices slices of a second. */
void drv_rate_start(struct drv_rate *r, unsigned warmup_ms, unsigned slices);

/* done operations completed so far; false once every slice is measured
 * (or twice their time has passed). */
bool drv_rate_note(struct drv_rate *r, uint64_t done);

/* Prints "what: B bytes/s O ops/s (desc, ...)", B and O the median of
 * the slices, each op bytes_per_op bytes; exits 2 if no slice was
 * measured. */
void drv_rate_print(const struct drv_rate *r, const char *what, const char *desc,
		    uint64_t bytes_per_op);

#endif
