/* Register state for the boot vCPU per entry protocol. */
#ifndef AZOTE_ARCH_X86_BOOT_REGS_H
#define AZOTE_ARCH_X86_BOOT_REGS_H

#include <linux/kvm.h>

#include "arch/x86/boot.h"

/* Fills regs and sregs (starting from what KVM_GET_SREGS returned, so that
 * fields KVM owns keep their values) for the entry in bi:
 *  - LINUX64: long mode, paging on the identity tables at GPA_PML4,
 *    CS = 0x10 (64-bit code), DS/ES/SS = 0x18, RSI = zero page, IF = 0;
 *  - PVH32: protected mode, paging off, flat 32-bit CS/DS/ES/SS,
 *    EBX = hvm_start_info, IF = 0.
 * The GDT those selectors name is written by x86_boot_load at GPA_GDT. */
void x86_boot_regs(const struct boot_info *bi, struct kvm_regs *regs,
		   struct kvm_sregs *sregs);

#endif
