/* MMDS's network stack: ARP, and a TCP listener on port 80 of the MMDS
 * address that carries HTTP requests to mmds_http.c. Firecracker's dumbo
 * (src/vmm/src/dumbo/tcp) sets the limits: 30 connections, 100 pending
 * RSTs, 2500 bytes of request (a fuller buffer resets the connection),
 * one answer at a time per connection, idle connections evictable after
 * about 10 s when a new one needs their slot.
 *
 * No retransmission timers: the card never loses a frame MMDS produced
 * (it waits in MMDS until the rx path takes it, and the rx path waits for
 * the guest's buffers), so every segment reaches the guest's stack. What
 * the guest's stack sends is another matter: out-of-order or damaged
 * segments are dropped and the guest retransmits them, as it would on a
 * lossy link. An answer's bytes are freed once sent, not once
 * acknowledged, for the same reason; the peer's window is still obeyed. */
#include "cards/net/mmds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cards/net/mmds_http.h"
#include "cards/net/mmds_store.h"
#include "cards/net/mmds_wire.h"

#define MMDS_CONNS     30
#define MMDS_RSTS      100
#define MMDS_RX_MAX    2500
#define MMDS_EVICT_MS  10000
#define MSS_DEFAULT    536      /* RFC 879, without an MSS option */
#define MSS_MIN        64       /* a smaller MSS only multiplies frames */

struct conn {
	bool used;
	bool established;       /* the guest acknowledged our SYN-ACK */
	uint8_t mac[6];
	uint32_t ip;            /* network byte order */
	uint16_t port;
	uint32_t iss, snd_una, snd_nxt, snd_wnd, rcv_nxt;
	uint16_t mss;
	bool synack_due, ack_due, fin_due, fin_sent, fin_rcvd, rst_due;
	uint64_t last_ms;       /* the guest's last segment */
	uint32_t body_skip;     /* request body bytes still to discard */
	size_t rx_len;
	uint8_t rx[MMDS_RX_MAX];
	char *tx;               /* the answer being sent, NULL if none */
	size_t tx_len, tx_off;
};

struct rst {
	uint8_t mac[6];
	uint32_t ip;
	uint16_t sport, port;   /* ours (the refused segment's), the guest's */
	uint32_t seq, ack;
	uint8_t flags;
};

struct mmds {
	struct mmds_config cfg;
	struct mmds_store store;
	bool arp_due;
	uint8_t arp_mac[6];
	uint32_t arp_ip;
	uint16_t ip_id;
	unsigned next_conn;     /* where the round robin over conns resumes */
	unsigned nrst;
	struct rst rsts[MMDS_RSTS];
	struct conn conns[MMDS_CONNS];
};

/* What a connection sends next. */
enum seg { SEG_NONE, SEG_RST, SEG_SYNACK, SEG_DATA, SEG_FIN, SEG_ACK };

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

struct mmds *mmds_new(void)
{
	struct mmds *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (mmds_store_init(&m->store)) {
		int err = errno;

		free(m);
		errno = err;
		return NULL;
	}
	m->cfg.ipv4 = htonl(0xa9fea9fe);       /* 169.254.169.254 */
	m->cfg.version = 1;
	return m;
}

static void conn_free(struct conn *c)
{
	free(c->tx);
	c->tx = NULL;
	c->used = false;
}

void mmds_free(struct mmds *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < MMDS_CONNS; i++)
		conn_free(&m->conns[i]);
	mmds_store_fini(&m->store);
	free(m);
}

int mmds_configure(struct mmds *m, const struct mmds_config *c,
		   struct azerr *e)
{
	uint32_t ip = ntohl(c->ipv4);
	uint8_t third = (uint8_t)(ip >> 8);

	/* Firecracker's is_link_local_valid: 169.254.1.0 - 169.254.254.255
	 * (RFC 3927 reserves the first and last 256). */
	if ((ip >> 16) != 0xa9fe || third == 0 || third == 255)
		return azerr_set(e, "MMDS address %u.%u.%u.%u: not a link-local "
				 "address (169.254.1.0 to 169.254.254.255)",
				 ip >> 24, (ip >> 16) & 255, third, ip & 255);
	if (c->version != 1 && c->version != 2)
		return azerr_set(e, "MMDS version %u: only 1 and 2 exist",
				 c->version);
	if (c->ipv4 != m->cfg.ipv4) {
		/* The guest's connections were to the old address. */
		for (unsigned i = 0; i < MMDS_CONNS; i++)
			conn_free(&m->conns[i]);
		m->nrst = 0;
		m->arp_due = false;
	}
	m->cfg = *c;
	m->store.imds_compat = c->imds_compat;
	return 0;
}

int mmds_set_data(struct mmds *m, const char *json, size_t len,
		  struct azerr *e)
{
	return mmds_store_set(&m->store, json, len, e);
}

/* Queues a RST; when the queue is full it is not sent, as in dumbo. */
static void queue_rst(struct mmds *m, const uint8_t mac[6], uint32_t ip,
		      uint16_t sport, uint16_t port, uint32_t seq, uint32_t ack,
		      uint8_t flags)
{
	if (m->nrst == MMDS_RSTS)
		return;
	struct rst *r = &m->rsts[m->nrst++];

	memcpy(r->mac, mac, 6);
	r->ip = ip;
	r->sport = sport;
	r->port = port;
	r->seq = seq;
	r->ack = ack;
	r->flags = flags;
}

/* The answer to a segment no connection takes (RFC 793, "Reset
 * Generation"): a RST from its acknowledgment number, else one that
 * acknowledges it. Never an answer to a RST. */
static void refuse(struct mmds *m, const struct mmds_seg *s)
{
	uint32_t len = (uint32_t)s->len + !!(s->flags & TCP_SYN) +
		       !!(s->flags & TCP_FIN);

	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK)
		queue_rst(m, s->mac, s->ip, s->dport, s->sport, s->ack, 0,
			  TCP_RST);
	else
		queue_rst(m, s->mac, s->ip, s->dport, s->sport, 0, s->seq + len,
			  TCP_RST | TCP_ACK);
}

static struct conn *find(struct mmds *m, const struct mmds_seg *s)
{
	for (unsigned i = 0; i < MMDS_CONNS; i++) {
		struct conn *c = &m->conns[i];

		if (c->used && c->ip == s->ip && c->port == s->sport)
			return c;
	}
	return NULL;
}

/* A free slot, or the one idle longest if idle long enough: its guest is
 * told with a RST. NULL if every connection is in use. */
static struct conn *slot(struct mmds *m, uint64_t now_ms)
{
	struct conn *old = NULL;

	for (unsigned i = 0; i < MMDS_CONNS; i++) {
		struct conn *c = &m->conns[i];

		if (!c->used)
			return c;
		if (!old || c->last_ms < old->last_ms)
			old = c;
	}
	if (now_ms <= old->last_ms || now_ms - old->last_ms <= MMDS_EVICT_MS)
		return NULL;
	queue_rst(m, old->mac, old->ip, MMDS_PORT, old->port, old->snd_nxt,
		  old->rcv_nxt, TCP_RST | TCP_ACK);
	conn_free(old);
	return old;
}

static void open_conn(struct mmds *m, const struct mmds_seg *s,
		      uint64_t now_ms)
{
	struct conn *c;

	/* A plain SYN without data (dumbo's is_valid_syn) and options that
	 * parse. */
	if ((s->flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN ||
	    s->len || s->bad_options) {
		refuse(m, s);
		return;
	}
	c = slot(m, now_ms);
	if (!c) {
		refuse(m, s);
		return;
	}
	memset(c, 0, offsetof(struct conn, rx));
	c->tx = NULL;
	c->tx_len = c->tx_off = 0;
	c->used = true;
	memcpy(c->mac, s->mac, 6);
	c->ip = s->ip;
	c->port = s->sport;
	mmds_rng_bytes(&m->store.rng, &c->iss, sizeof(c->iss));
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_wnd = s->win;
	c->rcv_nxt = s->seq + 1;
	c->mss = s->mss ? s->mss : MSS_DEFAULT;
	if (c->mss > MMDS_MSS)
		c->mss = MMDS_MSS;
	if (c->mss < MSS_MIN)
		c->mss = MSS_MIN;
	c->synack_due = true;
	c->last_ms = now_ms;
}

/* Answers the next complete request in rx if no answer is under way. */
static void serve(struct mmds *m, struct conn *c, uint64_t now_ms)
{
	struct mmds_http_reply r;
	size_t end;

	if (c->tx || c->rst_due)
		return;
	end = mmds_http_head_end(c->rx, c->rx_len);
	if (end) {
		if (mmds_http_answer(&m->store, m->cfg.version, (char *)c->rx,
				     end, now_ms, &r)) {
			/* No memory for the answer: the guest learns by a
			 * reset rather than waiting for ever. */
			c->rst_due = true;
			return;
		}
		c->tx = r.buf;
		c->tx_len = r.len;
		c->tx_off = 0;
		memmove(c->rx, c->rx + end, c->rx_len - end);
		c->rx_len -= end;
		c->body_skip = r.body_skip;
		size_t skip = c->body_skip < c->rx_len ? c->body_skip : c->rx_len;

		memmove(c->rx, c->rx + skip, c->rx_len - skip);
		c->rx_len -= skip;
		c->body_skip -= (uint32_t)skip;
		return;
	}
	if (c->rx_len == MMDS_RX_MAX) {
		/* A request larger than we take. */
		c->rst_due = true;
		return;
	}
	if (c->fin_rcvd && !c->fin_sent)
		c->fin_due = true;
}

/* Takes the in-order part of the segment's data into rx. */
static void take_data(struct conn *c, const struct mmds_seg *s)
{
	uint32_t off = c->rcv_nxt - s->seq;

	if (seq_lt(c->rcv_nxt, s->seq) || off >= s->len) {
		/* A gap before it, or all seen before: our ACK tells the
		 * guest what we expect. */
		c->ack_due = true;
		return;
	}
	size_t n = s->len - off;
	const uint8_t *p = s->data + off;
	size_t skip = n < c->body_skip ? n : c->body_skip;

	c->body_skip -= (uint32_t)skip;
	p += skip;
	n -= skip;
	if (n > MMDS_RX_MAX - c->rx_len)
		n = MMDS_RX_MAX - c->rx_len;    /* past our window: dropped */
	memcpy(c->rx + c->rx_len, p, n);
	c->rx_len += n;
	c->rcv_nxt += (uint32_t)(skip + n);
	c->ack_due = true;
}

static void segment(struct mmds *m, struct conn *c, const struct mmds_seg *s,
		    uint64_t now_ms)
{
	c->last_ms = now_ms;
	if (s->flags & TCP_RST) {
		/* Only a RST at the sequence we expect (RFC 5961, 3.2). */
		if (s->seq == c->rcv_nxt)
			conn_free(c);
		return;
	}
	if (s->flags & TCP_SYN) {
		/* The guest resends its SYN: our SYN-ACK again. Otherwise a
		 * challenge ACK (RFC 5961, 4.2). */
		if (!c->established && s->seq + 1 == c->rcv_nxt)
			c->synack_due = true;
		else
			c->ack_due = true;
		return;
	}
	if (!(s->flags & TCP_ACK))
		return;
	if (!c->established) {
		if (s->ack != c->iss + 1) {
			refuse(m, s);
			return;
		}
		c->established = true;
	}
	if (seq_lt(c->snd_nxt, s->ack)) {
		c->ack_due = true;      /* acknowledges what we never sent */
		return;
	}
	if (seq_le(c->snd_una, s->ack)) {
		c->snd_una = s->ack;
		c->snd_wnd = s->win;
	}
	if (c->fin_rcvd) {
		if (s->len || (s->flags & TCP_FIN))
			c->ack_due = true;      /* data past the FIN: ignored */
	} else {
		if (s->len)
			take_data(c, s);
		if ((s->flags & TCP_FIN) && s->seq + (uint32_t)s->len == c->rcv_nxt) {
			c->fin_rcvd = true;
			c->rcv_nxt++;
			c->ack_due = true;
		} else if (s->flags & TCP_FIN) {
			c->ack_due = true;
		}
	}
	if (c->fin_sent && c->fin_rcvd && c->snd_una == c->snd_nxt) {
		/* Both FINs acknowledged (ours by this very ACK): done. The
		 * guest's stack, which closed first, keeps TIME-WAIT and
		 * needs nothing more from us. */
		conn_free(c);
		return;
	}
	serve(m, c, now_ms);
}

bool mmds_frame_is_ours(const struct mmds *m, const uint8_t *head, size_t len)
{
	return mmds_wire_is_ours(head, len, m->cfg.ipv4);
}

static bool guest_frame(struct mmds *m, const uint8_t *frame, size_t len,
			uint64_t now_ms, bool check_l4)
{
	struct mmds_seg s;
	struct conn *c;

	switch (mmds_wire_parse(frame, len, m->cfg.ipv4, check_l4, &s)) {
	case MMDS_RX_NOT_OURS:
		return false;
	case MMDS_RX_DROP:
		return true;
	case MMDS_RX_ARP:
		/* One reply waits at most, to the latest asker (dumbo). */
		m->arp_due = true;
		memcpy(m->arp_mac, s.mac, 6);
		m->arp_ip = s.ip;
		return true;
	case MMDS_RX_TCP:
		break;
	}
	if (s.dport != MMDS_PORT) {
		refuse(m, &s);
		return true;
	}
	c = find(m, &s);
	if (c)
		segment(m, c, &s, now_ms);
	else if (s.flags & TCP_SYN)
		open_conn(m, &s, now_ms);
	else
		refuse(m, &s);
	return true;
}

bool mmds_guest_frame(struct mmds *m, const uint8_t *frame, size_t len,
		      uint64_t now_ms)
{
	return guest_frame(m, frame, len, now_ms, true);
}

bool mmds_guest_frame_csum_partial(struct mmds *m, const uint8_t *frame,
				   size_t len, uint64_t now_ms)
{
	return guest_frame(m, frame, len, now_ms, false);
}

/* Bytes of the answer the peer's window lets us send now. */
static size_t sendable(const struct conn *c)
{
	uint32_t edge = c->snd_una + c->snd_wnd;
	size_t left = c->tx ? c->tx_len - c->tx_off : 0;
	size_t room = seq_lt(c->snd_nxt, edge) ? edge - c->snd_nxt : 0;

	if (!c->established)
		return 0;
	if (left > room)
		left = room;
	return left < c->mss ? left : c->mss;
}

static enum seg next_seg(const struct conn *c)
{
	if (!c->used)
		return SEG_NONE;
	if (c->rst_due)
		return SEG_RST;
	if (c->synack_due)
		return SEG_SYNACK;
	if (sendable(c))
		return SEG_DATA;
	if (c->fin_due && !c->tx)
		return SEG_FIN;
	if (c->ack_due)
		return SEG_ACK;
	return SEG_NONE;
}

bool mmds_pending(const struct mmds *m)
{
	if (m->arp_due || m->nrst)
		return true;
	for (unsigned i = 0; i < MMDS_CONNS; i++)
		if (next_seg(&m->conns[i]) != SEG_NONE)
			return true;
	return false;
}

static uint16_t window(const struct conn *c)
{
	return (uint16_t)(MMDS_RX_MAX - c->rx_len);
}

static size_t write_conn(struct mmds *m, struct conn *c, enum seg what,
			 uint8_t *buf, uint64_t now_ms)
{
	struct mmds_tx t = {
		.mac = c->mac, .ip = c->ip, .sport = MMDS_PORT, .dport = c->port,
		.seq = c->snd_nxt, .ack = c->rcv_nxt, .flags = TCP_ACK,
		.win = window(c),
	};
	size_t len;

	switch (what) {
	case SEG_RST:
		t.flags = TCP_RST | TCP_ACK;
		len = mmds_wire_tcp(buf, m->cfg.ipv4, m->ip_id++, &t);
		conn_free(c);
		return len;
	case SEG_SYNACK:
		t.seq = c->iss;
		t.flags = TCP_SYN | TCP_ACK;
		t.mss_option = true;
		c->synack_due = false;
		break;
	case SEG_DATA:
		t.len = sendable(c);
		t.data = (const uint8_t *)c->tx + c->tx_off;
		c->tx_off += t.len;
		c->snd_nxt += (uint32_t)t.len;
		if (c->tx_off == c->tx_len) {
			t.flags |= TCP_PSH;
			len = mmds_wire_tcp(buf, m->cfg.ipv4, m->ip_id++, &t);
			free(c->tx);
			c->tx = NULL;
			c->ack_due = false;
			/* A request that came while this answer went out. */
			serve(m, c, now_ms);
			return len;
		}
		break;
	case SEG_FIN:
		t.flags = TCP_FIN | TCP_ACK;
		c->snd_nxt++;
		c->fin_due = false;
		c->fin_sent = true;
		break;
	case SEG_ACK:
	case SEG_NONE:
		break;
	}
	c->ack_due = false;
	return mmds_wire_tcp(buf, m->cfg.ipv4, m->ip_id++, &t);
}

size_t mmds_reply_frame(struct mmds *m, uint8_t *buf, size_t cap,
			uint64_t now_ms)
{
	if (cap < MMDS_FRAME_MAX)
		return 0;
	if (m->arp_due) {
		m->arp_due = false;
		return mmds_wire_arp_reply(buf, m->cfg.ipv4, m->arp_mac, m->arp_ip);
	}
	if (m->nrst) {
		/* Last in, first out: the order of RSTs does not matter. */
		const struct rst *r = &m->rsts[--m->nrst];
		struct mmds_tx t = {
			.mac = r->mac, .ip = r->ip, .sport = r->sport,
			.dport = r->port,
			.seq = r->seq, .ack = r->ack, .flags = r->flags,
		};

		return mmds_wire_tcp(buf, m->cfg.ipv4, m->ip_id++, &t);
	}
	/* Round robin: one connection's long answer does not hold back
	 * the others. */
	for (unsigned k = 0; k < MMDS_CONNS; k++) {
		unsigned i = (m->next_conn + k) % MMDS_CONNS;
		struct conn *c = &m->conns[i];
		enum seg what = next_seg(c);

		if (what != SEG_NONE) {
			m->next_conn = (i + 1) % MMDS_CONNS;
			return write_conn(m, c, what, buf, now_ms);
		}
	}
	return 0;
}
