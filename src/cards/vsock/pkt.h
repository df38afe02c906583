/* virtio-vsock packets (virtio 1.2 §5.10.6): the 44-byte little-endian
 * header every packet starts with, and the check of a header the guest
 * transmitted, which decides what the card does with it before any
 * connection is looked at. Pure functions: unit-tested (test_vsock_pkt)
 * and fuzzed (fuzz_vsock). */
#ifndef AZOTE_CARDS_VSOCK_PKT_H
#define AZOTE_CARDS_VSOCK_PKT_H

#include <stddef.h>
#include <stdint.h>

#define VSOCK_HDR_SIZE 44
#define VSOCK_HOST_CID 2        /* the host's address (§5.10.4) */

#define VSOCK_TYPE_STREAM 1

enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

/* SHUTDOWN's flags: the sender will receive / send no more. */
#define VSOCK_SHUTDOWN_RCV  1u
#define VSOCK_SHUTDOWN_SEND 2u
#define VSOCK_SHUTDOWN_BOTH (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)

/* The event queue's one event (§5.10.6.5). */
#define VSOCK_EVENT_TRANSPORT_RESET 0
#define VSOCK_EVENT_SIZE 4

/* The largest payload the card takes or gives in one packet, as
 * Firecracker's MAX_PKT_BUF_SIZE: a longer RW from the guest is dropped
 * and its connection reset. */
#define VSOCK_MAX_PAYLOAD (64u << 10)

/* Host byte order; the wire is little-endian. */
struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

void vsock_hdr_decode(const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *h);
void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_SIZE]);

/* What a transmitted packet gets, before its connection is looked at. */
enum vsock_verdict {
	VSOCK_PKT_OK,     /* a stream packet of a known op, for the host */
	VSOCK_PKT_DROP,   /* not answerable: too short, not from the guest's
			   * CID, not to the host, or an RST (never answered) */
	VSOCK_PKT_RST,    /* answer with RST: unknown type or op, a payload
			   * beyond VSOCK_MAX_PAYLOAD or the chain, payload
			   * on an op that carries none */
};

/* Checks header h of a chain that carried out_len device-readable bytes
 * (header included) from the guest whose CID is guest_cid. why gets a
 * static reason when the verdict is not OK. */
enum vsock_verdict vsock_pkt_check(const struct vsock_hdr *h, uint64_t out_len,
				   uint64_t guest_cid, const char **why);

const char *vsock_op_name(uint16_t op);

#endif
