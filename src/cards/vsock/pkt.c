#include "cards/vsock/pkt.h"

#include <endian.h>
#include <string.h>

/* Offsets of the header's fields on the wire (§5.10.6). */
enum {
	OFF_SRC_CID = 0, OFF_DST_CID = 8, OFF_SRC_PORT = 16, OFF_DST_PORT = 20,
	OFF_LEN = 24, OFF_TYPE = 28, OFF_OP = 30, OFF_FLAGS = 32,
	OFF_BUF_ALLOC = 36, OFF_FWD_CNT = 40,
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

void vsock_hdr_decode(const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *h)
{
	h->src_cid = get64(raw + OFF_SRC_CID);
	h->dst_cid = get64(raw + OFF_DST_CID);
	h->src_port = get32(raw + OFF_SRC_PORT);
	h->dst_port = get32(raw + OFF_DST_PORT);
	h->len = get32(raw + OFF_LEN);
	h->type = get16(raw + OFF_TYPE);
	h->op = get16(raw + OFF_OP);
	h->flags = get32(raw + OFF_FLAGS);
	h->buf_alloc = get32(raw + OFF_BUF_ALLOC);
	h->fwd_cnt = get32(raw + OFF_FWD_CNT);
}

void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_SIZE])
{
	put64(raw + OFF_SRC_CID, h->src_cid);
	put64(raw + OFF_DST_CID, h->dst_cid);
	put32(raw + OFF_SRC_PORT, h->src_port);
	put32(raw + OFF_DST_PORT, h->dst_port);
	put32(raw + OFF_LEN, h->len);
	put16(raw + OFF_TYPE, h->type);
	put16(raw + OFF_OP, h->op);
	put32(raw + OFF_FLAGS, h->flags);
	put32(raw + OFF_BUF_ALLOC, h->buf_alloc);
	put32(raw + OFF_FWD_CNT, h->fwd_cnt);
}

const char *vsock_op_name(uint16_t op)
{
	static const char *const names[] = {
		[VSOCK_OP_INVALID] = "INVALID", [VSOCK_OP_REQUEST] = "REQUEST",
		[VSOCK_OP_RESPONSE] = "RESPONSE", [VSOCK_OP_RST] = "RST",
		[VSOCK_OP_SHUTDOWN] = "SHUTDOWN", [VSOCK_OP_RW] = "RW",
		[VSOCK_OP_CREDIT_UPDATE] = "CREDIT_UPDATE",
		[VSOCK_OP_CREDIT_REQUEST] = "CREDIT_REQUEST",
	};

	return op < sizeof(names) / sizeof(names[0]) ? names[op] : "unknown";
}

static enum vsock_verdict verdict(enum vsock_verdict v, const char *reason,
				  const char **why)
{
	*why = reason;
	return v;
}

enum vsock_verdict vsock_pkt_check(const struct vsock_hdr *h, uint64_t out_len,
				   uint64_t guest_cid, const char **why)
{
	*why = NULL;
	if (out_len < VSOCK_HDR_SIZE)
		return verdict(VSOCK_PKT_DROP, "shorter than a header", why);
	/* An answer goes to src: a packet that does not come from the guest's
	 * own address cannot be answered, nor one not meant for the host. */
	if (h->src_cid != guest_cid)
		return verdict(VSOCK_PKT_DROP, "src_cid is not the guest's", why);
	if (h->dst_cid != VSOCK_HOST_CID)
		return verdict(VSOCK_PKT_DROP, "dst_cid is not the host's", why);
	/* An RST is never answered with an RST (§5.10.6.3). */
	if (h->op == VSOCK_OP_RST)
		return VSOCK_PKT_OK;
	if (h->type != VSOCK_TYPE_STREAM)
		return verdict(VSOCK_PKT_RST, "type is not STREAM", why);
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST)
		return verdict(VSOCK_PKT_RST, "unknown op", why);
	if (h->op != VSOCK_OP_RW)
		return h->len ? verdict(VSOCK_PKT_RST, "payload on a control op", why)
			      : VSOCK_PKT_OK;
	if (h->len > VSOCK_MAX_PAYLOAD)
		return verdict(VSOCK_PKT_RST, "payload beyond 64 KiB", why);
	if (h->len > out_len - VSOCK_HDR_SIZE)
		return verdict(VSOCK_PKT_RST, "len beyond the chain's bytes", why);
	return VSOCK_PKT_OK;
}
