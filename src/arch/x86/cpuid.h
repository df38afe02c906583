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

/* Entry fn.idx of v[0..n) (idx 0 for a leaf without subleaves: KVM
 * reports it so), or NULL. */
const struct kvm_cpuid_entry2 *x86_cpuid_entry(const struct kvm_cpuid_entry2 *v, uint32_t n,
					       uint32_t fn, uint32_t idx);

/* Whether a snapshot's vCPU may run on this host: every feature bit its
 * CPUID (saved, n entries) showed the guest that KVM on the saving host
 * offered (was, m entries: that host's supported table as azote used it)
 * must be offered by KVM here (here). The other bits the guest saw are the
 * machine's, not the host's, and carry over as they were: those KVM sets
 * at run time (OSXSAVE, APIC, OSPKE), azote's HTT, a CPU template's. The
 * feature registers are the flag words of leaves 0x1, 0x6, 0x7, 0xd,
 * 0x40000001 (KVM's) and 0x8000000x; the error names the first missing
 * bit by leaf, subleaf, register and bit. */
int x86_cpuid_check_restore(const struct kvm_cpuid_entry2 *saved, uint32_t n,
			    const struct kvm_cpuid_entry2 *was, uint32_t m,
			    const struct cpuid_table *here, uint32_t vcpu, struct azerr *e);

#endif
