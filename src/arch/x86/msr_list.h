/* The MSRs azote saves and restores for each vCPU (snapshots) and may set
 * at boot: KVM's list, and the memory-type MSRs it emulates but leaves
 * out of it. */
#ifndef AZOTE_ARCH_X86_MSR_LIST_H
#define AZOTE_ARCH_X86_MSR_LIST_H

#include <stdint.h>

#include "arch/x86/cpuid.h"
#include "common/err.h"

#define MSR_MTRR_DEF_TYPE 0x2ff

/* KVM_GET_MSR_INDEX_LIST's kvm[0..n) with, when the supported CPUID has
 * them (leaf 1 EDX: MTRR, PAT), the MTRRs (the 8 variable pairs KVM
 * emulates, the fixed ranges, the default type) and PAT, each once: KVM
 * lists none of them (userspace is to go by CPUID, as QEMU and Firecracker
 * do), yet a guest programs them and expects them back after a restore.
 * *out is malloc'ed. */
int x86_msr_list_complete(const uint32_t *kvm, uint32_t n, const struct cpuid_table *supported,
			  uint32_t **out, uint32_t *nout, struct azerr *e);

#endif
