#include "cards/blk/device.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "virtio/virtio.h"

/* Largest DISCARD/WRITE_ZEROES range per segment, in sectors: keeps the
 * byte length within 32 bits. */
#define BLK_MAX_RANGE_SECTORS (0xffffffffu / VIRTIO_BLK_SECTOR)

void blk_device_config(const struct blk_device *d, struct virtio_blk_config *c)
{
	memset(c, 0, sizeof(*c));
	c->capacity = htole64(d->img.size / VIRTIO_BLK_SECTOR);
	c->size_max = htole32(BLK_SIZE_MAX);
	c->seg_max = htole32(BLK_SEG_MAX);
	c->blk_size = htole32(VIRTIO_BLK_SECTOR);
	c->num_queues = htole16((uint16_t)d->nr_queues);
	c->max_discard_sectors = htole32(BLK_MAX_RANGE_SECTORS);
	c->max_discard_seg = htole32(BLK_MAX_SEGS);
	/* Hole punching works in 4 KiB blocks on common filesystems. */
	c->discard_sector_alignment = htole32(8);
	c->max_write_zeroes_sectors = htole32(BLK_MAX_RANGE_SECTORS);
	c->max_write_zeroes_seg = htole32(BLK_MAX_SEGS);
	c->write_zeroes_may_unmap = 1;
}

static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct blk_device *d = dev;
	struct virtio_blk_config c;

	pthread_mutex_lock(&d->lock);
	blk_device_config(d, &c);
	pthread_mutex_unlock(&d->lock);
	/* Bytes past the struct (within config_size) read as zero. */
	if (off < sizeof(c))
		memcpy(buf, (uint8_t *)&c + off,
		       len < sizeof(c) - off ? len : sizeof(c) - off);
}

static void set_features(void *dev, uint64_t features)
{
	struct blk_device *d = dev;

	d->shared.writethrough = !(features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct blk_device *d = dev;

	(void)e;
	pthread_mutex_lock(&d->lock);
	blk_queue_start(d->queues[idx], q);
	d->running[idx] = q;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct blk_device *d = dev;

	(void)q;
	pthread_mutex_lock(&d->lock);
	blk_queue_stop(d->queues[idx]);
	d->running[idx] = NULL;
	pthread_mutex_unlock(&d->lock);
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

int blk_device_swap_image(struct blk_device *d, const int *fds, unsigned nr_fds,
			  struct azerr *e)
{
	unsigned want = d->img.direct_fd >= 0 ? 2 : 1;
	int old_fd = d->img.fd, old_direct = d->img.direct_fd;
	uint64_t size, direct_size;

	if (nr_fds != want) {
		close_fds(fds, nr_fds);
		return azerr_set(e, "a new image needs %u fd%s (%s), got %u", want,
				 want > 1 ? "s" : "", want > 1 ? "buffered and O_DIRECT" :
				 "buffered", nr_fds);
	}
	if (blk_image_size(fds[0], "(new)", &size, e) < 0 ||
	    (want > 1 && blk_image_size(fds[1], "(new, O_DIRECT)", &direct_size, e) < 0)) {
		close_fds(fds, nr_fds);
		return -1;
	}
	if (want > 1 && direct_size != size) {
		close_fds(fds, nr_fds);
		return azerr_set(e, "the new image's two fds differ in size (%llu and %llu "
				 "bytes): not one file", (unsigned long long)size,
				 (unsigned long long)direct_size);
	}
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < d->nr_queues; i++)
		if (d->running[i])
			blk_queue_stop(d->queues[i]);
	/* No worker reads the image or the geometry while its queue is
	 * stopped; starting it again publishes the change (its lock). */
	d->img.fd = fds[0];
	d->img.direct_fd = want > 1 ? fds[1] : -1;
	if (want > 1)
		d->img.direct_align = blk_image_direct_align(fds[1]);
	d->img.size = size;
	d->shared.geom.sectors = size / VIRTIO_BLK_SECTOR;
	for (unsigned i = 0; i < d->nr_queues; i++)
		if (d->running[i])
			blk_queue_start(d->queues[i], d->running[i]);
	pthread_mutex_unlock(&d->lock);
	/* Writes completed before the switch may still be in the page cache,
	 * and the guest's next FLUSH reaches only the new image: they go to
	 * the old one's disk before it is let go (a failure leaves nothing
	 * to retry it on; it is logged). */
	if (!d->img.read_only && fdatasync(old_fd) < 0)
		log_warn("blk: the replaced image's fdatasync: %s", strerror(errno));
	close(old_fd);
	if (old_direct >= 0)
		close(old_direct);
	return 0;
}

static const struct vu_device_ops blk_ops = {
	.get_config = get_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
};

int blk_device_init(struct blk_device *d, const struct blk_opts *o,
		    struct card_blk_stats *stats, struct azerr *e)
{
	unsigned nr_queues = o->queues;

	if (nr_queues < 1 || nr_queues > BLK_MAX_QUEUES)
		return azerr_set(e, "%u queues: must be 1..%d", nr_queues, BLK_MAX_QUEUES);
	d->nr_queues = nr_queues;
	pthread_mutex_init(&d->lock, NULL);
	card_limiter_init(&d->limit, &o->limit);
	d->shared = (struct blk_queue_shared){
		.img = &d->img,
		.geom = {
			.sectors = d->img.size / VIRTIO_BLK_SECTOR,
			.read_only = d->img.read_only,
			.max_discard_sectors = BLK_MAX_RANGE_SECTORS,
			.max_write_zeroes_sectors = BLK_MAX_RANGE_SECTORS,
		},
		.writethrough = true,
		.stats = stats,
		.poll_ns = (uint64_t)o->poll_us * 1000,
		.uring = o->uring,
		.limit = &d->limit,
	};
	d->vu = (struct vu_device){
		.ops = &blk_ops,
		.dev = d,
		.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) |
			    VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
			    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
			    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
			    VIRTIO_BIT(VIRTIO_BLK_F_MQ) |
			    (d->img.can_punch ? VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
						VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) : 0) |
			    (d->img.read_only ? VIRTIO_BIT(VIRTIO_BLK_F_RO) : 0),
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = nr_queues,
		.config_size = sizeof(struct virtio_blk_config),
	};
	for (unsigned i = 0; i < nr_queues; i++) {
		d->queues[i] = blk_queue_create(i, &d->shared, e);
		if (!d->queues[i])
			return -1;
	}
	return 0;
}
