/* The CPUID table each vCPU sees, built from KVM_GET_SUPPORTED_CPUID. */
#ifndef AZOTE_ARCH_X86_CPUID_H
#define AZOTE_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#include "common/err.h"

/* A kvm_cpuid2 with room for the entries; KVM reports well under 100.
 * entries[] overlays head.entries[] (both start at offset 8). A struct
 * with a flexible array member inside another is a GNU extension that
 * clang warns about; it is the documented way to size kvm_cpuid2. */
#define CPUID_MAX_ENTRIES 256
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
#endif
struct cpuid_table {
	struct kvm_cpuid2 head;
	struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};
#ifdef __clang__
#pragma clang diagnostic pop
#endif
_Static_assert(__builtin_offsetof(struct cpuid_table, entries) ==
	       sizeof(struct kvm_cpuid2), "entries must overlay head.entries");

/* Builds vCPU cpu_index's table (of nr_cpus, one thread per core, one
 * socket) from what KVM supports: the APIC ID (= cpu_index) and topology in
 * leaves 0x1, 0x4, 0xb, 0x1f and AMD's 0x80000008/0x8000001e, the
 * hypervisor bit, and no feature KVM cannot provide. Pure: no ioctl. */
struct cpu_template;
/* tmpl (may be NULL) pins CPUID bits on top of what KVM supports; see
 * cpu_template.h. */
int x86_cpuid_build(const struct cpuid_table *supported, uint32_t cpu_index,
		    uint32_t nr_cpus, const struct cpu_template *tmpl,
		    struct cpuid_table *out, struct azerr *e);

/* Sets the TSC deadline timer's bit (leaf 1 ECX[24]) in a table from
 * KVM_GET_SUPPORTED_CPUID: kernels before 6.14 leave it out and report it
 * by KVM_CAP_TSC_DEADLINE_TIMER instead (api.rst), which the caller
 * checked; azote always has the in-kernel LAPIC it needs. */
void x86_cpuid_add_tsc_deadline(struct cpuid_table *t);

#endif
