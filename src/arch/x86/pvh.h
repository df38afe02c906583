/* PVH boot: the hvm_start_info structure a PVH kernel finds through EBX
 * (xen/include/public/arch-x86/hvm/start_info.h, version 1). */
#ifndef AZOTE_ARCH_X86_PVH_H
#define AZOTE_ARCH_X86_PVH_H

#include <stddef.h>
#include <stdint.h>

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

/* Writes hvm_start_info at GPA_PVH_INFO with the command line at
 * cmdline_addr (0: none), the initrd as module 0 (size 0: no module) and
 * the memory map; rsdp_paddr is 0 (azote has no ACPI tables). */
int pvh_write_start_info(struct guest_mem *m, uint64_t cmdline_addr,
			 uint64_t initrd_addr, uint64_t initrd_size,
			 const struct e820_entry *map, size_t nr_map,
			 struct azerr *e);

#endif
