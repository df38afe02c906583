/* One x86 vCPU's KVM state as snapshot sections (index = vCPU number):
 * registers, special registers, XSAVE area, XCRs, the MSRs KVM lists,
 * LAPIC, pending events, MP state, debug registers and CPUID; its TSC
 * (the vcpu-tsc section, paired with kvmclock: arch/x86/tsc_pair.h) is
 * written by x86_vm_state_save from what the save here reads. KVM's own structs are fixed-layout ABI and are stored as they
 * are; KVM checks their contents on the way in, azote checks their sizes
 * and counts.
 *
 * Both run with every vCPU of the VM outside KVM_RUN (KVM_GET_VCPU_EVENTS
 * is not meaningful while other vCPUs run). The Linux KVM API asks for
 * vCPU ioctls to come from the thread that created the vCPU (or, as
 * azote's vCPU threads do, the one that runs it); vmm/vm_state.c says
 * which thread calls these. */
#ifndef AZOTE_ARCH_X86_VCPU_STATE_H
#define AZOTE_ARCH_X86_VCPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/state.h"
#include "common/err.h"

/* What the code needs from KVM beyond the vCPU's fd, queried once per VM
 * (the seccomp lists of the threads that call these need not allow the
 * queries). */
struct cpuid_table;
struct x86_vcpu_kvm {
	int fd;                   /* the vCPU */
	const uint32_t *msrs;     /* KVM_GET_MSR_INDEX_LIST */
	uint32_t nr_msrs;
	uint32_t xsave_size;      /* KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on the VM, or 4096 */
	int tsc_control;          /* KVM_CAP_TSC_CONTROL: KVM_SET_TSC_KHZ works */
	/* KVM_GET_SUPPORTED_CPUID as azote uses it (kvm_supported_cpuid) */
	const struct cpuid_table *supported;
	/* KVM_HAS_DEVICE_ATTR(KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET) on a
	 * vCPU, and the TSC not scaled (guest TSC = host TSC + offset). */
	bool tsc_offset;
};

/* A vCPU's TSC as its save reads it, for x86_vm_state_save to pair with
 * kvmclock. The caller fills tsc and tsc_ns (x86_vcpu_tsc_read: when the
 * vCPU parked for the pause, or else now); the save fills the rest. */
struct x86_tsc_sample {
	uint64_t tsc;             /* MSR_IA32_TSC */
	int64_t tsc_ns;           /* when, CLOCK_MONOTONIC_RAW */
	uint32_t khz;             /* KVM_GET_TSC_KHZ; 0: KVM could not say */
	bool has_offset;          /* offset read (k->tsc_offset) */
	uint64_t offset;          /* KVM_VCPU_TSC_OFFSET */
	uint64_t pvclock;         /* MSR_KVM_SYSTEM_TIME_NEW (or the old one); 0: none */
};

/* kvmclock as a load set it, for each vCPU's TSC (x86_vm_clock_load). */
struct x86_clock_ref {
	uint64_t saved;           /* the snapshot's kvmclock, which KVM_SET_CLOCK set */
	uint64_t clock;           /* KVM_GET_CLOCK's right after */
	int64_t clock_ns;         /* when, CLOCK_MONOTONIC_RAW */
	bool has_host_tsc;        /* KVM_CLOCK_HOST_TSC: host_tsc is of that instant */
	uint64_t host_tsc;
};

/* MSR index of vCPU fd (KVM_GET_MSRS); -1 if KVM cannot read it. */
int x86_vcpu_msr_read(int fd, uint32_t index, uint64_t *value);

/* MSR_IA32_TSC of vCPU fd and the CLOCK_MONOTONIC_RAW time it was read
 * at (the middle of the call). */
int x86_vcpu_tsc_read(int fd, uint64_t *tsc, int64_t *at_ns);

int x86_vcpu_state_save(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
			struct x86_tsc_sample *tsc, struct azerr *e);

/* The host-cpuid section: what KVM offers on this host (supported, as
 * k->supported), for a load to compare with its own host's
 * (x86_cpuid_check_restore). */
int x86_host_cpuid_save(const struct cpuid_table *supported, struct state_set *s,
			struct azerr *e);

/* Sets the vCPU in the order the KVM API needs (see vcpu_state.c), its
 * TSC paired with kvmclock as clock says, from s as x86_state_check
 * passed it (state_check.h: among its checks, that the CPUID has no
 * feature the saving host's KVM offered and this host's does not). The
 * TSC frequency must match
 * this host's within 250 ppm, or KVM must be able to scale it
 * (tsc_control): otherwise the load is refused. *scaled is set when KVM
 * now scales this vCPU's TSC (then k->tsc_offset no longer holds). */
int x86_vcpu_state_load(const struct x86_vcpu_kvm *k, uint32_t index,
			const struct state_set *s, const struct x86_clock_ref *clock,
			bool *scaled, struct azerr *e);

#endif
