/* One x86 vCPU's KVM state as snapshot sections (index = vCPU number):
 * registers, special registers, XSAVE area, XCRs, the MSRs KVM lists,
 * LAPIC, pending events, MP state, debug registers, CPUID and the TSC's
 * frequency. KVM's own structs are fixed-layout ABI and are stored as they
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

#include <stdint.h>

#include "base/state.h"
#include "common/err.h"

/* What the code needs from KVM beyond the vCPU's fd, queried once per VM
 * (the seccomp lists of the threads that call these need not allow the
 * queries). */
struct x86_vcpu_kvm {
	int fd;                   /* the vCPU */
	const uint32_t *msrs;     /* KVM_GET_MSR_INDEX_LIST */
	uint32_t nr_msrs;
	uint32_t xsave_size;      /* KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on the VM, or 4096 */
	int tsc_control;          /* KVM_CAP_TSC_CONTROL: KVM_SET_TSC_KHZ works */
};

int x86_vcpu_state_save(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
			struct azerr *e);

/* Sets the vCPU in the order the KVM API needs (see vcpu_state.c). The
 * TSC frequency must match this host's within 250 ppm, or KVM must be able
 * to scale it (tsc_control): otherwise the load is refused. */
int x86_vcpu_state_load(const struct x86_vcpu_kvm *k, uint32_t index,
			const struct state_set *s, struct azerr *e);

#endif
