/* libFuzzer target: the checks of a snapshot's x86 sections
 * (arch/x86/state_check.c), which stand between a snapshot file (user
 * input) and KVM: every vCPU's registers, special registers, XSAVE area,
 * XCRs, MSRs, LAPIC, events, MP state, debug registers, TSC, CPUID, the
 * host-cpuid, the irqchips, the PIT and kvmclock. The loads copy the
 * bytes of whatever the checks pass into KVM's structs and tables
 * (vcpu_state.c, vm_state_x86.c): here the same copies are made, so that
 * ASan sees any read a passed section would not hold, and what the loads
 * rely on is read again apart from the checks.
 *
 * Input: byte 0 says the host (bit 0: an XSAVE area of 8 KiB, as with AMX,
 * else 4 KiB; bit 1: a load with clock_realtime) and the VM's vCPUs (bit
 * 2: 2, else 1); the rest edits the snapshot a VM of them saves there
 * (fuzz_sections.h). The set's order is the save's: the irqchips (0 to
 * 2), the PIT, kvmclock, then per vCPU its 7 fixed sections, vcpu-tsc,
 * XSAVE, CPUID and MSRs (5 to 15, 16 to 26), host-cpuid last. Seeds
 * (fuzz/corpus/fuzz_x86_state, a few bytes each): both snapshots as
 * saved, and one edit of each kind a file may carry. */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/x86_state_fixture.h"
#include "arch/x86/state_check.h"
#include "arch/x86/tsc_pair.h"
#include "fuzz_sections.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Section (tag, index), which a passed set must have, of len bytes (or,
 * len 0, of any length): its bytes copied out as the load does. */
static const struct state_section *holds(const struct state_set *s, uint32_t tag,
					 uint32_t index, size_t len)
{
	const struct state_section *sec = state_find(s, tag, index);
	static unsigned char sink[1 << 16];

	if (!sec || (len && sec->len != len) || sec->len > sizeof(sink))
		abort();
	memcpy(sink, sec->data, sec->len);
	return sec;
}

/* What the loads take from a set the checks passed. */
static void check_passed(const struct x86_state_host *h, uint32_t nr_vcpus,
			 const struct state_set *s, bool realtime)
{
	const size_t cpuid_ent = sizeof(struct kvm_cpuid_entry2);
	const size_t msr_ent = sizeof(struct kvm_msr_entry);
	uint32_t xmax = h->k.xsave_size > X86_XSAVE_LEGACY_SIZE ? h->k.xsave_size :
			X86_XSAVE_LEGACY_SIZE;

	for (size_t i = 0; i < x86_nr_irqchip_sections; i++) {
		const struct state_section *c = holds(s, x86_irqchip_sections[i].tag, 0,
						      sizeof(struct kvm_irqchip));
		if (((const struct kvm_irqchip *)(const void *)c->data)->chip_id !=
		    x86_irqchip_sections[i].chip_id)
			abort();
	}
	holds(s, STATE_PIT, 0, sizeof(struct kvm_pit_state2));
	const struct state_section *clock = holds(s, STATE_KVMCLOCK, 0,
						  sizeof(struct kvm_clock_data));
	if (realtime &&
	    !(((const struct kvm_clock_data *)(const void *)clock->data)->flags & KVM_CLOCK_REALTIME))
		abort();
	for (uint32_t v = 0; v < nr_vcpus; v++) {
		for (size_t i = 0; i < x86_nr_fixed_sections; i++)
			holds(s, x86_fixed_sections[i].tag, v, x86_fixed_sections[i].size);
		const struct tsc_wire *w =
			(const void *)holds(s, STATE_VCPU_TSC, v, sizeof(*w))->data;
		if (w->source < TSC_FROM_OFFSET || w->source > TSC_FROM_PVCLOCK)
			abort();
		const struct state_section *x = holds(s, STATE_VCPU_FPU_XSAVE, v, 0);
		if (x->len < X86_XSAVE_LEGACY_SIZE || x->len > xmax)
			abort();
		const struct state_section *c = holds(s, STATE_VCPU_CPUID, v, 0);
		if (!c->len || c->len % cpuid_ent || c->len / cpuid_ent > CPUID_MAX_ENTRIES)
			abort();
		const struct state_section *hc = state_find(s, STATE_HOST_CPUID, 0);
		if (hc && (!hc->len || hc->len % cpuid_ent || hc->len / cpuid_ent > CPUID_MAX_ENTRIES))
			abort();
		const struct state_section *m = holds(s, STATE_VCPU_MSRS, v, 0);
		if (m->len % msr_ent || m->len / msr_ent > X86_MAX_MSRS)
			abort();
		const struct kvm_msr_entry *e = (const void *)m->data;
		for (size_t i = 0; i < m->len / msr_ent; i++) {
			bool ok = e[i].index == X86_MSR_IA32_TSC;
			for (uint32_t j = 0; j < h->nr_msrs; j++)
				ok |= h->msrs[j] == e[i].index;
			if (!ok)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct x86_state_host hosts[2];
	static bool made;
	struct state_set s;
	struct azerr e = { "" };

	if (!made) {
		x86_state_host_init(&hosts[0], 0);
		x86_state_host_init(&hosts[1], 8192);
		made = true;
	}
	if (!size)
		return 0;
	const struct x86_state_host *h = &hosts[data[0] & 1];
	bool realtime = data[0] & 2;
	uint32_t nr_vcpus = data[0] & 4 ? 2 : 1;

	state_set_init(&s);
	x86_state_snapshot(h, nr_vcpus, &s);
	fuzz_sections_edit(&s, data + 1, size - 1, NULL, NULL);
	if (x86_state_check(&h->k, nr_vcpus, &s, realtime, &e) == 0)
		check_passed(h, nr_vcpus, &s, realtime);
	else if (!e.msg[0])
		abort();
	state_set_free(&s);
	return 0;
}
