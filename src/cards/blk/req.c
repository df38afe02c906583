#include "cards/blk/req.h"

#include <endian.h>
#include <string.h>

#include "cards/virtio/iov.h"

static void status_only(struct blk_op *op, uint8_t status)
{
	op->kind = BLK_OP_STATUS;
	op->status = status;
}

/* True if [sector, sector+count) lies within the device. */
static bool in_range(const struct blk_geom *g, uint64_t sector, uint64_t count)
{
	return sector <= g->sectors && count <= g->sectors - sector;
}

static void parse_rw(const struct virtq_chain *c, const struct blk_geom *g,
		     uint64_t sector, bool write, struct iovec *data, unsigned cap,
		     struct blk_op *op)
{
	/* OUT data follows the header; IN data precedes the status byte. */
	uint64_t len = write ? c->out_len - sizeof(struct virtio_blk_req_hdr)
			     : c->in_len - 1;
	int n;

	if (write && g->read_only)
		return status_only(op, VIRTIO_BLK_S_IOERR);
	if (len % VIRTIO_BLK_SECTOR || !in_range(g, sector, len / VIRTIO_BLK_SECTOR))
		return status_only(op, VIRTIO_BLK_S_IOERR);
	if (write)
		n = iov_slice(c->iov, c->nr_out, sizeof(struct virtio_blk_req_hdr),
			      len, data, cap);
	else
		n = iov_slice(c->iov + c->nr_out, c->nr_in, 0, len, data, cap);
	if (n < 0)
		return status_only(op, VIRTIO_BLK_S_IOERR);
	op->kind = write ? BLK_OP_WRITE : BLK_OP_READ;
	op->offset = sector * VIRTIO_BLK_SECTOR;
	op->data = data;
	op->nr_data = (unsigned)n;
	op->data_len = len;
}

static void parse_segments(const struct virtq_chain *c, const struct blk_geom *g,
			   bool zeroes, struct blk_op *op)
{
	uint64_t bytes = c->out_len - sizeof(struct virtio_blk_req_hdr);
	uint32_t max = zeroes ? g->max_write_zeroes_sectors : g->max_discard_sectors;
	struct virtio_blk_discard_write_zeroes s[BLK_MAX_SEGS];
	unsigned n = (unsigned)(bytes / sizeof(s[0]));

	if (g->read_only)
		return status_only(op, VIRTIO_BLK_S_IOERR);
	if (!bytes || bytes % sizeof(s[0]) || bytes > sizeof(s))
		return status_only(op, VIRTIO_BLK_S_UNSUPP);
	/* One copy out of guest memory; only the copy is checked and used. */
	iov_to_buf(c->iov, c->nr_out, sizeof(struct virtio_blk_req_hdr), s, bytes);
	for (unsigned i = 0; i < n; i++) {
		uint64_t sector = le64toh(s[i].sector);
		uint32_t count = le32toh(s[i].num_sectors);
		uint32_t flags = le32toh(s[i].flags);
		/* §5.2.6.2: unknown flags, and UNMAP on a discard, are
		 * unsupported; ranges outside the device are errors. */
		uint32_t allowed = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
		if (flags & ~allowed)
			return status_only(op, VIRTIO_BLK_S_UNSUPP);
		if (count > max || !in_range(g, sector, count))
			return status_only(op, VIRTIO_BLK_S_IOERR);
		/* An empty range asks for nothing: no I/O, not an error. */
		if (!count)
			continue;
		op->segs[op->nr_segs++] = (struct blk_seg){
			.offset = sector * VIRTIO_BLK_SECTOR,
			.len = (uint64_t)count * VIRTIO_BLK_SECTOR,
			.unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
		};
	}
	if (!op->nr_segs)
		return status_only(op, VIRTIO_BLK_S_OK);
	op->kind = zeroes ? BLK_OP_WRITE_ZEROES : BLK_OP_DISCARD;
}

void blk_req_parse(const struct virtq_chain *c, const struct blk_geom *g,
		   struct iovec *data, unsigned cap, struct blk_op *op)
{
	struct virtio_blk_req_hdr h;

	memset(op, 0, sizeof(*op));
	if (!c->in_len) {
		/* Nowhere to put a status: the request fails silently. */
		op->kind = BLK_OP_NONE;
		return;
	}
	const struct iovec *last = &c->iov[c->nr_out + c->nr_in - 1];
	op->status_ptr = (uint8_t *)last->iov_base + last->iov_len - 1;
	if (c->out_len < sizeof(h))
		return status_only(op, VIRTIO_BLK_S_IOERR);
	iov_to_buf(c->iov, c->nr_out, 0, &h, sizeof(h));
	uint64_t sector = le64toh(h.sector);
	switch (le32toh(h.type)) {
	case VIRTIO_BLK_T_IN:
		return parse_rw(c, g, sector, false, data, cap, op);
	case VIRTIO_BLK_T_OUT:
		return parse_rw(c, g, sector, true, data, cap, op);
	case VIRTIO_BLK_T_FLUSH:
		op->kind = BLK_OP_FLUSH;
		return;
	case VIRTIO_BLK_T_GET_ID: {
		int n = iov_slice(c->iov + c->nr_out, c->nr_in, 0, c->in_len - 1,
				  data, cap);
		if (n < 0)
			return status_only(op, VIRTIO_BLK_S_IOERR);
		op->kind = BLK_OP_GET_ID;
		op->data = data;
		op->nr_data = (unsigned)n;
		op->data_len = c->in_len - 1;
		return;
	}
	case VIRTIO_BLK_T_DISCARD:
		return parse_segments(c, g, false, op);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return parse_segments(c, g, true, op);
	default:
		return status_only(op, VIRTIO_BLK_S_UNSUPP);
	}
}

uint32_t blk_req_used_len(const struct blk_op *op, uint8_t status)
{
	if (op->kind == BLK_OP_NONE)
		return 0;
	if (status != VIRTIO_BLK_S_OK)
		return 1;
	if (op->kind == BLK_OP_READ)
		return (uint32_t)op->data_len + 1;
	if (op->kind == BLK_OP_GET_ID)
		return (uint32_t)(op->data_len < VIRTIO_BLK_ID_BYTES ?
				  op->data_len : VIRTIO_BLK_ID_BYTES) + 1;
	return 1;
}

uint64_t blk_req_limit_bytes(const struct blk_op *op)
{
	uint64_t bytes = 0;

	if (op->kind == BLK_OP_READ || op->kind == BLK_OP_WRITE)
		return op->data_len;
	if (op->kind != BLK_OP_WRITE_ZEROES)
		return 0;
	/* BLK_MAX_SEGS ranges of under 2^32 sectors: under 2^45 bytes. */
	for (unsigned i = 0; i < op->nr_segs; i++)
		bytes += op->segs[i].len;
	return bytes;
}
