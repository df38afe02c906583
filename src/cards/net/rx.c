#include "cards/net/rx.h"

#include <endian.h>

#include "common/log.h"
#include "cards/virtio/iov.h"

/* Logged per queue start, as the shared virtqueue code does. */
#define BAD_BUF_LOG_LIMIT 8

/* Returns the n chains taken for a frame that is not delivered now. They
 * go back to the ring unless a malformed chain was completed among them
 * (rewinding would complete it twice): then they are completed empty. */
static void give_back(struct virtq *q, const struct net_rx_bufs *b, unsigned n,
		      uint64_t bad_before)
{
	if (q->bad_chains == bad_before) {
		virtq_unpop(q, n);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		virtq_push(q, &b->c[i], 0);
}

/* Takes the next usable receive buffer into c; 0 when the ring is empty
 * or *waste (chains that were no receive buffer, each completed empty
 * here or by virtq_pop) ran out. */
static int pop_buffer(struct virtq *q, const struct net_mode *m,
		      struct virtq_chain *c, unsigned *waste)
{
	while (*waste) {
		int got = virtq_pop(q, c);

		if (!got)
			return 0;
		if (got < 0) {
			(*waste)--;
			continue;
		}
		if (!c->nr_out && c->in_len >= m->hdr_len)
			return 1;
		/* §5.1.6.3.1: receive buffers are device-writable and each
		 * holds at least a header. */
		if (q->bad_chains++ < BAD_BUF_LOG_LIMIT)
			log_warn("net RX: buffer %u unusable (%u readable segments, "
				 "%llu writable bytes)", c->head, c->nr_out,
				 (unsigned long long)c->in_len);
		virtq_push(q, c, 0);
		(*waste)--;
	}
	return 0;
}

/* Copies the frame into the n chains and publishes them as one. */
static void publish(struct virtq *q, struct net_rx_bufs *b, unsigned n,
		    const uint8_t *frame, size_t len)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct virtq_chain *c = &b->c[i];
		size_t chunk = c->in_len < len - off ? c->in_len : len - off;
		iov_from_buf(c->iov + c->nr_out, c->nr_in, 0, frame + off, chunk);
		virtq_fill(q, i, c, (uint32_t)chunk);
		off += chunk;
	}
	virtq_flush(q, n);
}

enum net_rx_result net_rx_deliver(struct virtq *q, struct net_rx_bufs *b,
				  const struct net_mode *m, uint8_t *frame,
				  size_t len, struct azerr *e)
{
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)frame;
	/* More buffers than the ring holds can never come. */
	unsigned max = m->mrg_rxbuf ? NET_RX_MAX_BUFS : 1;
	unsigned waste = NET_RX_MAX_WASTE;

	if (max > q->num)
		max = q->num;
	if (len < m->hdr_len) {
		azerr_set(e, "RX frame of %zu bytes is shorter than its header", len);
		return NET_RX_DROPPED;
	}
	if (net_hdr_fix_rx(h, frame + m->hdr_len, (uint32_t)(len - m->hdr_len), m, e))
		return NET_RX_DROPPED;
	for (;;) {
		uint64_t bad_before = q->bad_chains;
		uint64_t room = 0;
		unsigned n = 0;

		while (room < len && n < max) {
			struct virtq_chain *c = &b->c[n];
			c->iov = b->iov[n];
			c->cap = NET_IOV_MAX;
			if (!pop_buffer(q, m, c, &waste))
				break;
			room += c->in_len;
			n++;
		}
		if (room >= len) {
			if (m->hdr_len == NET_HDR_LEN)
				h->num_buffers = htole16((uint16_t)n);
			publish(q, b, n, frame, len);
			return NET_RX_DONE;
		}
		if (n == max) {
			give_back(q, b, n, bad_before);
			azerr_set(e, "RX frame of %zu bytes does not fit in %u receive "
				  "buffer%s (%llu bytes)", len - m->hdr_len, n,
				  n > 1 ? "s" : "", (unsigned long long)room);
			return NET_RX_DROPPED;
		}
		/* The ring ran dry at last_avail: wait for more there. */
		uint16_t end = q->last_avail;
		give_back(q, b, n, bad_before);
		if (!virtq_rearm_at(q, end))
			return NET_RX_NO_BUFFERS;
		if (!waste)
			return NET_RX_AGAIN;
	}
}
