/* Register state for the boot vCPU per entry protocol. */
#ifndef AZOTE_ARCH_X86_BOOT_REGS_H
#define AZOTE_ARCH_X86_BOOT_REGS_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "arch/x86/boot.h"

/* Fills regs and sregs (starting from what KVM_GET_SREGS returned, so that
 * fields KVM owns keep their values) for the entry in bi:
 *  - LINUX64: long mode, paging on the identity tables at GPA_PML4
 *    (CR0 = PE|ET|PG, CR4 = PAE, EFER = LME|LMA), CS = 0x10 (64-bit code),
 *    DS/ES/FS/GS/SS = 0x18, RSI = zero page, IF = 0;
 *  - PVH32: protected mode, paging off (CR0 = PE|ET, CR4 = EFER = 0), flat
 *    32-bit CS = 0x08, DS/ES/FS/GS/SS = 0x18, EBX = hvm_start_info, IF = 0.
 * regs is overwritten whole (RIP = bi->entry, RFLAGS = 0x2, the rest 0).
 * In sregs, CR0/CR3/CR4/EFER, the six segments, the GDT (GPA_GDT) and the
 * IDT (base 0, limit 0: an early exception is a triple fault) are set;
 * TR, LDT, CR2, CR8, APIC base and the interrupt bitmap are KVM's.
 * The GDT those selectors name is written by x86_boot_load at GPA_GDT. */
void x86_boot_regs(const struct boot_info *bi, struct kvm_regs *regs,
		   struct kvm_sregs *sregs);

/* True if regs/sregs hold the architectural INIT state (CS f000:fff0 with
 * base ffff0000, protection off). KVM on AMD puts a vCPU there by itself
 * when it intercepts a shutdown (the VMCB is undefined after one), so a
 * triple fault's registers are lost on such hosts; a dump says so instead
 * of showing the reset vector as if the guest had died there. */
bool x86_regs_are_init_state(const struct kvm_regs *regs,
			     const struct kvm_sregs *sregs);

#endif
