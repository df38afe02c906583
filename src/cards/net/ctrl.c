#include "cards/net/ctrl.h"

#include <endian.h>
#include <linux/virtio_net.h>

#include "cards/virtio/iov.h"

void net_ctrl_handle(const struct virtq_chain *c, bool mq, unsigned max_pairs,
		     struct net_ctrl_result *r)
{
	struct {
		struct virtio_net_ctrl_hdr h;
		uint16_t pairs;
	} __attribute__((packed)) req = { { 0xff, 0xff }, 0 };

	r->ack = VIRTIO_NET_ERR;
	r->pairs = 0;
	r->used_len = 0;
	/* Nowhere to put the ack: the request cannot be answered. */
	if (!c->in_len)
		return;
	size_t got = iov_to_buf(c->iov, c->nr_out, 0, &req, sizeof(req));
	if (got == sizeof(req) && mq && req.h.class == VIRTIO_NET_CTRL_MQ &&
	    req.h.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
		uint16_t pairs = le16toh(req.pairs);
		if (pairs >= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN && pairs <= max_pairs) {
			r->ack = VIRTIO_NET_OK;
			r->pairs = pairs;
		}
	}
	iov_from_buf(c->iov + c->nr_out, c->nr_in, 0, &r->ack, 1);
	r->used_len = 1;
}
