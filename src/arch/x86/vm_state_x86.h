/* The VM-wide x86 state KVM keeps, as snapshot sections (index 0): the
 * in-kernel irqchip (both PICs and the IOAPIC), the PIT, and kvmclock
 * with each vCPU's TSC paired to it (vcpu-tsc, index = vCPU number;
 * arch/x86/tsc_pair.h). */
#ifndef AZOTE_ARCH_X86_VM_STATE_X86_H
#define AZOTE_ARCH_X86_VM_STATE_X86_H

#include "arch/x86/vcpu_state.h"
#include "base/guest_mem.h"
#include "base/state.h"
#include "common/err.h"

/* After every vCPU's save: tsc[i] is vCPU i's (x86_vcpu_state_save). The
 * pause is the earliest of their tsc_ns. mem: the guest's RAM, where
 * their kvmclock pages are. */
int x86_vm_state_save(int vm_fd, const struct guest_mem *mem, const struct x86_tsc_sample *tsc,
		      uint32_t nr_vcpus, struct state_set *s, struct azerr *e);

/* The loads take s as x86_state_check passed it (state_check.h). */

/* The irqchip and the PIT: call before the vCPUs' state (whose LAPICs
 * take what the IOAPIC delivers) and after the devices have driven their
 * interrupt lines (so that KVM_SET_IRQCHIP's IOAPIC state, which KVM
 * delivers again, is the one that stays). */
int x86_vm_irqchip_load(int vm_fd, const struct state_set *s, struct azerr *e);
/* kvmclock, before the vCPUs, whose TSCs are set against it (*clock, for
 * x86_vcpu_state_load): KVM_SET_CLOCK to the pause's, so that it does not
 * move by the time the VM spent saved (tsc_pair.h), or with realtime
 * (Firecracker's clock_realtime) moved on by the wall-clock time since the
 * pause; then KVM_GET_CLOCK. */
int x86_vm_clock_load(int vm_fd, const struct state_set *s, bool realtime,
		      struct x86_clock_ref *clock, struct azerr *e);

#endif
