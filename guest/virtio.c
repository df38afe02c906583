/* The transport-independent half of a virtio 1.x driver (virtio 1.2, 3.1):
 * status handshake, feature negotiation, split queue set-up and config
 * reads, each register access through the device's struct virtio_ops.
 * Everything a device reports is checked before use; a device that breaks
 * the protocol gets a key=value reason in v->why, never a hang. */
#include "io.h"
#include "lib.h"
#include "virtio.h"
#include "virtio_mmio.h"

#include "virtio/virtio.h"   /* status bits, shared with azote */

#define RESET_TIMEOUT_US    1000000

static const struct {
	const char *name;
	bool (*find)(struct virtio_dev *v, unsigned type, unsigned index,
		     struct report *r);
} transports[] = {
	{ "pci", virtio_pci_find },
	{ "mmio", virtio_mmio_find },
};

bool virtio_open(struct virtio_dev *v, unsigned type, u64 want,
		 struct report *r)
{
	const char *name = param_str("transport", "auto");
	unsigned index = (unsigned)param_u64("dev", 0, 0, 15);

	memset(v, 0, sizeof(*v));
	v->irq = param_u64("irq", 0, 0, 1);
	/* Firecracker-like VMMs boot with pci=off and name their devices
	 * on the command line: if there are such names, they are meant. */
	if (!strcmp(name, "auto"))
		name = virtio_mmio_described() ? "mmio" : "pci";
	for (unsigned i = 0; i < ARRAY_SIZE(transports); i++)
		if (!strcmp(name, transports[i].name)) {
			rep_kv(r, "transport=%s", name);
			return transports[i].find(v, type, index, r) &&
			       virtio_start(v, want);
		}
	v->why = "param_error=bad_value key=transport";
	return false;
}

const char *virtio_type_name(unsigned type)
{
	return type == VIRTIO_ID_BLOCK ? "blk" :
	       type == VIRTIO_ID_NET ? "net" :
	       type == VIRTIO_ID_RNG ? "rng" :
	       type == VIRTIO_ID_PMEM ? "pmem" : "other";
}

static u8 status(struct virtio_dev *v)
{
	return v->ops->get_status(v);
}

static void set_status(struct virtio_dev *v, u8 bits)
{
	v->ops->set_status(v, status(v) | bits);
}

void virtio_reset(struct virtio_dev *v)
{
	u64 t0 = rdtsc(), limit = tsc_from_us(RESET_TIMEOUT_US);

	if (!v->ops)
		return;
	v->ops->set_status(v, 0);
	/* The reset is complete when the device reads back 0 (2.4.1). */
	while (status(v) != 0)
		if (rdtsc() - t0 > limit) {
			v->why = "reason=reset_not_completed";
			return;
		}
}

bool virtio_has(const struct virtio_dev *v, unsigned f)
{
	return (v->features >> f) & 1;
}

bool virtio_needs_reset(struct virtio_dev *v)
{
	return status(v) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

bool virtio_start(struct virtio_dev *v, u64 want)
{
	virtio_reset(v);
	if (v->why)
		return false;
	set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(v, VIRTIO_STATUS_DRIVER);
	v->offered = v->ops->get_features(v, 0);
	v->offered |= (u64)v->ops->get_features(v, 1) << 32;
	if (!((v->offered >> VIRTIO_F_VERSION_1) & 1)) {
		v->why = "reason=no_version_1";
		set_status(v, VIRTIO_STATUS_FAILED);
		return false;
	}
	/* ACCESS_PLATFORM only says DMA goes through the platform's IOMMU
	 * rules; with none present, identity addresses are right. */
	want |= 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	v->features = v->offered & want;
	v->ops->set_features(v, 0, (u32)v->features);
	v->ops->set_features(v, 1, (u32)(v->features >> 32));
	set_status(v, VIRTIO_STATUS_FEATURES_OK);
	if (!(status(v) & VIRTIO_STATUS_FEATURES_OK)) {
		v->why = "reason=features_ok_not_kept";
		set_status(v, VIRTIO_STATUS_FAILED);
		return false;
	}
	if (v->irq) {
		if (!v->ops->irq_setup) {
			v->why = "reason=irq_not_on_this_transport";
			return false;
		}
		if (!v->ops->irq_setup(v))
			return false;
	} else if (v->ops->polled) {
		v->ops->polled(v);
	}
	return true;
}

bool virtio_queue(struct virtio_dev *v, struct virtq *q, u16 index, u16 max_size)
{
	u32 size;
	u8 *mem;

	memset(q, 0, sizeof(*q));
	if (!v->ops->queue_select(v, index, &size))
		return false;
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1))) {
		v->why = "reason=bad_queue_size";
		return false;
	}
	/* Any power of two up to the device's maximum is allowed. */
	while (size > max_size && size > 1)
		size >>= 1;
	/* Descriptors (16-byte aligned), driver area (2), device area (4):
	 * one allocation, each part page-aligned for simplicity. */
	mem = alloc_pages(16ULL * size + 4096 + (6 + 2ULL * size) + 4096 +
			  6 + 8ULL * size);
	q->writable = alloc_pages(4ULL * size);
	q->chain_len = alloc_pages(2ULL * size);
	if (!mem || !q->writable || !q->chain_len) {
		v->why = "reason=out_of_memory";
		return false;
	}
	q->desc = (struct vq_desc *)mem;
	q->avail = (volatile u16 *)(mem + ALIGN_UP(16ULL * size, 4096));
	q->used = (volatile u16 *)((u8 *)q->avail + ALIGN_UP(6 + 2ULL * size, 4096));
	q->used_ring = (volatile struct vq_used_elem *)(q->used + 2);
	q->size = (u16)size;
	q->index = index;
	q->dev = v;
	q->event_idx = virtio_has(v, VIRTIO_F_RING_EVENT_IDX);
	for (u16 i = 0; i < size; i++)
		q->desc[i].next = (u16)(i + 1);
	q->num_free = (u16)size;
	/* Polling: no interrupts wanted (the flag is ignored with EVENT_IDX,
	 * where vq_poll keeps used_event out of reach instead). With
	 * interrupts: every completion, used_event at the first. */
	q->avail[0] = v->irq ? 0 : 1;
	q->avail[2 + size] = v->irq ? 0 : 0x7fff;
	return v->ops->queue_enable(v, q);
}

bool virtio_driver_ok(struct virtio_dev *v)
{
	set_status(v, VIRTIO_STATUS_DRIVER_OK);
	if (status(v) & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)) {
		v->why = "reason=device_needs_reset";
		return false;
	}
	return true;
}

bool virtio_cfg_read(struct virtio_dev *v, u32 off, void *buf, u32 len,
		     u32 unit)
{
	u8 *b = buf;

	if ((u64)off + len > v->device_cfg_len || len % unit || off % unit) {
		v->why = "reason=device_cfg_too_small";
		return false;
	}
	for (int tries = 0; tries < 100; tries++) {
		u32 gen = v->ops->config_generation(v);

		for (u32 i = 0; i < len; i += unit) {
			u64 a = v->device_cfg + off + i;
			u32 x = unit == 4 ? mmio_read32(a) :
				unit == 2 ? mmio_read16(a) : mmio_read8(a);

			memcpy(b + i, &x, unit);
		}
		if (v->ops->config_generation(v) == gen)
			return true;
	}
	v->why = "reason=config_generation_unstable";
	return false;
}
