/* Turning one virtio-blk request (a checked virtqueue chain) into the
 * operation the card runs. Pure: reads the chain, touches nothing, so
 * every rule of §5.2.6 is unit-tested here.
 *
 * The chain is read as two byte streams, as the spec asks (no assumption
 * on how the driver split it into descriptors): the readable stream starts
 * with the 16-byte header (OUT data or DISCARD/WRITE_ZEROES segments
 * follow), the writable stream ends with the status byte (IN data and
 * GET_ID bytes precede it). */
#ifndef AZOTE_CARDS_BLK_REQ_H
#define AZOTE_CARDS_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "cards/blk/virtio_blk.h"
#include "cards/virtio/virtqueue.h"

/* DISCARD / WRITE_ZEROES segments one request may carry. */
#define BLK_MAX_SEGS 16

/* What the device is and what it allows, as parsing needs it. */
struct blk_geom {
	uint64_t sectors;            /* capacity */
	bool read_only;
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
};

enum blk_op_kind {
	BLK_OP_NONE,          /* no status byte: complete with length 0 */
	BLK_OP_STATUS,        /* answered without I/O: op.status */
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH,
	BLK_OP_GET_ID,
	BLK_OP_DISCARD,
	BLK_OP_WRITE_ZEROES,
};

struct blk_seg {
	uint64_t offset;      /* bytes */
	uint64_t len;         /* bytes */
	bool unmap;
};

struct blk_op {
	enum blk_op_kind kind;
	uint8_t status;       /* BLK_OP_STATUS */
	uint8_t *status_ptr;  /* where the status byte goes in guest memory */
	uint64_t offset;      /* READ/WRITE, bytes into the image */
	struct iovec *data;   /* READ/WRITE/GET_ID data, in the caller's array */
	unsigned nr_data;
	uint64_t data_len;
	unsigned nr_segs;
	struct blk_seg segs[BLK_MAX_SEGS];
};

/* Parses c into op; data[cap] receives the data iovecs. Never fails: a
 * bad request becomes BLK_OP_STATUS with IOERR or UNSUPP. */
void blk_req_parse(const struct virtq_chain *c, const struct blk_geom *g,
		   struct iovec *data, unsigned cap, struct blk_op *op);

/* Bytes the device wrote into the chain when op completes with status:
 * the used-ring length (data read + the status byte). */
uint32_t blk_req_used_len(const struct blk_op *op, uint8_t status);

/* The bytes op costs the card's rate limiter, in its bandwidth bucket
 * (queue.c's admit charges every request one op besides): a read's or a
 * write's data, a WRITE_ZEROES's ranges (the zeroes may all be written),
 * nothing for the rest (admit says why not for a DISCARD). */
uint64_t blk_req_limit_bytes(const struct blk_op *op);

#endif
