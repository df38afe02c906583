/* virtio-blk driver (virtio 1.2, 5.2), polled from CPL 3. */
#ifndef PROBE_BLK_H
#define PROBE_BLK_H

#include "probe.h"
#include "virtio.h"

#include "virtio/virtio_blk.h"   /* shared with the card */

#define BLK_S_DEVICE_FAILED       (-1)   /* timeout or protocol error */

#define SECTOR                    512
#define BLK_MAX_SEGS              16
#define BLK_MAX_QUEUES            16

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

/* One virtqueue and its requests: driven by one CPU at a time. */
struct blk_queue {
	struct virtq q;
	struct blk_req *reqs;          /* one per queue entry */
	u16 *slot_of;                  /* chain head -> reqs index */
};

struct blk {
	struct virtio_dev v;
	u64 capacity;                  /* in 512-byte sectors */
	u32 size_max, seg_max, blk_size;
	u32 max_discard_sectors, discard_align, max_wz_sectors;
	u32 num_queues;                /* the device's, with VIRTIO_BLK_F_MQ; else 1 */
	unsigned nr_queues;            /* set up: probe.queues */
	unsigned cur;                  /* the queue blk_sync uses (0) */
	struct blk_queue qs[BLK_MAX_QUEUES];
};

/* Finds and starts virtio-blk number probe.dev (default 0) with
 * probe.queues queues (default 1; more negotiate VIRTIO_BLK_F_MQ and need
 * as many from the device: reason=device_queues_too_few). On failure the
 * report says why and false is returned. */
bool blk_open(struct blk *b, struct report *r);
/* Submits a request on queue `qi`; its data segments are `data`. Returns
 * the chain head or -1 if the queue is full. */
int blk_submit(struct blk *b, unsigned qi, unsigned slot, u32 type, u64 sector,
	       const struct vq_seg *data, unsigned n);
/* Submits on queue b->cur and waits: the virtio status, or
 * BLK_S_DEVICE_FAILED. */
int blk_sync(struct blk *b, u32 type, u64 sector, const struct vq_seg *data,
	     unsigned n);
void blk_close(struct blk *b);
/* "ok", "ioerr", "unsupp", or the device failure reason. */
const char *blk_status_name(struct blk *b, int status);

#endif
