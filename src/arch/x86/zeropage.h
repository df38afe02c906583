/* The Linux zero page (struct boot_params) for the 64-bit entry. */
#ifndef AZOTE_ARCH_X86_ZEROPAGE_H
#define AZOTE_ARCH_X86_ZEROPAGE_H

#include <asm/bootparam.h>
#include <stddef.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "common/err.h"
#include "base/guest_mem.h"

/* The protocol version azote claims for an ELF vmlinux, which has no setup
 * header of its own: 2.12, the version whose fields (ext_ pointers) azote
 * fills. */
#define ZEROPAGE_VMLINUX_VERSION 0x020c

/* Starts the zero page for an ELF vmlinux: the header fields the kernel
 * checks (boot_flag, header magic, version, type_of_loader). */
void zeropage_init_vmlinux(struct boot_params *zp);

/* Adds what every boot shares (command line, initrd, ACPI RSDP, e820 map)
 * to zp and writes it at GPA_ZERO_PAGE. */
int zeropage_write(struct guest_mem *m, struct boot_params *zp,
		   const struct boot_info *bi, const struct e820_entry *map,
		   size_t nr_map, struct azerr *e);

#endif
