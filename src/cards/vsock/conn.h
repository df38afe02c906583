/* One vsock stream connection's state and credit (virtio 1.2 §5.10.6.3,
 * §5.10.6.6), without its socket: what a guest packet does to it, what the
 * card owes the guest (pending control packets), and how many bytes each
 * side may send. The muxer (muxer.c) does the I/O the answers ask for.
 * Pure: unit-tested in test_vsock_conn.
 *
 * Ports: local_port is the host side's (the port a guest connects to, or
 * the one the card assigns a host-initiated connection), peer_port the
 * guest's. Counters are 32-bit and wrap, as the protocol's are. */
#ifndef AZOTE_CARDS_VSOCK_CONN_H
#define AZOTE_CARDS_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "cards/vsock/pkt.h"

/* What the card buffers per connection from the guest toward a slow host
 * socket, and advertises as buf_alloc: the guest may never have more than
 * this in flight (Firecracker's CONN_TX_BUF_SIZE). */
#define VSOCK_CONN_BUF (64u << 10)
/* A credit update is owed once the card has forwarded this much since the
 * last fwd_cnt it told the guest (at most VSOCK_CONN_BUF, so that a guest
 * that used all its credit always gets one). */
#define VSOCK_CREDIT_THRESHOLD (VSOCK_CONN_BUF / 4)

enum vsock_conn_state {
	VSOCK_CONN_HOST_CMD,     /* host connected, its "CONNECT <port>\n" awaited */
	VSOCK_CONN_CONNECTING,   /* REQUEST owed or sent to the guest, RESPONSE awaited */
	VSOCK_CONN_ESTABLISHED,
	VSOCK_CONN_CLOSING,      /* SHUTDOWN sent for a host EOF, RST awaited */
};

/* Control packets owed to the guest, sent as receive buffers allow. */
enum {
	VSOCK_PEND_REQUEST = 1u << 0,
	VSOCK_PEND_RESPONSE = 1u << 1,
	VSOCK_PEND_CREDIT_UPDATE = 1u << 2,
	VSOCK_PEND_CREDIT_REQUEST = 1u << 3,
	VSOCK_PEND_SHUTDOWN = 1u << 4,
};

struct vsock_conn {
	uint32_t local_port, peer_port;
	enum vsock_conn_state state;
	unsigned pending;             /* VSOCK_PEND_* */
	/* The guest's side, as it last told us. */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t peer_shut;           /* VSOCK_SHUTDOWN_* the guest sent */
	/* Ours: bytes sent to the guest (RW payloads), taken from the guest,
	 * written to the host socket, and the fwd_cnt the guest last saw. */
	uint32_t rx_cnt, tx_cnt, fwd_cnt, fwd_cnt_told;
	bool credit_asked;            /* CREDIT_REQUEST sent, no credit since */
	bool host_eof;                /* the host socket gave EOF or an error */
};

/* Whether a guest packet from peer_port to local_port is c's. A host
 * connection whose CONNECT line is not in yet has no ports, and the
 * guest does not know it: no packet is its (one between ports 0 and 0
 * would otherwise end it). */
bool vsock_conn_is(const struct vsock_conn *c, uint32_t local_port, uint32_t peer_port);

/* What the muxer must do after a guest packet. */
enum vsock_conn_action {
	VSOCK_ACT_NONE,
	VSOCK_ACT_WRITE,      /* RW accepted: write (or buffer) its payload */
	VSOCK_ACT_SEND_OK,    /* established from the host: "OK <port>\n" */
	VSOCK_ACT_SHUT_WR,    /* the guest sends no more: shut the host's reading side down once the buffer is out */
	VSOCK_ACT_FINISH,     /* the guest closed both ways: write out what the buffer holds, then RST */
	VSOCK_ACT_CLOSE,      /* close and forget it, no answer (RST received) */
	VSOCK_ACT_RESET,      /* answer RST, close and forget it */
};

void vsock_conn_init(struct vsock_conn *c, uint32_t local_port, uint32_t peer_port,
		     enum vsock_conn_state state);

/* A packet from the guest (already checked by vsock_pkt_check) for this
 * connection. buffered: bytes of earlier RWs not yet written to the host
 * socket. */
enum vsock_conn_action vsock_conn_guest_pkt(struct vsock_conn *c, const struct vsock_hdr *h,
					    uint32_t buffered);

/* Bytes the card may send the guest now (its credit). */
uint32_t vsock_conn_peer_credit(const struct vsock_conn *c);

/* n payload bytes were sent to the guest. */
void vsock_conn_sent(struct vsock_conn *c, uint32_t n);
/* n bytes were written to the host socket: may owe a credit update. */
void vsock_conn_forwarded(struct vsock_conn *c, uint32_t n);
/* Fills the header of a packet from the card on this connection (credit
 * fields included: every packet tells the guest fwd_cnt). */
void vsock_conn_hdr(struct vsock_conn *c, uint64_t guest_cid, uint16_t op,
		    uint32_t len, uint32_t flags, struct vsock_hdr *h);
/* The host side has data but the guest gave no credit: ask once. */
void vsock_conn_want_credit(struct vsock_conn *c);
/* The host socket ended: tell the guest (SHUTDOWN), then await its RST. */
void vsock_conn_host_eof(struct vsock_conn *c);

/* Parses the host's "CONNECT <port>\n" from the first len bytes of buf
 * the way Firecracker does (conn.c says how): the line ends at the first
 * newline from its 10th byte on, or after max bytes. Returns 1 with
 * *port, 0 when more bytes are needed (no end yet), -1 when the line is
 * not a CONNECT. */
int vsock_parse_connect(const char *buf, unsigned len, unsigned max, uint32_t *port);

#endif
