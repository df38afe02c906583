/* The entropy device's request path (virtio 1.2 §5.4): each chain on the
 * requestq is a set of device-writable buffers the device fills with
 * random bytes, as Firecracker's entropy device does. Pure of threads and
 * fds, so that unit tests and the fuzzer run it on a ring in memory; the
 * worker (device.c) calls it when the ring was kicked or its limiter's
 * timer expired. */
#ifndef AZOTE_CARDS_RNG_REQUEST_H
#define AZOTE_CARDS_RNG_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "cards/limited_ring.h"
#include "cards/virtio/virtqueue.h"
#include "iface/card.h"
#include "iface/card_stats.h"

/* Writable buffers a chain may have: a ring holds at most 32768
 * descriptors, but a chain with more than this many is refused by
 * virtq_pop (completed with 0, counted as a failure). Linux's driver
 * posts one. */
#define RNG_MAX_IOV 64

/* The host's source of random bytes: fills buf[len], 0, or -1 (errno). */
typedef int (*rng_source)(void *buf, size_t len);

/* getrandom(2) without blocking (GRND_NONBLOCK: a host whose pool is not
 * ready yet fails the request rather than stalls the card), looping over
 * short reads and EINTR. */
int rng_getrandom(void *buf, size_t len);

struct rng_server {
	struct card_limiter *limit;
	struct card_rng_stats *stats;   /* never NULL */
	rng_source source;
	/* Requests served in one rng_serve call at most, so that the
	 * worker sees its commands while a guest keeps the ring full. */
	unsigned budget;
	struct iovec iov[RNG_MAX_IOV];
	/* The bytes are drawn here first and copied only once the source
	 * gave them all: a failed request writes nothing into the guest,
	 * which its used length 0 then tells truly (the dirty log's rule). */
	uint8_t scratch[CARD_RNG_MAX_REQUEST];
};

/* Serves q's available requests: every request taken is completed (with
 * the bytes written, or 0), and one the limiter refuses is left on the
 * ring (un-popped) and counted as throttled (LIMITED_THROTTLED). The
 * driver is notified once, if it asked to be, for what was completed. */
enum limited_pass rng_serve(struct rng_server *s, struct virtq *q, uint64_t *wait_ns);

#endif
