/* Machine state as a set of tagged sections, the unit a snapshot is made of.
 *
 * Every part of the machine that a snapshot must carry (a vCPU's registers,
 * the in-kernel irqchip, a platform device, a virtio transport, a card's
 * rings) saves itself as one or more sections, each named by a tag (what it
 * is) and an index (which one: the vCPU number, the device slot). A section's
 * bytes are the saving code's own wire layout: fixed-width fields in
 * little-endian order, no pointers, so that the file format (vmm/snapshot_
 * file) can store them without knowing what they hold, and a loader can
 * check each one's size before it trusts a byte of it.
 *
 * Sections are copied in; a set owns its memory. Not thread-safe: a set is
 * filled and read by one thread while the vCPUs are paused. */
#ifndef AZOTE_BASE_STATE_H
#define AZOTE_BASE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* The tags, one per kind of section. Numbers are part of the file format:
 * never reuse or renumber one; add new ones at the end of their group. */
enum state_tag {
	/* the machine as a whole (vmm/) */
	STATE_MACHINE = 0x0001,
	/* the configuration the machine was built from, as JSON (api/) */
	STATE_VM_CONFIG = 0x0002,
	/* one per vCPU, index = vCPU number (arch/x86) */
	STATE_VCPU_REGS = 0x0100,
	STATE_VCPU_SREGS,
	STATE_VCPU_FPU_XSAVE,
	STATE_VCPU_XCRS,
	STATE_VCPU_MSRS,
	STATE_VCPU_LAPIC,
	STATE_VCPU_EVENTS,
	STATE_VCPU_MP_STATE,
	STATE_VCPU_DEBUGREGS,
	STATE_VCPU_CPUID,
	STATE_VCPU_TSC,
	/* the in-kernel interrupt controllers and timers, index 0 (arch/x86) */
	STATE_IRQCHIP_PIC_MASTER = 0x0200,
	STATE_IRQCHIP_PIC_SLAVE,
	STATE_IRQCHIP_IOAPIC,
	STATE_PIT,
	STATE_KVMCLOCK,
	/* platform devices (devices/), index 0 unless several */
	STATE_UART = 0x0300,
	STATE_I8042,
	STATE_RTC,
	STATE_PCI_CONFIG,        /* index = PCI slot */
	STATE_MSIX,              /* index = device number */
	STATE_VIRTIO_DEV,        /* index = device number */
	STATE_VIRTIO_PCI,        /* index = device number */
	STATE_VIRTIO_MMIO,       /* index = device number */
	STATE_PCI_BUS,           /* config address, reset control; index 0 */
	/* cards (vmm/), index = device number */
	STATE_CARD_RINGS = 0x0400,
	STATE_CARD_CONFIG,       /* the device configuration azote shows */
	STATE_CARD_NET_PAIRS,    /* a net card's queue pairs in use */
	/* the host the snapshot was taken on, index 0 (arch/x86) */
	STATE_HOST_CPUID = 0x0500, /* KVM_GET_SUPPORTED_CPUID as azote used it */
};

/* A short name for messages ("vcpu-regs"), or "unknown" for a number no
 * version of azote has used. */
const char *state_tag_name(uint32_t tag);

struct state_section {
	uint32_t tag, index;
	size_t len;
	unsigned char *data;
};

struct state_set {
	struct state_section *v;
	size_t n, cap;
};

/* An empty set; free it with state_set_free. */
void state_set_init(struct state_set *s);
void state_set_free(struct state_set *s);

/* Adds a copy of data as section (tag, index). A second section with the
 * same tag and index is refused: two parts of the machine claiming one name
 * is a bug that would make the snapshot ambiguous. */
int state_put(struct state_set *s, uint32_t tag, uint32_t index,
	      const void *data, size_t len, struct azerr *e);

/* The section (tag, index), or NULL if the set has none. */
const struct state_section *state_find(const struct state_set *s,
				       uint32_t tag, uint32_t index);

/* The bytes of section (tag, index) if it exists and is exactly len bytes
 * long; otherwise NULL with e naming the section and what was wrong. For
 * fixed-size sections, which are most of them. */
const void *state_get(const struct state_set *s, uint32_t tag,
		      uint32_t index, size_t len, struct azerr *e);

/* For loaders: refuses section (tag, index) because of field, with the
 * reason after it ("snapshot section uart #0: rx_count 65 is more than
 * 64"). Returns -1. A snapshot is user input, so every field a loader
 * trusts is checked, and the message says which one was wrong. */
int state_refuse(struct azerr *e, uint32_t tag, uint32_t index, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Section layouts are little-endian with fixed-width fields; azote's
 * loaders read them in place, which only a little-endian host may do. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "state sections are read in place: little-endian hosts only");

#endif
