#include "cards/vsock/conn.h"

#include <string.h>

void vsock_conn_init(struct vsock_conn *c, uint32_t local_port, uint32_t peer_port,
		     enum vsock_conn_state state)
{
	*c = (struct vsock_conn){ .local_port = local_port, .peer_port = peer_port,
				  .state = state };
}

bool vsock_conn_is(const struct vsock_conn *c, uint32_t local_port, uint32_t peer_port)
{
	return c->state != VSOCK_CONN_HOST_CMD && c->local_port == local_port &&
	       c->peer_port == peer_port;
}

uint32_t vsock_conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->rx_cnt - c->peer_fwd_cnt;

	/* A guest that claims to have forwarded more than we sent, or that
	 * shrank its buffer below what is in flight, gets nothing more. */
	return in_flight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

void vsock_conn_sent(struct vsock_conn *c, uint32_t n)
{
	c->rx_cnt += n;
}

void vsock_conn_forwarded(struct vsock_conn *c, uint32_t n)
{
	c->fwd_cnt += n;
	if (c->fwd_cnt - c->fwd_cnt_told >= VSOCK_CREDIT_THRESHOLD)
		c->pending |= VSOCK_PEND_CREDIT_UPDATE;
}

void vsock_conn_hdr(struct vsock_conn *c, uint64_t guest_cid, uint16_t op,
		    uint32_t len, uint32_t flags, struct vsock_hdr *h)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .dst_cid = guest_cid,
		.src_port = c->local_port, .dst_port = c->peer_port,
		.len = len, .type = VSOCK_TYPE_STREAM, .op = op, .flags = flags,
		.buf_alloc = VSOCK_CONN_BUF, .fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_told = c->fwd_cnt;
	c->pending &= ~VSOCK_PEND_CREDIT_UPDATE;
}

void vsock_conn_want_credit(struct vsock_conn *c)
{
	if (!c->credit_asked) {
		c->credit_asked = true;
		c->pending |= VSOCK_PEND_CREDIT_REQUEST;
	}
}

void vsock_conn_host_eof(struct vsock_conn *c)
{
	c->host_eof = true;
	if (c->state == VSOCK_CONN_ESTABLISHED) {
		c->state = VSOCK_CONN_CLOSING;
		c->pending |= VSOCK_PEND_SHUTDOWN;
	}
}

enum vsock_conn_action vsock_conn_guest_pkt(struct vsock_conn *c, const struct vsock_hdr *h,
					    uint32_t buffered)
{
	if (h->op == VSOCK_OP_RST)
		return VSOCK_ACT_CLOSE;
	/* Every packet carries the guest's credit (§5.10.6.3.1). */
	if (h->buf_alloc != c->peer_buf_alloc || h->fwd_cnt != c->peer_fwd_cnt)
		c->credit_asked = false;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;

	switch (c->state) {
	case VSOCK_CONN_HOST_CMD:
		/* The guest cannot know this connection yet (vsock_conn_is
		 * keeps its packets away; this is for callers that did not
		 * ask). */
		return VSOCK_ACT_RESET;
	case VSOCK_CONN_CONNECTING:
		if (h->op != VSOCK_OP_RESPONSE)
			return VSOCK_ACT_RESET;
		c->state = VSOCK_CONN_ESTABLISHED;
		return VSOCK_ACT_SEND_OK;
	case VSOCK_CONN_ESTABLISHED:
	case VSOCK_CONN_CLOSING:
		break;
	}
	switch (h->op) {
	case VSOCK_OP_RW:
		/* Beyond the credit we gave, or after it said it would send
		 * no more: the guest broke the protocol. */
		if (c->peer_shut & VSOCK_SHUTDOWN_SEND)
			return VSOCK_ACT_RESET;
		if ((uint64_t)buffered + h->len > VSOCK_CONN_BUF)
			return VSOCK_ACT_RESET;
		c->tx_cnt += h->len;
		return VSOCK_ACT_WRITE;
	case VSOCK_OP_CREDIT_UPDATE:
		return VSOCK_ACT_NONE;
	case VSOCK_OP_CREDIT_REQUEST:
		c->pending |= VSOCK_PEND_CREDIT_UPDATE;
		return VSOCK_ACT_NONE;
	case VSOCK_OP_SHUTDOWN:
		c->peer_shut |= h->flags & VSOCK_SHUTDOWN_BOTH;
		/* Both ways closed: the guest waits for our RST (what Linux's
		 * close() does), and so do we after our own SHUTDOWN; what it
		 * sent before is written out first. */
		if (c->peer_shut == VSOCK_SHUTDOWN_BOTH || c->state == VSOCK_CONN_CLOSING)
			return VSOCK_ACT_FINISH;
		return c->peer_shut & VSOCK_SHUTDOWN_SEND ? VSOCK_ACT_SHUT_WR : VSOCK_ACT_NONE;
	default: /* REQUEST or RESPONSE on a live connection */
		return VSOCK_ACT_RESET;
	}
}

int vsock_parse_connect(const char *buf, unsigned len, unsigned max, uint32_t *port)
{
	static const char word[] = "CONNECT ";
	const unsigned wl = sizeof(word) - 1;
	const char *nl = memchr(buf, '\n', len);
	uint64_t v = 0;
	unsigned i;

	if (!nl)
		return len < max && !memcmp(buf, word, len < wl ? len : wl) ? 0 : -1;
	if ((unsigned)(nl - buf) <= wl || memcmp(buf, word, wl))
		return -1;
	for (i = wl; buf + i < nl; i++) {
		if (buf[i] < '0' || buf[i] > '9' || i - wl >= 10)
			return -1;
		v = v * 10 + (unsigned)(buf[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*port = (uint32_t)v;
	return 1;
}
