/* The VM-wide x86 state KVM keeps, as snapshot sections (index 0): the
 * in-kernel irqchip (both PICs and the IOAPIC), the PIT, and kvmclock. */
#ifndef AZOTE_ARCH_X86_VM_STATE_X86_H
#define AZOTE_ARCH_X86_VM_STATE_X86_H

#include "base/state.h"
#include "common/err.h"

int x86_vm_state_save(int vm_fd, struct state_set *s, struct azerr *e);

/* The irqchip and the PIT: call before the vCPUs' state (whose LAPICs
 * take what the IOAPIC delivers) and after the devices have driven their
 * interrupt lines (so that KVM_SET_IRQCHIP's IOAPIC state, which KVM
 * delivers again, is the one that stays). */
int x86_vm_irqchip_load(int vm_fd, const struct state_set *s, struct azerr *e);
/* kvmclock: last, once every vCPU's TSC is back (api.rst: KVM_SET_CLOCK
 * with KVM_CLOCK_REALTIME advances the clock by the wall time since the
 * save, which is what a guest resumed later expects). */
int x86_vm_clock_load(int vm_fd, const struct state_set *s, struct azerr *e);

#endif
