/* libFuzzer target: the vsock card's parsers of guest and host bytes —
 * a transmitted packet's header and its check, then the packet run
 * against a connection in each state with the credit it implies; and the
 * host's "CONNECT <port>\n" line.
 *
 * Input: the chain's byte count (2 bytes, little-endian), the state to
 * start from (1 byte), the bytes buffered for the host (2 bytes), then a
 * 44-byte header, then the rest as a CONNECT line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/vsock/conn.h"
#include "cards/vsock/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsock_hdr h, out;
	struct vsock_conn c;
	const char *why;
	uint32_t port;

	if (size < 5 + VSOCK_HDR_SIZE)
		return 0;
	uint64_t out_len = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	enum vsock_conn_state st = (enum vsock_conn_state)(data[2] % 4);
	uint32_t buffered = ((uint32_t)data[3] | (uint32_t)data[4] << 8) % (VSOCK_CONN_BUF + 1);

	vsock_hdr_decode(data + 5, &h);
	vsock_hdr_encode(&h, (uint8_t[VSOCK_HDR_SIZE]){ 0 });
	if (vsock_pkt_check(&h, out_len, 3, &why) == VSOCK_PKT_OK) {
		if (h.op == VSOCK_OP_RW && (h.len > VSOCK_MAX_PAYLOAD || h.len > out_len - VSOCK_HDR_SIZE))
			abort();
		vsock_conn_init(&c, h.dst_port, h.src_port, st);
		enum vsock_conn_action a = vsock_conn_guest_pkt(&c, &h, buffered);
		/* What the card accepts always fits its buffer. */
		if (a == VSOCK_ACT_WRITE && buffered + h.len > VSOCK_CONN_BUF)
			abort();
		if (vsock_conn_peer_credit(&c) > c.peer_buf_alloc)
			abort();
		vsock_conn_hdr(&c, 3, VSOCK_OP_CREDIT_UPDATE, 0, 0, &out);
	}
	size_t rest = size - 5 - VSOCK_HDR_SIZE;
	if (rest > 32)
		rest = 32;
	(void)vsock_parse_connect((const char *)data + 5 + VSOCK_HDR_SIZE, (unsigned)rest, 32,
				  &port);
	return 0;
}
