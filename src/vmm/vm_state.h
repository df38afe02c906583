/* A whole VM's machine state as snapshot sections: every vCPU, the
 * in-kernel irqchip, PIT and kvmclock, and every platform and virtio
 * device's registers. Guest memory and the cards' rings are not in it
 * (vmm/snapshot.c, vhost_dev.c).
 *
 * Save: with the VM paused (vm_pause). Each vCPU saves itself on its own
 * thread (vm_run_on_vcpus), which first completes an exit KVM returned
 * (KVM_RUN with immediate_exit, as the KVM API asks before a save), with
 * the TSC its thread read as it parked for the pause; the VM-wide parts
 * and the devices are saved on the caller's thread.
 *
 * Load: into a VM built by vm_create from the same configuration (same
 * vCPUs, memory, devices in the same order), before vm_start; everything
 * runs on the caller's thread, the one that created the vCPUs. Order:
 * devices (their interrupt lines, BARs, routes), then irqchip and PIT,
 * then kvmclock, then each vCPU, its TSC set against kvmclock (see
 * arch/x86/vm_state_x86.h and tsc_pair.h). A section
 * that does not fit this VM is refused with a message naming it; the VM
 * is then half-loaded and must be destroyed.
 *
 * Virtio back-ends are not started by load: for each device where
 * virtio_dev_loaded_running(vm->devs[i].vd) is true, the card side
 * restores its rings and calls virtio_dev_start_loaded (virtio_dev.h). */
#ifndef AZOTE_VMM_VM_STATE_H
#define AZOTE_VMM_VM_STATE_H

#include "base/state.h"
#include "common/err.h"
#include "vmm/vm.h"

int vm_state_save(struct vm *vm, struct state_set *s, struct azerr *e);
int vm_state_load(struct vm *vm, const struct state_set *s, struct azerr *e);

#endif
