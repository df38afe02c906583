/* virtio 1.x over PCI, modern interface only (virtio 1.2 section 4.1):
 * capability walk, status handshake, feature negotiation, queue set-up.
 * Everything a device reports is checked before use; a device that breaks
 * the protocol gets a key=value reason in v->why, never a hang. */
#include "io.h"
#include "lib.h"
#include "probe.h"
#include "virtio.h"

#define PCI_STATUS          0x06
#define PCI_STATUS_CAPS     0x10
#define PCI_CAP_PTR         0x34
#define PCI_CAP_VENDOR      0x09
#define PCI_SUBSYS_ID       0x2e

#define CAP_COMMON          1
#define CAP_NOTIFY          2
#define CAP_ISR             3
#define CAP_DEVICE          4

/* struct virtio_pci_common_cfg offsets */
#define CC_DFSELECT         0x00
#define CC_DF               0x04
#define CC_GFSELECT         0x08
#define CC_GF               0x0c
#define CC_MSIX             0x10
#define CC_NUMQ             0x12
#define CC_STATUS           0x14
#define CC_CFGGEN           0x15
#define CC_Q_SELECT         0x16
#define CC_Q_SIZE           0x18
#define CC_Q_MSIX           0x1a
#define CC_Q_ENABLE         0x1c
#define CC_Q_NOFF           0x1e
#define CC_Q_DESC           0x20
#define CC_Q_DRIVER         0x28
#define CC_Q_DEVICE         0x30
#define CC_LEN              0x38

#define S_ACKNOWLEDGE       1
#define S_DRIVER            2
#define S_DRIVER_OK         4
#define S_FEATURES_OK       8
#define S_NEEDS_RESET       0x40
#define S_FAILED            0x80
#define NO_VECTOR           0xffff
#define RESET_TIMEOUT_US    1000000

struct pci_dev *virtio_find(struct pci_dev *devs, unsigned n, unsigned type,
			    unsigned index)
{
	for (unsigned i = 0; i < n; i++)
		if (devs[i].vendor == VIRTIO_VENDOR &&
		    devs[i].device == 0x1040 + type && index-- == 0)
			return &devs[i];
	return NULL;
}

static void wr64(u64 a, u64 v)
{
	/* Two 32-bit writes, low first: the spec allows drivers to do so
	 * and every device must accept it. */
	mmio_write32(a, (u32)v);
	mmio_write32(a + 4, (u32)(v >> 32));
}

/* Resolves a capability to an address, checking it fits its BAR. */
static bool cap_addr(struct virtio_dev *v, u8 cap, u64 *addr, u32 *len)
{
	struct pci_dev *d = v->pci;
	u8 bar = pci_read8(d, cap + 4);
	u32 off = pci_read32(d, cap + 8), l = pci_read32(d, cap + 12);

	if (bar >= 6 || !d->bar_size[bar] || l == 0 ||
	    (u64)off + l > d->bar_size[bar]) {
		v->why = "reason=virtio_cap_outside_bar";
		return false;
	}
	if (!pci_enable_bar(d, bar, &v->why))
		return false;
	*addr = d->bar_addr[bar] + off;
	*len = l;
	return true;
}

static bool find_caps(struct virtio_dev *v)
{
	struct pci_dev *d = v->pci;
	u32 common_len = 0, isr_len = 0;
	u8 p;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS)) {
		v->why = "reason=no_pci_capabilities";
		return false;
	}
	p = pci_read8(d, PCI_CAP_PTR) & 0xfc;
	/* 48 capabilities fill the 192 bytes after the header: a longer
	 * walk means a loop in the list. */
	for (int guard = 0; p >= 0x40 && guard < 48; guard++) {
		u8 id = pci_read8(d, p), type = pci_read8(d, p + 3);
		u64 *addr = NULL;
		u32 *len = NULL;

		if (id == PCI_CAP_VENDOR && pci_read8(d, p + 2) >= 16) {
			/* The first capability of each type is the one to use. */
			if (type == CAP_COMMON && !v->common)
				addr = &v->common, len = &common_len;
			else if (type == CAP_NOTIFY && !v->notify_base &&
				 pci_read8(d, p + 2) >= 20) {
				addr = &v->notify_base, len = &v->notify_len;
				v->notify_mult = pci_read32(d, p + 16);
			} else if (type == CAP_ISR && !v->isr)
				addr = &v->isr, len = &isr_len;
			else if (type == CAP_DEVICE && !v->device_cfg)
				addr = &v->device_cfg, len = &v->device_cfg_len;
			if (addr && !cap_addr(v, p, addr, len))
				return false;
		}
		p = pci_read8(d, p + 1) & 0xfc;
	}
	if (!v->common || common_len < CC_LEN) {
		v->why = "reason=no_common_cfg";
		return false;
	}
	if (!v->notify_base || !v->isr || !v->device_cfg) {
		v->why = "reason=missing_virtio_cap";
		return false;
	}
	return true;
}

static u8 status(struct virtio_dev *v)
{
	return mmio_read8(v->common + CC_STATUS);
}

static void set_status(struct virtio_dev *v, u8 bits)
{
	mmio_write8(v->common + CC_STATUS, status(v) | bits);
}

void virtio_reset(struct virtio_dev *v)
{
	u64 t0 = rdtsc(), limit = tsc_from_us(RESET_TIMEOUT_US);

	mmio_write8(v->common + CC_STATUS, 0);
	/* The reset is complete when the device reads back 0 (4.1.4.3.2). */
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
	return status(v) & S_NEEDS_RESET;
}

bool virtio_start(struct virtio_dev *v, struct pci_dev *pd, u64 want)
{
	u64 lo, hi;

	memset(v, 0, sizeof(*v));
	v->pci = pd;
	if (!find_caps(v))
		return false;
	virtio_reset(v);
	if (v->why)
		return false;
	set_status(v, S_ACKNOWLEDGE);
	set_status(v, S_DRIVER);
	mmio_write32(v->common + CC_DFSELECT, 0);
	lo = mmio_read32(v->common + CC_DF);
	mmio_write32(v->common + CC_DFSELECT, 1);
	hi = mmio_read32(v->common + CC_DF);
	v->offered = hi << 32 | lo;
	if (!((v->offered >> VIRTIO_F_VERSION_1) & 1)) {
		v->why = "reason=no_version_1";
		set_status(v, S_FAILED);
		return false;
	}
	/* ACCESS_PLATFORM only says DMA goes through the platform's IOMMU
	 * rules; with none present, identity addresses are right. */
	want |= 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	v->features = v->offered & want;
	mmio_write32(v->common + CC_GFSELECT, 0);
	mmio_write32(v->common + CC_GF, (u32)v->features);
	mmio_write32(v->common + CC_GFSELECT, 1);
	mmio_write32(v->common + CC_GF, (u32)(v->features >> 32));
	set_status(v, S_FEATURES_OK);
	if (!(status(v) & S_FEATURES_OK)) {
		v->why = "reason=features_ok_not_kept";
		set_status(v, S_FAILED);
		return false;
	}
	/* No interrupts: the probe polls. */
	mmio_write16(v->common + CC_MSIX, NO_VECTOR);
	return true;
}

u16 virtio_num_queues(struct virtio_dev *v)
{
	return mmio_read16(v->common + CC_NUMQ);
}

bool virtio_queue(struct virtio_dev *v, struct virtq *q, u16 index, u16 max_size)
{
	u64 c = v->common, noff;
	u16 size;
	u8 *mem;

	memset(q, 0, sizeof(*q));
	if (index >= virtio_num_queues(v)) {
		v->why = "reason=queue_missing";
		return false;
	}
	mmio_write16(c + CC_Q_SELECT, index);
	size = mmio_read16(c + CC_Q_SIZE);
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1))) {
		v->why = "reason=bad_queue_size";
		return false;
	}
	if (mmio_read16(c + CC_Q_ENABLE)) {
		v->why = "reason=queue_enabled_after_reset";
		return false;
	}
	/* Any power of two up to the device's maximum is allowed. */
	while (size > max_size && size > 1)
		size >>= 1;
	mmio_write16(c + CC_Q_SIZE, size);
	noff = (u64)mmio_read16(c + CC_Q_NOFF) * v->notify_mult;
	if (noff + 2 > v->notify_len) {
		v->why = "reason=notify_outside_cap";
		return false;
	}
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
	q->size = size;
	q->index = index;
	q->dev = v;
	q->notify = v->notify_base + noff;
	q->event_idx = virtio_has(v, VIRTIO_F_RING_EVENT_IDX);
	for (u16 i = 0; i < size; i++)
		q->desc[i].next = (u16)(i + 1);
	q->num_free = size;
	/* No interrupts wanted (the flag is ignored with EVENT_IDX, where
	 * vq_poll keeps used_event out of reach instead). */
	q->avail[0] = 1;
	q->avail[2 + size] = 0x7fff;
	mmio_write16(c + CC_Q_MSIX, NO_VECTOR);
	wr64(c + CC_Q_DESC, (u64)q->desc);
	wr64(c + CC_Q_DRIVER, (u64)q->avail);
	wr64(c + CC_Q_DEVICE, (u64)q->used);
	mmio_write16(c + CC_Q_ENABLE, 1);
	return true;
}

bool virtio_driver_ok(struct virtio_dev *v)
{
	set_status(v, S_DRIVER_OK);
	if (status(v) & (S_NEEDS_RESET | S_FAILED)) {
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
		u8 gen = mmio_read8(v->common + CC_CFGGEN);

		for (u32 i = 0; i < len; i += unit) {
			u64 a = v->device_cfg + off + i;
			u32 x = unit == 4 ? mmio_read32(a) :
				unit == 2 ? mmio_read16(a) : mmio_read8(a);

			memcpy(b + i, &x, unit);
		}
		if (mmio_read8(v->common + CC_CFGGEN) == gen)
			return true;
	}
	v->why = "reason=config_generation_unstable";
	return false;
}
