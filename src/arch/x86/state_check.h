/* What a snapshot's x86 sections must be before any of them reaches KVM:
 * the vCPU sections of arch/x86/vcpu_state.c, the VM-wide ones of
 * vm_state_x86.c. Pure (no ioctl), so that the loads refuse a hostile
 * file before they touch a vCPU or the VM, and so that the checks can be
 * unit-tested and fuzzed without /dev/kvm (fuzz_x86_state). KVM checks
 * the contents of its own structs; these check what azote reads or
 * copies: each section there and of a size this host's KVM takes, the
 * counts in them, the vcpu-tsc fields, the MSRs this host lists, the
 * CPUID features this host offers, the irqchips' ids. */
#ifndef AZOTE_ARCH_X86_STATE_CHECK_H
#define AZOTE_ARCH_X86_STATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vcpu_state.h"
#include "base/state.h"
#include "common/err.h"

/* The legacy XSAVE area (struct kvm_xsave): the smallest a section holds. */
#define X86_XSAVE_LEGACY_SIZE 4096
/* Far above any KVM's list of MSRs. */
#define X86_MAX_MSRS 4096
#define X86_MSR_IA32_TSC 0x10

/* The vCPU sections that are one fixed-size KVM struct each, with the
 * ioctls that read and write them (used by vcpu_state.c only). */
struct x86_fixed_section {
	uint32_t tag;
	unsigned long get, set;
	size_t size;
	const char *name;
};
extern const struct x86_fixed_section x86_fixed_sections[];
extern const size_t x86_nr_fixed_sections;

/* The in-kernel irqchips' sections (both PICs and the IOAPIC), each a
 * struct kvm_irqchip of its chip id. */
struct x86_irqchip_section {
	uint32_t tag, chip_id;
};
extern const struct x86_irqchip_section x86_irqchip_sections[];
extern const size_t x86_nr_irqchip_sections;

/* The whole machine's x86 sections: the irqchips' (both PICs and the
 * IOAPIC, each with its own chip id), the PIT's and kvmclock's (with
 * realtime, Firecracker's clock_realtime, holding the wall-clock time of
 * its pause), then each of nr_vcpus vCPUs' against this host (k: its MSR
 * list, XSAVE size and supported CPUID; k->fd is not used): every fixed
 * section, the vcpu-tsc, the XSAVE area, the CPUID and host-cpuid (whole
 * entries, at most CPUID_MAX_ENTRIES; no feature the saving host offered
 * that this one does not, x86_cpuid_check_restore), the MSRs (whole
 * entries, at most X86_MAX_MSRS, each but MSR_IA32_TSC in k's list). 0, or
 * -1 with e naming the section and field. What vm_state_load asks once,
 * before it loads anything, so that a file refused for its last vCPU has
 * not already set the first one's, or the VM's; the loads
 * (x86_vm_irqchip_load, x86_vm_clock_load, x86_vcpu_state_load) take s as
 * checked. */
int x86_state_check(const struct x86_vcpu_kvm *k, uint32_t nr_vcpus, const struct state_set *s,
		    bool realtime, struct azerr *e);

#endif
