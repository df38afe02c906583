/* What a guest finds at the BIOS reset vector, F000:FFF0. azote has no
 * BIOS, but Linux jumps there to reboot a hardware-reduced ACPI machine
 * without EFI: reboot_init() (arch/x86/kernel/reboot.c) sees
 * efi_reboot_required(), true whenever the FADT says hardware-reduced, and
 * picks BOOT_EFI, which without EFI falls to BOOT_BIOS, machine_real_
 * restart(): real mode, then a far jump to the reset vector, never to
 * return. Unless booted with reboot=k, such a guest would run the zeros
 * there for ever. */
#ifndef AZOTE_ARCH_X86_RESET_VECTOR_H
#define AZOTE_ARCH_X86_RESET_VECTOR_H

#include "common/err.h"
#include "base/guest_mem.h"

/* Writes at GPA_RESET_VECTOR a real-mode stub that pulses the reset line
 * through the i8042 (command 0xfe to port 0x64), as Linux's reboot=k
 * does; azote ends the VM on that reset. */
int reset_vector_write(struct guest_mem *m, struct azerr *e);

#endif
