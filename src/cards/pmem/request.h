/* The pmem device's request path (virtio 1.3 §5.19.6-7): each chain on
 * the requestq is a device-readable le32 type, FLUSH, and a
 * device-writable le32 status the device answers in once every write to
 * the region before the request is durable. Pure of threads, so that
 * unit tests and the fuzzer run it on a ring in memory; the worker
 * (cards/limited_ring.h) calls it when the ring was kicked or its
 * limiter's timer expired. */
#ifndef AZOTE_CARDS_PMEM_REQUEST_H
#define AZOTE_CARDS_PMEM_REQUEST_H

#include <stdint.h>
#include <sys/uio.h>

#include "cards/limited_ring.h"
#include "cards/virtio/virtqueue.h"
#include "iface/card_stats.h"

/* Segments a chain may have: a well-formed request's 4 + 4 bytes in
 * segments of a byte at least (empty descriptors take none). A chain with
 * more is malformed whatever it holds, and virtq_pop refuses it
 * (completed with 0, counted as a failure). Linux's driver posts two. */
#define PMEM_MAX_IOV 8

/* Requests one pmem_serve call takes at most, and so flushes that share
 * one fdatasync. */
#define PMEM_MAX_BATCH 64

/* A flush taken from the ring, waiting for its batch's fdatasync. */
struct pmem_pending {
	struct virtq_chain c;
	struct iovec iov[PMEM_MAX_IOV];
};

struct pmem_server {
	struct card_limiter *limit;
	struct card_pmem_stats *stats;  /* never NULL */
	int fd;                         /* the backing file, to flush */
	uint64_t size;                  /* its length: what a flush costs in bytes */
	/* Requests taken in one pmem_serve call at most (1..PMEM_MAX_BATCH),
	 * so that the worker sees its commands while a guest keeps the ring
	 * full. */
	unsigned budget;
	struct pmem_pending batch[PMEM_MAX_BATCH];
};

/* Serves q's available requests. Malformed ones are completed at once;
 * the flushes taken share one pmem_file_flush, made after the last of
 * them was taken (so it covers every write the guest made before any
 * of them), then each gets its status. The limiter is asked once a batch,
 * as Firecracker charges its one msync: one op and the file's length in
 * bytes; a flush it refuses is left on the ring (un-popped) and counted
 * as throttled (LIMITED_THROTTLED). The driver is notified once, if it
 * asked to be, for what was completed. */
enum limited_pass pmem_serve(struct pmem_server *s, struct virtq *q, uint64_t *wait_ns);

#endif
