/* A host as arch/x86/state_check.c sees it, and a snapshot of a VM made on
 * it, for test_state_check and fuzz_x86_state (neither has /dev/kvm). The
 * host's tables go through the code a VM builds them with
 * (x86_msr_list_complete, x86_cpuid_build); the sections through the
 * savers' own encoders where they are pure (x86_host_cpuid_save's
 * state_put), KVM's structs of the others as KVM_GET_* would fill them
 * (zero but for the ids azote reads). No cmocka: aborts if a step fails. */
#ifndef AZOTE_TESTS_X86_STATE_FIXTURE_H
#define AZOTE_TESTS_X86_STATE_FIXTURE_H

#include <stdint.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/vcpu_state.h"
#include "base/state.h"

struct x86_state_host {
	uint32_t *msrs, nr_msrs;       /* KVM's list, completed as a VM does */
	struct x86_vcpu_kvm k;         /* what the checks are given (fd -1) */
	struct cpuid_table supported;  /* KVM_GET_SUPPORTED_CPUID, Intel-like;
					* last: its head ends in a flexible array */
};

/* A host whose XSAVE area is xsave_size bytes (4096, or more with AMX). */
void x86_state_host_init(struct x86_state_host *h, uint32_t xsave_size);
void x86_state_host_free(struct x86_state_host *h);

/* Adds every x86 section of a VM of nr_vcpus vCPUs on h to s: the
 * irqchips, the PIT, kvmclock (with its wall-clock time), each vCPU's
 * fixed sections, vcpu-tsc (taken by MSR_IA32_TSC at 2 GHz), XSAVE area
 * (h's size), CPUID (x86_cpuid_build) and MSRs (each of h's list), and
 * host-cpuid. */
void x86_state_snapshot(const struct x86_state_host *h, uint32_t nr_vcpus, struct state_set *s);

#endif
