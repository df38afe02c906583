/* Latency histogram: see latency.h. */
#include "latency.h"

/* Values below 2^LAT_SUB_BITS have a bucket each; above, a value's
 * bucket is its highest set bit and the LAT_SUB_BITS bits after it. */
static unsigned bucket_of(u64 v)
{
	unsigned msb;

	if (v < (1u << LAT_SUB_BITS))
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	return ((msb - LAT_SUB_BITS + 1) << LAT_SUB_BITS) |
	       (unsigned)((v >> (msb - LAT_SUB_BITS)) & ((1u << LAT_SUB_BITS) - 1));
}

/* The largest value in bucket i. */
static u64 bucket_top(unsigned i)
{
	unsigned group = i >> LAT_SUB_BITS, sub = i & ((1u << LAT_SUB_BITS) - 1);
	unsigned shift;

	if (group == 0)
		return sub;
	shift = group - 1;
	return ((((u64)1 << LAT_SUB_BITS) | sub) << shift) + (((u64)1 << shift) - 1);
}

void lat_add(struct lat_hist *h, u64 ticks)
{
	h->count[bucket_of(ticks)]++;
	h->n++;
}

u64 lat_percentile(const struct lat_hist *h, u64 per_10k)
{
	/* The rank of the sample wanted, counted from 1, rounded up. */
	u64 want = (h->n * per_10k + 9999) / 10000, seen = 0;

	if (!h->n)
		return 0;
	if (!want)
		want = 1;
	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want)
			return bucket_top(i);
	}
	return bucket_top(LAT_BUCKETS - 1);
}

void lat_merge(struct lat_hist *dst, const struct lat_hist *src)
{
	for (unsigned i = 0; i < LAT_BUCKETS; i++)
		dst->count[i] += src->count[i];
	dst->n += src->n;
}
