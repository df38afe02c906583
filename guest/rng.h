/* virtio-rng driver (virtio 1.2, 5.4, the entropy device): one request
 * queue, no feature bits, no configuration. Polled from CPL 3, or by
 * MSI-X interrupt with probe.irq=1 (PCI). */
#ifndef PROBE_RNG_H
#define PROBE_RNG_H

#include "probe.h"
#include "virtio.h"

#define RNG_MAX_SEGS        4

struct rng {
	struct virtio_dev v;
	struct virtq q;
	u64 timeout_us;            /* per request: probe.timeout_ms */
	u64 reqs, bytes;           /* completed requests, bytes received */
	u32 max_used;              /* the longest used length seen */
};

/* Finds and starts virtio-rng number probe.dev on the selected transport
 * (VERSION_1 required). On failure the report says why and false is
 * returned. */
bool rng_open(struct rng *g, struct report *r);
/* One request of n device-writable segments, waited for: the used length
 * in *len, checked to be at most the segments' total (virtq.c) and not 0
 * (5.4.6.1: the device places one or more bytes). False with g->v.why. */
bool rng_read(struct rng *g, const struct vq_seg *segs, unsigned n, u32 *len);
void rng_close(struct rng *g);

#endif
