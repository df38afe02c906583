/* virtio-rng: set-up and requests. */
#include "lib.h"
#include "rng.h"

/* Generous: a rate-limited device may hold a request until its bucket
 * refills (probe.timeout_ms raises it). */
#define RNG_TIMEOUT_MS      10000

bool rng_open(struct rng *g, struct report *r)
{
	u64 qmax = param_u64("qsize", VIRTQ_MAX_SIZE, 1, VIRTQ_MAX_SIZE);
	u64 want = 0;

	memset(g, 0, sizeof(*g));
	g->timeout_us = param_u64("timeout_ms", RNG_TIMEOUT_MS, 1, 3600000) * 1000;
	if (param_u64("event_idx", 0, 0, 1))
		want |= 1ULL << VIRTIO_F_RING_EVENT_IDX;
	/* 5.4.2: one queue, requestq; 5.4.3: no device feature bits. */
	if (!virtio_open(&g->v, VIRTIO_ID_RNG, want, r) ||
	    !virtio_queue(&g->v, &g->q, 0, (u16)qmax) ||
	    !virtio_driver_ok(&g->v)) {
		rep_fail(r, "%s", g->v.why);
		virtio_reset(&g->v);
		return false;
	}
	return true;
}

bool rng_read(struct rng *g, const struct vq_seg *segs, unsigned n, u32 *len)
{
	int head;

	if (n == 0 || n > RNG_MAX_SEGS) {
		g->v.why = "reason=bad_request";
		return false;
	}
	for (unsigned i = 0; i < n; i++)
		if (!segs[i].device_writes || !segs[i].len) {
			g->v.why = "reason=bad_request";
			return false;
		}
	head = vq_add(&g->q, segs, n);
	if (head < 0) {
		g->v.why = "reason=request_too_big_for_queue";
		return false;
	}
	if (!vq_sync(&g->q, (u16)head, len, g->timeout_us))
		return false;
	if (*len == 0) {
		g->v.why = "reason=device_used_len_zero";
		return false;
	}
	g->reqs++;
	g->bytes += *len;
	g->max_used = MAX(g->max_used, *len);
	return true;
}

void rng_close(struct rng *g)
{
	virtio_reset(&g->v);
}
