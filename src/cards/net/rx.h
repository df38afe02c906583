/* Receive: one frame read from the TAP (virtio-net header first) into the
 * driver's receive buffers, one buffer or, with MRG_RXBUF, as many as it
 * takes (§5.1.6.4). The frame is published whole or not at all. Pure:
 * no I/O but the ring and the call eventfd's notification by the caller. */
#ifndef AZOTE_CARDS_NET_RX_H
#define AZOTE_CARDS_NET_RX_H

#include <stddef.h>

#include "cards/net/hdr.h"
#include "cards/virtio/virtqueue.h"

/* Segments one buffer may have (descriptors plus memory-region splits),
 * and buffers one frame may span. */
#define NET_IOV_MAX     64
#define NET_RX_MAX_BUFS 64
/* Chains one delivery may take that are no receive buffer (malformed, or
 * device-readable, or too small for a header): a driver that keeps them
 * coming cannot hold the pair's worker in one delivery. */
#define NET_RX_MAX_WASTE 64

/* Room for the chains of one frame. */
struct net_rx_bufs {
	struct virtq_chain c[NET_RX_MAX_BUFS];
	struct iovec iov[NET_RX_MAX_BUFS][NET_IOV_MAX];
};

enum net_rx_result {
	NET_RX_DONE,        /* delivered (used elements published) */
	NET_RX_NO_BUFFERS,  /* not enough buffers yet: a kick is armed, keep
			     * the frame and stop reading the TAP until then */
	NET_RX_DROPPED,     /* the frame cannot be given to this driver */
	NET_RX_AGAIN,       /* NET_RX_MAX_WASTE chains were no receive buffer
			     * and more wait: keep the frame, come back */
};

/* Delivers frame[0..len) (m->hdr_len header bytes, then the frame). The
 * header is adjusted in place. On NET_RX_DROPPED, e says why. Buffers
 * that are not device-writable or cannot hold a header are completed
 * empty and counted in q->bad_chains. */
enum net_rx_result net_rx_deliver(struct virtq *q, struct net_rx_bufs *b,
				  const struct net_mode *m, uint8_t *frame,
				  size_t len, struct azerr *e);

#endif
