/* Transmit: one chain the driver made available, checked and turned into
 * the iovec the TAP is written with. Pure: the caller does the write. */
#ifndef AZOTE_CARDS_NET_TX_H
#define AZOTE_CARDS_NET_TX_H

#include "cards/net/hdr.h"
#include "cards/virtio/virtqueue.h"

/* Checks chain c as a frame to transmit and fills iov (cap entries) with
 * the header, copied to *hdr so that the driver cannot change it once
 * checked, then the frame in place in guest memory. Returns the number of
 * entries, or -1 with the reason in e (the frame is to be dropped). */
int net_tx_prepare(const struct virtq_chain *c, const struct net_mode *m,
		   struct virtio_net_hdr_v1 *hdr, struct iovec *iov,
		   unsigned cap, struct azerr *e);

#endif
