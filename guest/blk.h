/* virtio-blk driver (virtio 1.2, 5.2), polled from CPL 3. */
#ifndef PROBE_BLK_H
#define PROBE_BLK_H

#include "probe.h"
#include "virtio.h"

#include "virtio/virtio_blk.h"   /* shared with the card */

#define BLK_S_DEVICE_FAILED       (-1)   /* timeout or protocol error */

#define SECTOR                    512
#define BLK_MAX_SEGS              16

struct blk_req {
	struct {
		u32 type, reserved;
		u64 sector;
	} hdr;
	u8 status;
	u8 pad[15];
};

struct blk_dwz {   /* discard / write zeroes segment */
	u64 sector;
	u32 num_sectors, flags;
};

struct blk {
	struct virtio_dev v;
	struct virtq q;
	u64 capacity;                  /* in 512-byte sectors */
	u32 size_max, seg_max, blk_size;
	u32 max_discard_sectors, discard_align, max_wz_sectors;
	struct blk_req *reqs;          /* one per queue entry */
	u16 *slot_of;                  /* chain head -> reqs index */
};

/* Finds and starts virtio-blk number probe.dev (default 0). On failure the
 * report says why and false is returned. */
bool blk_open(struct blk *b, struct report *r);
/* Submits a request; its data segments are `data`. Returns the chain head
 * or -1 if the queue is full. */
int blk_submit(struct blk *b, unsigned slot, u32 type, u64 sector,
	       const struct vq_seg *data, unsigned n);
/* Submits and waits: the virtio status, or BLK_S_DEVICE_FAILED. */
int blk_sync(struct blk *b, u32 type, u64 sector, const struct vq_seg *data,
	     unsigned n);
void blk_close(struct blk *b);
/* "ok", "ioerr", "unsupp", or the device failure reason. */
const char *blk_status_name(struct blk *b, int status);

#endif
