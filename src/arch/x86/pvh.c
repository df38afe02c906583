#include "arch/x86/pvh.h"

#include <string.h>

#include "arch/x86/layout.h"

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry");

#define PVH_PAGE 0x1000

int pvh_write_start_info(struct guest_mem *m, const struct boot_info *bi,
			 const struct e820_entry *map, size_t nr_map,
			 struct azerr *e)
{
	uint8_t *page = guest_mem_ptr(m, GPA_PVH_INFO, PVH_PAGE);
	size_t max_map = (PVH_PAGE - PVH_MEMMAP_OFFSET) /
			 sizeof(struct hvm_memmap_table_entry);

	if (!page)
		return azerr_set(e, "PVH start info at 0x%llx is not guest RAM",
				 GPA_PVH_INFO);
	if (nr_map > max_map)
		return azerr_set(e, "PVH memory map has %zu entries, room for %zu",
				 nr_map, max_map);
	memset(page, 0, PVH_PAGE);

	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC, .version = HVM_START_VERSION,
		.cmdline_paddr = bi->cmdline_addr,
		.rsdp_paddr = bi->acpi_rsdp,
		.memmap_paddr = GPA_PVH_INFO + PVH_MEMMAP_OFFSET,
		.memmap_entries = (uint32_t)nr_map,
	};
	if (bi->initrd_size) {
		struct hvm_modlist_entry mod = { .paddr = bi->initrd_start,
						 .size = bi->initrd_size };
		memcpy(page + PVH_MODLIST_OFFSET, &mod, sizeof(mod));
		si.nr_modules = 1;
		si.modlist_paddr = GPA_PVH_INFO + PVH_MODLIST_OFFSET;
	}
	memcpy(page, &si, sizeof(si));
	for (size_t i = 0; i < nr_map; i++) {
		struct hvm_memmap_table_entry ent = {
			.addr = map[i].addr, .size = map[i].size, .type = map[i].type,
		};
		memcpy(page + PVH_MEMMAP_OFFSET + i * sizeof(ent), &ent, sizeof(ent));
	}
	return 0;
}
