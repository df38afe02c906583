#include "cards/vsock/conn.h"

#include <string.h>
#include <strings.h>

#include "common/size.h"
#include "common/utf8.h"

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

/* The host's command line is parsed as Firecracker's muxer does
 * (read_local_stream_port): at least "connect 0\n"'s 10 bytes, then up to
 * a newline or 32 bytes; UTF-8 throughout; split at Unicode white space;
 * the first word "connect" in any case, the second a u32 as Rust parses
 * one (an optional '+', decimal digits, in range); further words ignored.
 * A host program written against Firecracker works here unchanged. */
#define CONNECT_MIN 10

/* Unicode's White_Space, what Rust's split_whitespace splits at. */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

struct word {
	const char *s;
	unsigned len;
};

/* The first two words of line's len bytes (len 0: none); false when
 * the line is not UTF-8. */
static bool first_words(const char *line, unsigned len, struct word w[2])
{
	const unsigned char *u = (const unsigned char *)line;
	unsigned n = 0;
	size_t i = 0;

	w[0] = w[1] = (struct word){ NULL, 0 };
	while (i < len) {
		size_t at = i;
		int32_t c = utf8_next(u, len, &i);
		if (c < 0)
			return false;
		if (is_space((uint32_t)c)) {
			n += n < 2 && w[n].len;
		} else if (n < 2) {
			if (!w[n].len)
				w[n].s = line + at;
			w[n].len += (unsigned)(i - at);
		}
	}
	return true;
}

int vsock_parse_connect(const char *buf, unsigned len, unsigned max, uint32_t *port)
{
	unsigned end = 0;
	struct word w[2];

	if (len > max)
		len = max;
	for (unsigned i = CONNECT_MIN - 1; i < len && !end; i++)
		if (buf[i] == '\n')
			end = i + 1;
	if (!end && len < max)
		return 0;
	if (!end)
		end = len;
	if (!first_words(buf, end, w) || w[0].len != 7 || strncasecmp(w[0].s, "connect", 7) ||
	    parse_u32_rust(w[1].s, w[1].len, port) < 0)
		return -1;
	return 1;
}
