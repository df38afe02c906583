/* virtio 1.x over PCI, modern interface only (virtio 1.2 section 4.1):
 * device discovery on bus 0, capability walk, and the register accesses
 * behind struct virtio_ops (common configuration, notify and device
 * capabilities). Everything a device reports is checked before use. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "x86.h"
#include "probe.h"
#include "virtio.h"

#define PCI_STATUS          0x06
#define PCI_STATUS_CAPS     0x10
#define PCI_CAP_PTR         0x34
#define PCI_CAP_VENDOR      0x09
#define PCI_CAP_MSIX        0x11
#define MSIX_ENABLE         0x8000
#define MSIX_FUNCTION_MASK  0x4000
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

#define NO_VECTOR           0xffff

/* Resolves a capability to an address, checking it fits its BAR. */
static bool cap_addr(struct virtio_dev *v, u8 cap, u64 *addr, u32 *len)
{
	struct pci_dev *d = v->pci.fn;
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
	struct pci_dev *d = v->pci.fn;
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
			if (type == CAP_COMMON && !v->pci.common)
				addr = &v->pci.common, len = &common_len;
			else if (type == CAP_NOTIFY && !v->pci.notify_base &&
				 pci_read8(d, p + 2) >= 20) {
				addr = &v->pci.notify_base, len = &v->pci.notify_len;
				v->pci.notify_mult = pci_read32(d, p + 16);
			} else if (type == CAP_ISR && !v->pci.isr)
				addr = &v->pci.isr, len = &isr_len;
			else if (type == CAP_DEVICE && !v->device_cfg)
				addr = &v->device_cfg, len = &v->device_cfg_len;
			if (addr && !cap_addr(v, p, addr, len))
				return false;
		}
		p = pci_read8(d, p + 1) & 0xfc;
	}
	if (!v->pci.common || common_len < CC_LEN) {
		v->why = "reason=no_common_cfg";
		return false;
	}
	/* No device configuration capability is a device without a
	 * configuration (virtio 1.2 4.1.4.6: an entropy device, as azote
	 * shows it); its reads then fail on length (virtio_cfg_read). */
	if (!v->pci.notify_base || !v->pci.isr) {
		v->why = "reason=missing_virtio_cap";
		return false;
	}
	return true;
}

static u8 pci_get_status(struct virtio_dev *v)
{
	return mmio_read8(v->pci.common + CC_STATUS);
}

static void pci_set_status(struct virtio_dev *v, u8 status)
{
	mmio_write8(v->pci.common + CC_STATUS, status);
}

static u32 pci_get_features(struct virtio_dev *v, u32 word)
{
	mmio_write32(v->pci.common + CC_DFSELECT, word);
	return mmio_read32(v->pci.common + CC_DF);
}

static void pci_set_features(struct virtio_dev *v, u32 word, u32 bits)
{
	mmio_write32(v->pci.common + CC_GFSELECT, word);
	mmio_write32(v->pci.common + CC_GF, bits);
}

/* No interrupts: MSI-X stays disabled and no vector is assigned. */
static void pci_polled(struct virtio_dev *v)
{
	mmio_write16(v->pci.common + CC_MSIX, NO_VECTOR);
}

/* The function's MSI-X capability, or 0. */
static u8 find_msix(struct pci_dev *d)
{
	u8 p = pci_read8(d, PCI_CAP_PTR) & 0xfc;

	for (int guard = 0; p >= 0x40 && guard < 48; guard++) {
		if (pci_read8(d, p) == PCI_CAP_MSIX)
			return p;
		p = pci_read8(d, p + 1) & 0xfc;
	}
	return 0;
}

/* Interrupts (probe.irq=1): MSI-X table entry 0 sends VEC_VIRTIO to this
 * CPU's LAPIC, every queue uses it (set in pci_queue_enable), config
 * changes none. Then interrupts on at CPL 3. */
static bool pci_irq_setup(struct virtio_dev *v)
{
	struct pci_dev *d = v->pci.fn;
	u8 cap = find_msix(d);

	if (!cap) {
		v->why = "reason=no_msix_capability";
		return false;
	}
	u32 table = pci_read32(d, cap + 4);
	unsigned bir = table & 7;
	u64 off = table & ~7u;
	if (bir >= 6 || !d->bar_size[bir] || off + 16 > d->bar_size[bir]) {
		v->why = "reason=msix_table_outside_bar";
		return false;
	}
	if (!pci_enable_bar(d, bir, &v->why))
		return false;
	u64 entry = d->bar_addr[bir] + off;
	u32 apic_id = mmio_read32(lapic_base + 0x20) >> 24;
	mmio_write32(entry + 0, 0xfee00000u | apic_id << 12);
	mmio_write32(entry + 4, 0);
	mmio_write32(entry + 8, VEC_VIRTIO);
	mmio_write32(entry + 12, 0);   /* unmasked */
	u16 ctrl = pci_read16(d, cap + 2);
	pci_write16(d, cap + 2, (u16)((ctrl | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK));
	mmio_write16(v->pci.common + CC_MSIX, NO_VECTOR);
	syscall2(SYS_IRQ_ON, 0, 0);
	return true;
}

static bool pci_queue_select(struct virtio_dev *v, u16 index, u32 *max)
{
	u64 c = v->pci.common;

	if (index >= mmio_read16(c + CC_NUMQ)) {
		v->why = "reason=queue_missing";
		return false;
	}
	mmio_write16(c + CC_Q_SELECT, index);
	*max = mmio_read16(c + CC_Q_SIZE);
	if (mmio_read16(c + CC_Q_ENABLE)) {
		v->why = "reason=queue_enabled_after_reset";
		return false;
	}
	return true;
}

static bool pci_queue_enable(struct virtio_dev *v, struct virtq *q)
{
	u64 c = v->pci.common, noff;

	mmio_write16(c + CC_Q_SIZE, q->size);
	noff = (u64)mmio_read16(c + CC_Q_NOFF) * v->pci.notify_mult;
	if (noff + 2 > v->pci.notify_len) {
		v->why = "reason=notify_outside_cap";
		return false;
	}
	q->notify = v->pci.notify_base + noff;
	mmio_write16(c + CC_Q_MSIX, v->irq ? 0 : NO_VECTOR);
	if (v->irq && mmio_read16(c + CC_Q_MSIX) != 0) {
		v->why = "reason=msix_vector_refused";
		return false;
	}
	mmio_write64_halves(c + CC_Q_DESC, (u64)q->desc);
	mmio_write64_halves(c + CC_Q_DRIVER, (u64)q->avail);
	mmio_write64_halves(c + CC_Q_DEVICE, (u64)q->used);
	mmio_write16(c + CC_Q_ENABLE, 1);
	return true;
}

static void pci_notify(struct virtq *q)
{
	mmio_write16(q->notify, q->index);
}

static u32 pci_config_generation(struct virtio_dev *v)
{
	return mmio_read8(v->pci.common + CC_CFGGEN);
}

static const struct virtio_ops pci_ops = {
	.name = "pci",
	.get_status = pci_get_status,
	.set_status = pci_set_status,
	.get_features = pci_get_features,
	.set_features = pci_set_features,
	.polled = pci_polled,
	.irq_setup = pci_irq_setup,
	.queue_select = pci_queue_select,
	.queue_enable = pci_queue_enable,
	.notify = pci_notify,
	.config_generation = pci_config_generation,
};

bool virtio_pci_find(struct virtio_dev *v, unsigned type, unsigned index,
		     struct report *r)
{
	static struct pci_dev devs[PCI_MAX_DEVS];
	static char why[64];
	unsigned n = pci_scan(devs, PCI_MAX_DEVS);

	for (unsigned i = 0; i < n; i++) {
		struct pci_dev *d = &devs[i];

		if (d->vendor != VIRTIO_VENDOR || d->device != 0x1040 + type ||
		    index-- != 0)
			continue;
		rep_kv(r, "pci=00:%02x.%x", d->slot, d->fn);
		v->pci.fn = d;
		if (!find_caps(v))
			return false;
		v->ops = &pci_ops;
		return true;
	}
	snprintf(why, sizeof(why), "reason=no_virtio_%s pci_functions=%u",
		 virtio_type_name(type), n);
	v->why = why;
	return false;
}
