/* Request latencies in TSC ticks, kept as a log-linear histogram: 32
 * buckets per power of two, so that a percentile is known to within 1/32
 * (3 %) of its value, in the same 16 KiB whatever the number of requests.
 * The host turns ticks into time with its own clock: it knows how long a
 * phase took between the phase's marks, and the probe reports how many
 * ticks that was. */
#ifndef PROBE_LATENCY_H
#define PROBE_LATENCY_H

#include "types.h"

#define LAT_SUB_BITS 5
#define LAT_BUCKETS (64 << LAT_SUB_BITS)

struct lat_hist {
	u64 n;
	u64 count[LAT_BUCKETS];
};

void lat_add(struct lat_hist *h, u64 ticks);
/* Adds src's samples to dst. */
void lat_merge(struct lat_hist *dst, const struct lat_hist *src);
/* The smallest latency (a bucket's upper bound, ticks) that at least
 * per_10k / 10000 of the samples do not exceed; 0 without samples. */
u64 lat_percentile(const struct lat_hist *h, u64 per_10k);

#endif
