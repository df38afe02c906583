/* The checks of a snapshot's x86 sections: see state_check.h. */
#include "arch/x86/state_check.h"

#include <linux/kvm.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/tsc_pair.h"

const struct x86_fixed_section x86_fixed_sections[] = {
	{ STATE_VCPU_REGS, KVM_GET_REGS, KVM_SET_REGS, sizeof(struct kvm_regs), "REGS" },
	{ STATE_VCPU_SREGS, KVM_GET_SREGS, KVM_SET_SREGS, sizeof(struct kvm_sregs), "SREGS" },
	{ STATE_VCPU_XCRS, KVM_GET_XCRS, KVM_SET_XCRS, sizeof(struct kvm_xcrs), "XCRS" },
	{ STATE_VCPU_LAPIC, KVM_GET_LAPIC, KVM_SET_LAPIC, sizeof(struct kvm_lapic_state), "LAPIC" },
	{ STATE_VCPU_EVENTS, KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	  sizeof(struct kvm_vcpu_events), "VCPU_EVENTS" },
	{ STATE_VCPU_MP_STATE, KVM_GET_MP_STATE, KVM_SET_MP_STATE, sizeof(struct kvm_mp_state),
	  "MP_STATE" },
	{ STATE_VCPU_DEBUGREGS, KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
	  sizeof(struct kvm_debugregs), "DEBUGREGS" },
};
const size_t x86_nr_fixed_sections = sizeof(x86_fixed_sections) / sizeof(x86_fixed_sections[0]);

/* The host-cpuid section (vcpu_state.h): beside its check, and pure. */
int x86_host_cpuid_save(const struct cpuid_table *supported, struct state_set *s,
			struct azerr *e)
{
	return state_put(s, STATE_HOST_CPUID, 0, supported->entries,
			 supported->head.nent * sizeof(supported->entries[0]), e);
}

/* A vcpu-cpuid or host-cpuid section: whole kvm_cpuid_entry2s, as many
 * as a table holds. */
static int check_cpuid_size(const struct state_section *sec, struct azerr *e)
{
	size_t ent = sizeof(struct kvm_cpuid_entry2);

	if (!sec->len || sec->len % ent || sec->len / ent > CPUID_MAX_ENTRIES)
		return state_refuse(e, sec->tag, sec->index, "size",
				    "%zu bytes: not 1 to %d entries of %zu", sec->len,
				    CPUID_MAX_ENTRIES, ent);
	return 0;
}

/* The section (tag, index), or NULL with e saying it is missing. */
static const struct state_section *need(const struct state_set *s, uint32_t tag,
					uint32_t index, struct azerr *e)
{
	const struct state_section *sec = state_find(s, tag, index);

	if (!sec)
		(void)state_get(s, tag, index, 0, e); /* its "missing" message */
	return sec;
}

static bool listed(const struct x86_vcpu_kvm *k, uint32_t msr)
{
	for (uint32_t i = 0; i < k->nr_msrs; i++)
		if (k->msrs[i] == msr)
			return true;
	return false;
}

/* The CPUID against this host's KVM, if the snapshot says what the saving
 * host's offered (a snapshot of azote before 2026-12 does not). */
static int check_cpuid(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		       struct azerr *e)
{
	const struct state_section *sec = need(s, STATE_VCPU_CPUID, index, e), *host;

	if (!sec || check_cpuid_size(sec, e) < 0)
		return -1;
	if (!(host = state_find(s, STATE_HOST_CPUID, 0)))
		return 0;
	if (check_cpuid_size(host, e) < 0)
		return -1;
	size_t ent = sizeof(struct kvm_cpuid_entry2);
	return x86_cpuid_check_restore((const void *)sec->data, (uint32_t)(sec->len / ent),
				       (const void *)host->data, (uint32_t)(host->len / ent),
				       k->supported, index, e);
}

/* The MSRs, each one this host's KVM lists: KVM_SET_MSRS would stop at
 * another, and the load would fail half-way. MSR_IA32_TSC is not written
 * from the section (vcpu_state.c's set_tsc). */
static int check_msrs(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		      struct azerr *e)
{
	const struct state_section *sec = need(s, STATE_VCPU_MSRS, index, e);
	size_t ent = sizeof(struct kvm_msr_entry);

	if (!sec)
		return -1;
	if (sec->len % ent || sec->len / ent > X86_MAX_MSRS)
		return state_refuse(e, STATE_VCPU_MSRS, index, "size",
				    "%zu bytes: not up to %d entries of %zu", sec->len,
				    X86_MAX_MSRS, ent);
	const struct kvm_msr_entry *m = (const void *)sec->data;
	for (size_t i = 0; i < sec->len / ent; i++)
		if (m[i].index != X86_MSR_IA32_TSC && !listed(k, m[i].index))
			return state_refuse(e, STATE_VCPU_MSRS, index, "MSR",
					    "0x%x: this host's KVM does not list it", m[i].index);
	return 0;
}

/* vCPU index's sections in s against this host (k: its MSR list, XSAVE
 * size and supported CPUID; k->fd is not used): every fixed section, the
 * vcpu-tsc, the XSAVE area, the CPUID and host-cpuid (whole entries, at
 * most CPUID_MAX_ENTRIES; no feature the saving host offered that this
 * one does not, x86_cpuid_check_restore), the MSRs (whole entries, at
 * most X86_MAX_MSRS, each but MSR_IA32_TSC in k's list). */
static int vcpu_check(const struct x86_vcpu_kvm *k, uint32_t index,
		      const struct state_set *s, struct azerr *e)
{
	const struct state_section *sec;

	for (size_t i = 0; i < x86_nr_fixed_sections; i++)
		if (!state_get(s, x86_fixed_sections[i].tag, index, x86_fixed_sections[i].size, e))
			return -1;
	const struct tsc_wire *tsc = state_get(s, STATE_VCPU_TSC, index, sizeof(*tsc), e);
	if (!tsc)
		return -1;
	if (tsc->source < TSC_FROM_OFFSET || tsc->source > TSC_FROM_PVCLOCK)
		return state_refuse(e, STATE_VCPU_TSC, index, "source", "%u: not %d to %d",
				    tsc->source, TSC_FROM_OFFSET, TSC_FROM_PVCLOCK);
	uint32_t xmax = k->xsave_size > X86_XSAVE_LEGACY_SIZE ? k->xsave_size :
			X86_XSAVE_LEGACY_SIZE;
	if (!(sec = need(s, STATE_VCPU_FPU_XSAVE, index, e)))
		return -1;
	if (sec->len < X86_XSAVE_LEGACY_SIZE || sec->len > xmax)
		return state_refuse(e, STATE_VCPU_FPU_XSAVE, index, "size",
				    "%zu bytes: this host's XSAVE area takes %d to %u", sec->len,
				    X86_XSAVE_LEGACY_SIZE, xmax);
	return check_cpuid(k, index, s, e) < 0 || check_msrs(k, index, s, e) < 0 ? -1 : 0;
}

const struct x86_irqchip_section x86_irqchip_sections[] = {
	{ STATE_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_MASTER },
	{ STATE_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_PIC_SLAVE },
	{ STATE_IRQCHIP_IOAPIC, KVM_IRQCHIP_IOAPIC },
};
const size_t x86_nr_irqchip_sections =
	sizeof(x86_irqchip_sections) / sizeof(x86_irqchip_sections[0]);

/* The irqchip sections (both PICs and the IOAPIC, each with its own chip
 * id) and the PIT's. */
static int irqchip_check(const struct state_set *s, struct azerr *e)
{
	for (size_t i = 0; i < x86_nr_irqchip_sections; i++) {
		const struct x86_irqchip_section *chip = &x86_irqchip_sections[i];
		const struct kvm_irqchip *c = state_get(s, chip->tag, 0, sizeof(*c), e);
		if (!c)
			return -1;
		if (c->chip_id != chip->chip_id)
			return state_refuse(e, chip->tag, 0, "chip_id", "%u, expected %u",
					    c->chip_id, chip->chip_id);
	}
	return state_get(s, STATE_PIT, 0, sizeof(struct kvm_pit_state2), e) ? 0 : -1;
}

/* The kvmclock section; with realtime (Firecracker's clock_realtime) it
 * must hold the wall-clock time of its pause (KVM_CLOCK_REALTIME). */
static int clock_check(const struct state_set *s, bool realtime, struct azerr *e)
{
	const struct kvm_clock_data *c = state_get(s, STATE_KVMCLOCK, 0, sizeof(*c), e);

	if (!c)
		return -1;
	if (realtime && !(c->flags & KVM_CLOCK_REALTIME))
		return azerr_set(e, "clock_realtime: the snapshot holds no wall-clock "
				 "time of its pause to move the guest's clock on from");
	return 0;
}

int x86_state_check(const struct x86_vcpu_kvm *k, uint32_t nr_vcpus, const struct state_set *s,
		    bool realtime, struct azerr *e)
{
	if (irqchip_check(s, e) < 0 || clock_check(s, realtime, e) < 0)
		return -1;
	for (uint32_t i = 0; i < nr_vcpus; i++)
		if (vcpu_check(k, i, s, e) < 0)
			return -1;
	return 0;
}
