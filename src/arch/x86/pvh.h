/* PVH boot: the hvm_start_info structure a PVH kernel finds through EBX
 * (xen/include/public/arch-x86/hvm/start_info.h, version 1). */
#ifndef AZOTE_ARCH_X86_PVH_H
#define AZOTE_ARCH_X86_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "common/err.h"
#include "base/guest_mem.h"

#define HVM_START_MAGIC   0x336ec578
#define HVM_START_VERSION 1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;    /* version 1 */
	uint32_t memmap_entries;  /* version 1 */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;            /* E820_TYPE_* values */
	uint32_t reserved;
};

/* Where the pieces go inside the page at GPA_PVH_INFO. */
#define PVH_MODLIST_OFFSET 0x40
#define PVH_MEMMAP_OFFSET  0x80

/* Writes hvm_start_info at GPA_PVH_INFO from bi: the command line (0:
 * none), the initrd as module 0 (size 0: no module), the ACPI RSDP
 * (rsdp_paddr, which a PVH kernel uses instead of scanning) and the
 * memory map. */
int pvh_write_start_info(struct guest_mem *m, const struct boot_info *bi,
			 const struct e820_entry *map, size_t nr_map,
			 struct azerr *e);

#endif
