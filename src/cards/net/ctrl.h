/* The control virtqueue (§5.1.6.5) when the card serves it: azote passes
 * every queue to its card, while QEMU keeps the control queue to itself
 * (it then never negotiates VIRTIO_NET_F_CTRL_VQ with the card). The only
 * class offered is multiqueue: the number of queue pairs in use. */
#ifndef AZOTE_CARDS_NET_CTRL_H
#define AZOTE_CARDS_NET_CTRL_H

#include <stdbool.h>
#include <stdint.h>

#include "cards/virtio/virtqueue.h"

struct net_ctrl_result {
	uint32_t used_len;  /* bytes written: the ack, or 0 when unanswerable */
	uint8_t ack;        /* VIRTIO_NET_OK or VIRTIO_NET_ERR */
	unsigned pairs;     /* queue pairs the driver set, 0: unchanged */
};

/* Answers one control request: reads class, command and data from the
 * readable part of c, writes the ack byte into its writable part. mq:
 * VIRTIO_NET_F_MQ negotiated; max_pairs: what the device offers. */
void net_ctrl_handle(const struct virtq_chain *c, bool mq, unsigned max_pairs,
		     struct net_ctrl_result *r);

#endif
