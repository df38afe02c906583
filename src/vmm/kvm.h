/* /dev/kvm: opening it, checking that it offers what azote needs, and the
 * system-wide queries (limits, supported CPUID, MSR list). */
#ifndef AZOTE_VMM_KVM_H
#define AZOTE_VMM_KVM_H

#include <stdint.h>

#include "arch/x86/cpuid.h"
#include "common/err.h"

/* Opens path (normally /dev/kvm) and checks the API version and every
 * capability azote relies on; the error says what is missing and what the
 * user can do about it. */
int kvm_open(const char *path, struct azerr *e);

/* The most vCPUs one VM may have on this host. */
unsigned kvm_max_vcpus(int kvm_fd);

/* What KVM can give a guest (KVM_GET_SUPPORTED_CPUID), AMX asked for
 * first, with the TSC deadline timer's bit where KVM has the timer. Call
 * before the first vCPU is created. */
int kvm_supported_cpuid(int kvm_fd, struct cpuid_table *t, struct azerr *e);

/* The MSRs KVM saves and restores (KVM_GET_MSR_INDEX_LIST), in a malloc'd
 * array the caller frees. */
int kvm_msr_index_list(int kvm_fd, uint32_t **list, uint32_t *n, struct azerr *e);

#endif
