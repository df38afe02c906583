/* libFuzzer target: one vsock connection's state machine (conn.c) driven
 * by a sequence of events as the card's muxer drives it: guest packets
 * (only those vsock_pkt_check lets through), bytes written to the host
 * socket, bytes sent to the guest within its credit, packets the card
 * sends, the host socket's end, credit asked for. A model beside it
 * checks, after every event, what the muxer relies on: nothing accepted
 * beyond the card's buffer, nothing sent beyond the guest's credit, the
 * counters agree with what happened, states only move forward, an owed
 * credit update is never lost. fuzz_vsock covers one packet against any
 * state; this covers what sequences of them do.
 *
 * Input: the state to start in (1 byte), then events, each an event byte
 * and its operands; a connection that ends (RST either way) starts again
 * in the state the next byte gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/vsock/conn.h"
#include "cards/vsock/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CID        3
#define LOCAL_PORT 52
#define PEER_PORT  1000

#define CHECK(x)                \
	do {                    \
		if (!(x))       \
			abort(); \
	} while (0)

struct input {
	const uint8_t *p;
	size_t left;
};

static uint32_t take(struct input *in, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes && in->left; i++, in->left--)
		v |= (uint32_t)*in->p++ << (8 * i);
	return v;
}

/* The connection and what the model knows it must hold. */
struct model {
	struct vsock_conn c;
	uint32_t buffered;   /* accepted from the guest, not yet forwarded */
	uint32_t accepted;   /* RW payload bytes accepted (tx_cnt) */
	uint32_t forwarded;  /* bytes written to the host socket (fwd_cnt) */
};

static void start(struct model *m, struct input *in)
{
	enum vsock_conn_state st = (enum vsock_conn_state)(take(in, 1) % 4);

	*m = (struct model){ 0 };
	vsock_conn_init(&m->c, st == VSOCK_CONN_HOST_CMD ? 0 : LOCAL_PORT,
			st == VSOCK_CONN_HOST_CMD ? 0 : PEER_PORT, st);
}

static void check_invariants(const struct model *m)
{
	const struct vsock_conn *c = &m->c;

	CHECK(m->buffered <= VSOCK_CONN_BUF);
	CHECK(c->tx_cnt == m->accepted);
	CHECK(c->fwd_cnt == m->forwarded);
	CHECK(vsock_conn_peer_credit(c) <= c->peer_buf_alloc);
	if (c->fwd_cnt - c->fwd_cnt_told >= VSOCK_CREDIT_THRESHOLD)
		CHECK(c->pending & VSOCK_PEND_CREDIT_UPDATE);
	if (c->state == VSOCK_CONN_HOST_CMD)
		CHECK(!vsock_conn_is(c, c->local_port, c->peer_port));
	else
		CHECK(vsock_conn_is(c, LOCAL_PORT, PEER_PORT));
}

/* A guest packet: false when the connection ended. */
static bool guest_packet(struct model *m, struct input *in)
{
	struct vsock_conn *c = &m->c;
	struct vsock_hdr h = {
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = PEER_PORT,
		.dst_port = LOCAL_PORT, .type = VSOCK_TYPE_STREAM,
	};
	const char *why;

	h.op = (uint16_t)(take(in, 1) % 8);
	h.len = take(in, 3) % (VSOCK_MAX_PAYLOAD + 2);
	h.flags = take(in, 1) % 4;
	h.buf_alloc = take(in, 4);
	h.fwd_cnt = take(in, 4);
	/* The chain offers the payload it claims; what the check refuses,
	 * the muxer never hands the connection. */
	if (vsock_pkt_check(&h, VSOCK_HDR_SIZE + (uint64_t)h.len, CID, &why) != VSOCK_PKT_OK ||
	    !vsock_conn_is(c, h.dst_port, h.src_port))
		return true;

	enum vsock_conn_state before = c->state;
	uint32_t old_buf = c->peer_buf_alloc, old_fwd = c->peer_fwd_cnt;
	enum vsock_conn_action a = vsock_conn_guest_pkt(c, &h, m->buffered);

	CHECK(c->state >= before);
	if (h.op == VSOCK_OP_RST) {
		CHECK(a == VSOCK_ACT_CLOSE);
		return false;
	}
	/* Every other packet tells the guest's credit; a new one may be
	 * asked for again. */
	CHECK(c->peer_buf_alloc == h.buf_alloc && c->peer_fwd_cnt == h.fwd_cnt);
	if (h.buf_alloc != old_buf || h.fwd_cnt != old_fwd)
		CHECK(!c->credit_asked);
	switch (a) {
	case VSOCK_ACT_WRITE:
		CHECK(h.op == VSOCK_OP_RW);
		CHECK(before == VSOCK_CONN_ESTABLISHED || before == VSOCK_CONN_CLOSING);
		CHECK(!(c->peer_shut & VSOCK_SHUTDOWN_SEND));
		CHECK((uint64_t)m->buffered + h.len <= VSOCK_CONN_BUF);
		m->buffered += h.len;
		m->accepted += h.len;
		return true;
	case VSOCK_ACT_SEND_OK:
		CHECK(before == VSOCK_CONN_CONNECTING && h.op == VSOCK_OP_RESPONSE);
		CHECK(c->state == VSOCK_CONN_ESTABLISHED);
		return true;
	case VSOCK_ACT_SHUT_WR:
		CHECK(h.op == VSOCK_OP_SHUTDOWN && (c->peer_shut & VSOCK_SHUTDOWN_SEND));
		return true;
	case VSOCK_ACT_FINISH:
		/* The muxer keeps it until its buffer is out: more packets
		 * may come, and none may be data. */
		CHECK(h.op == VSOCK_OP_SHUTDOWN);
		CHECK(c->peer_shut == VSOCK_SHUTDOWN_BOTH || c->state == VSOCK_CONN_CLOSING);
		return true;
	case VSOCK_ACT_NONE:
		CHECK(before == c->state);
		if (h.op == VSOCK_OP_CREDIT_REQUEST)
			CHECK(c->pending & VSOCK_PEND_CREDIT_UPDATE);
		return true;
	case VSOCK_ACT_CLOSE:
	case VSOCK_ACT_RESET:
		return false;
	}
	abort();
}

static void host_wrote(struct model *m, struct input *in)
{
	uint32_t n = take(in, 3) % (m->buffered + 1);

	vsock_conn_forwarded(&m->c, n);
	m->buffered -= n;
	m->forwarded += n;
}

/* Host data to the guest, as conn_read sends it: only while the guest
 * takes data, at most its credit and one packet's payload. */
static void host_sent(struct model *m, struct input *in)
{
	struct vsock_conn *c = &m->c;
	uint32_t credit = vsock_conn_peer_credit(c);
	uint32_t n = (uint32_t)(take(in, 3) % ((uint64_t)credit + 1));
	struct vsock_hdr out;

	if (c->state != VSOCK_CONN_ESTABLISHED || (c->peer_shut & VSOCK_SHUTDOWN_RCV) || !n)
		return;
	if (n > VSOCK_MAX_PAYLOAD)
		n = VSOCK_MAX_PAYLOAD;
	vsock_conn_hdr(c, CID, VSOCK_OP_RW, n, 0, &out);
	vsock_conn_sent(c, n);
	CHECK(vsock_conn_peer_credit(c) == credit - n);
	CHECK(out.len == n && out.op == VSOCK_OP_RW);
}

/* A control packet the connection owes, as conn_ctl_pkt sends it. */
static void card_packet(struct model *m, struct input *in)
{
	static const uint16_t ops[] = {
		VSOCK_OP_REQUEST, VSOCK_OP_RESPONSE, VSOCK_OP_SHUTDOWN,
		VSOCK_OP_CREDIT_REQUEST, VSOCK_OP_CREDIT_UPDATE,
	};
	struct vsock_conn *c = &m->c;
	uint16_t op = ops[take(in, 1) % (sizeof(ops) / sizeof(ops[0]))];
	struct vsock_hdr out;
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_conn_hdr(c, CID, op, 0, 0, &out);
	CHECK(!(c->pending & VSOCK_PEND_CREDIT_UPDATE));
	CHECK(c->fwd_cnt_told == c->fwd_cnt && out.fwd_cnt == c->fwd_cnt);
	CHECK(out.buf_alloc == VSOCK_CONN_BUF);
	CHECK(out.src_port == c->local_port && out.dst_port == c->peer_port);
	CHECK(out.src_cid == VSOCK_HOST_CID && out.dst_cid == CID && out.op == op);
	/* And the wire form says the same. */
	vsock_hdr_encode(&out, raw);
	vsock_hdr_decode(raw, &out);
	CHECK(out.op == op && out.len == 0 && out.fwd_cnt == c->fwd_cnt);
}

static void host_wants_credit(struct model *m)
{
	bool asked = m->c.credit_asked;
	unsigned pending = m->c.pending;

	vsock_conn_want_credit(&m->c);
	CHECK(m->c.credit_asked);
	CHECK(asked ? m->c.pending == pending : (m->c.pending & VSOCK_PEND_CREDIT_REQUEST));
}

static void host_ended(struct model *m)
{
	enum vsock_conn_state before = m->c.state;

	vsock_conn_host_eof(&m->c);
	CHECK(m->c.host_eof);
	if (before == VSOCK_CONN_ESTABLISHED)
		CHECK(m->c.state == VSOCK_CONN_CLOSING && (m->c.pending & VSOCK_PEND_SHUTDOWN));
	else
		CHECK(m->c.state == before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct model m;

	start(&m, &in);
	while (in.left) {
		switch (take(&in, 1) % 6) {
		case 0:
			if (!guest_packet(&m, &in))
				start(&m, &in);
			break;
		case 1: host_wrote(&m, &in); break;
		case 2: host_sent(&m, &in); break;
		case 3: card_packet(&m, &in); break;
		case 4: host_wants_credit(&m); break;
		case 5: host_ended(&m); break;
		}
		check_invariants(&m);
	}
	return 0;
}
