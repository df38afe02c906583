#include "cards/net/tx.h"

#include <string.h>

#include "cards/virtio/iov.h"

int net_tx_prepare(const struct virtq_chain *c, const struct net_mode *m,
		   struct virtio_net_hdr_v1 *hdr, struct iovec *iov,
		   unsigned cap, struct azerr *e)
{
	/* §5.1.6.2: transmit buffers are device-readable only. */
	if (c->nr_in)
		return azerr_set(e, "TX chain %u has %llu device-writable bytes",
				 c->head, (unsigned long long)c->in_len);
	if (c->out_len < m->hdr_len || c->out_len - m->hdr_len > NET_MAX_FRAME)
		return azerr_set(e, "TX chain %u of %llu bytes (header %u, frame at "
				 "most %d)", c->head, (unsigned long long)c->out_len,
				 m->hdr_len, NET_MAX_FRAME);
	uint32_t frame_len = (uint32_t)(c->out_len - m->hdr_len);

	memset(hdr, 0, sizeof(*hdr));
	iov_to_buf(c->iov, c->nr_out, 0, hdr, m->hdr_len);
	if (net_hdr_check_tx(hdr, frame_len, m, e))
		return -1;
	/* Meaningless on transmit (§5.1.6.2); the TAP ignores it too. */
	hdr->num_buffers = 0;
	iov[0].iov_base = hdr;
	iov[0].iov_len = m->hdr_len;
	int n = iov_slice(c->iov, c->nr_out, m->hdr_len, frame_len, iov + 1, cap - 1);
	if (n < 0)
		return azerr_set(e, "TX chain %u has more than %u segments", c->head,
				 cap - 1);
	return n + 1;
}
