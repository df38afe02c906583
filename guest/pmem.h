/* virtio-pmem driver (virtio 1.3, 5.19, the persistent memory device):
 * the configuration names a region of guest physical memory that is the
 * host file's pages, read and written as memory; the one queue takes
 * FLUSH requests, which make the writes so far durable. Polled from
 * CPL 3, over either transport. */
#ifndef PROBE_PMEM_H
#define PROBE_PMEM_H

#include "probe.h"
#include "virtio.h"

#include "virtio/virtio_pmem.h"   /* shared with azote and its card */

struct pmem {
	struct virtio_dev v;
	struct virtq q;
	u64 start, size;           /* the region, as the configuration says */
	u8 *req, *resp;            /* the request's type and the device's ret */
	u64 timeout_us;            /* per flush: probe.timeout_ms */
};

/* Finds and starts virtio-pmem number probe.dev on the selected transport
 * (VERSION_1 required, no feature bit asked for) and reads the region's
 * start and size (not judged here: the test does). On failure the report
 * says why and false is returned. */
bool pmem_open(struct pmem *p, struct report *r);
/* Bytes [off, off + len) of the region as memory (mapped write-back), or
 * NULL with p->v.why: out of the region, or more than the page tables can
 * take. Only what a test touches is mapped, so a region of any size needs
 * few tables. */
u8 *pmem_map(struct pmem *p, u64 off, u64 len);
/* One FLUSH request, waited for: the device's ret in *ret and the used
 * length in *len whenever the device answered. True only if it answered
 * ret OK in a used length of exactly the 4 bytes of ret; false with
 * p->v.why (reason=flush_eio, flush_bad_ret, flush_used_len, or the
 * queue's own, e.g. request_timeout). */
bool pmem_flush(struct pmem *p, u32 *ret, u32 *len);
void pmem_close(struct pmem *p);

#endif
