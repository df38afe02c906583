/* Machine state as tagged sections: see state.h. */
#include "base/state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	uint32_t tag;
	const char *name;
} tag_names[] = {
	{ STATE_MACHINE, "machine" },
	{ STATE_VM_CONFIG, "vm-config" },
	{ STATE_VCPU_REGS, "vcpu-regs" },
	{ STATE_VCPU_SREGS, "vcpu-sregs" },
	{ STATE_VCPU_FPU_XSAVE, "vcpu-xsave" },
	{ STATE_VCPU_XCRS, "vcpu-xcrs" },
	{ STATE_VCPU_MSRS, "vcpu-msrs" },
	{ STATE_VCPU_LAPIC, "vcpu-lapic" },
	{ STATE_VCPU_EVENTS, "vcpu-events" },
	{ STATE_VCPU_MP_STATE, "vcpu-mp-state" },
	{ STATE_VCPU_DEBUGREGS, "vcpu-debugregs" },
	{ STATE_VCPU_CPUID, "vcpu-cpuid" },
	{ STATE_VCPU_TSC, "vcpu-tsc" },
	{ STATE_IRQCHIP_PIC_MASTER, "pic-master" },
	{ STATE_IRQCHIP_PIC_SLAVE, "pic-slave" },
	{ STATE_IRQCHIP_IOAPIC, "ioapic" },
	{ STATE_PIT, "pit" },
	{ STATE_KVMCLOCK, "kvmclock" },
	{ STATE_UART, "uart" },
	{ STATE_I8042, "i8042" },
	{ STATE_RTC, "rtc" },
	{ STATE_PCI_CONFIG, "pci-config" },
	{ STATE_MSIX, "msix" },
	{ STATE_VIRTIO_DEV, "virtio-device" },
	{ STATE_VIRTIO_PCI, "virtio-pci" },
	{ STATE_VIRTIO_MMIO, "virtio-mmio" },
	{ STATE_PCI_BUS, "pci-bus" },
	{ STATE_CARD_RINGS, "card-rings" },
	{ STATE_CARD_CONFIG, "card-config" },
	{ STATE_CARD_NET_PAIRS, "card-net-pairs" },
	{ STATE_HOST_CPUID, "host-cpuid" },
};

const char *state_tag_name(uint32_t tag)
{
	for (size_t i = 0; i < sizeof(tag_names) / sizeof(tag_names[0]); i++)
		if (tag_names[i].tag == tag)
			return tag_names[i].name;
	return "unknown";
}

void state_set_init(struct state_set *s)
{
	memset(s, 0, sizeof(*s));
}

void state_set_free(struct state_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].data);
	free(s->v);
	state_set_init(s);
}

const struct state_section *state_find(const struct state_set *s,
				       uint32_t tag, uint32_t index)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].tag == tag && s->v[i].index == index)
			return &s->v[i];
	return NULL;
}

int state_put(struct state_set *s, uint32_t tag, uint32_t index,
	      const void *data, size_t len, struct azerr *e)
{
	if (state_find(s, tag, index))
		return azerr_set(e, "state section %s #%u saved twice",
				 state_tag_name(tag), index);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct state_section *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return azerr_set(e, "state section %s #%u: out of memory",
					 state_tag_name(tag), index);
		s->v = v;
		s->cap = cap;
	}
	/* malloc(0) may return NULL; an empty section still gets a buffer. */
	unsigned char *copy = malloc(len ? len : 1);

	if (!copy)
		return azerr_set(e, "state section %s #%u: out of memory (%zu bytes)",
				 state_tag_name(tag), index, len);
	if (len)
		memcpy(copy, data, len);
	s->v[s->n++] = (struct state_section){ tag, index, len, copy };
	return 0;
}

const void *state_get(const struct state_set *s, uint32_t tag,
		      uint32_t index, size_t len, struct azerr *e)
{
	const struct state_section *sec = state_find(s, tag, index);

	if (!sec) {
		azerr_set(e, "snapshot has no %s #%u section",
			  state_tag_name(tag), index);
		return NULL;
	}
	if (sec->len != len) {
		azerr_set(e, "snapshot section %s #%u is %zu bytes, expected %zu",
			  state_tag_name(tag), index, sec->len, len);
		return NULL;
	}
	return sec->data;
}

int state_refuse(struct azerr *e, uint32_t tag, uint32_t index, const char *field,
		 const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return azerr_set(e, "snapshot section %s #%u: %s %s", state_tag_name(tag), index,
			 field, why);
}
