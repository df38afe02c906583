#include "arch/x86/zeropage.h"

#include <string.h>

#include "arch/x86/layout.h"

void zeropage_init_vmlinux(struct boot_params *zp)
{
	memset(zp, 0, sizeof(*zp));
	zp->hdr.boot_flag = 0xaa55;
	memcpy(&zp->hdr.header, "HdrS", 4);
	zp->hdr.version = ZEROPAGE_VMLINUX_VERSION;
	zp->hdr.type_of_loader = 0xff;
	zp->hdr.loadflags = LOADED_HIGH;
}

int zeropage_write(struct guest_mem *m, struct boot_params *zp,
		   const struct boot_info *bi, const struct e820_entry *map,
		   size_t nr_map, struct azerr *e)
{
	void *dst = guest_mem_ptr(m, GPA_ZERO_PAGE, sizeof(*zp));

	if (!dst)
		return azerr_set(e, "zero page at 0x%llx is not guest RAM",
				 GPA_ZERO_PAGE);
	if (nr_map > E820_MAX_ENTRIES_ZEROPAGE)
		return azerr_set(e, "e820 map has %zu entries, the zero page holds %d",
				 nr_map, E820_MAX_ENTRIES_ZEROPAGE);
	/* 64-bit addresses are split between the header and the ext_ fields
	 * of boot_params (protocol 2.12). */
	zp->hdr.cmd_line_ptr = (uint32_t)bi->cmdline_addr;
	zp->ext_cmd_line_ptr = (uint32_t)(bi->cmdline_addr >> 32);
	zp->hdr.ramdisk_image = (uint32_t)bi->initrd_start;
	zp->ext_ramdisk_image = (uint32_t)(bi->initrd_start >> 32);
	zp->hdr.ramdisk_size = (uint32_t)bi->initrd_size;
	zp->ext_ramdisk_size = (uint32_t)(bi->initrd_size >> 32);
	/* boot_params.acpi_rsdp_addr (protocol 2.14, offset 0x070; padding
	 * before, so older kernels ignore it and scan the BIOS area, where
	 * they find the same RSDP). */
	zp->acpi_rsdp_addr = bi->acpi_rsdp;
	zp->e820_entries = (uint8_t)nr_map;
	for (size_t i = 0; i < nr_map; i++) {
		zp->e820_table[i].addr = map[i].addr;
		zp->e820_table[i].size = map[i].size;
		zp->e820_table[i].type = map[i].type;
	}
	memcpy(dst, zp, sizeof(*zp));
	return 0;
}
