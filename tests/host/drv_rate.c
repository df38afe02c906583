#include "drv_rate.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICE_MS 1000

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void drv_rate_start(struct drv_rate *r, unsigned warmup_ms, unsigned slices)
{
	if (slices < 1 || slices > DRV_RATE_MAX_SLICES) {
		fprintf(stderr, "rate: 1 to %d seconds\n", DRV_RATE_MAX_SLICES);
		exit(2);
	}
	*r = (struct drv_rate){ .start = ms_now(), .slices = slices };
	r->measure = r->start + warmup_ms;
	r->deadline = r->measure + 2LL * slices * SLICE_MS;
}

bool drv_rate_note(struct drv_rate *r, uint64_t done)
{
	int64_t t = ms_now();

	/* A sample starts the first slice, then one each slice later (a
	 * slice is never shorter, whatever the gaps between notes). */
	if (r->n ? t >= r->t[r->n - 1] + SLICE_MS : t >= r->measure) {
		r->t[r->n] = t;
		r->done[r->n] = done;
		r->n++;
	}
	return r->n <= r->slices && t < r->deadline;
}

static double slice_rate(const struct drv_rate *r, unsigned i)
{
	return (double)(r->done[i + 1] - r->done[i]) * 1000.0 / (double)(r->t[i + 1] - r->t[i]);
}

void drv_rate_print(const struct drv_rate *r, const char *what, const char *desc,
		    uint64_t bytes_per_op)
{
	double rates[DRV_RATE_MAX_SLICES], median, mean;
	unsigned k = r->n ? r->n - 1 : 0;
	char list[DRV_RATE_MAX_SLICES * 12] = "";
	size_t off = 0;

	if (!k) {
		fprintf(stderr, "%s: no completion to measure a rate\n", what);
		exit(2);
	}
	/* Sorted by insertion: a few values. */
	for (unsigned i = 0; i < k; i++) {
		double v = slice_rate(r, i);
		unsigned j = i;
		/* In order, for whoever reads the log: a stall shows. */
		off += (size_t)snprintf(list + off, sizeof(list) - off, " %.0f", v);
		for (; j && rates[j - 1] > v; j--)
			rates[j] = rates[j - 1];
		rates[j] = v;
	}
	median = k % 2 ? rates[k / 2] : (rates[k / 2 - 1] + rates[k / 2]) / 2;
	mean = (double)(r->done[k] - r->done[0]) * 1000.0 / (double)(r->t[k] - r->t[0]);
	printf("%s: %.0f bytes/s %.1f ops/s (%s; median of %u 1-second slices:%s ops/s; "
	       "mean %.1f; after %.2f s)\n", what, median * (double)bytes_per_op, median,
	       desc, k, list, mean, (double)(r->t[0] - r->start) / 1000.0);
	fflush(stdout);
}
