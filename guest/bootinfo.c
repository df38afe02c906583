/* hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h): copied
 * into the image at boot, checked once here. */
#include "boot.h"
#include "lib.h"

#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr;       /* version >= 1 */
	u32 memmap_entries;
	u32 reserved;
};

struct hvm_memmap_entry {
	u64 addr, size;
	u32 type, reserved;
};

struct boot_info boot;

bool bootinfo_copy(u64 pa, const char **why)
{
	const struct hvm_start_info *si = (const void *)pa;
	const struct hvm_memmap_entry *mm;
	u32 n;

	if (!pa || si->magic != HVM_START_MAGIC) {
		*why = "reason=bad_start_info_magic";
		return false;
	}
	if (si->version < 1 || !si->memmap_paddr) {
		*why = "reason=no_memmap_in_start_info";
		return false;
	}
	boot.version = si->version;
	boot.rsdp = si->rsdp_paddr;
	mm = (const void *)si->memmap_paddr;
	n = si->memmap_entries;
	if (n > MEMMAP_MAX) {
		n = MEMMAP_MAX;
		boot.memmap_truncated = true;
	}
	for (u32 i = 0; i < n; i++) {
		boot.mem[i].addr = mm[i].addr;
		boot.mem[i].size = mm[i].size;
		boot.mem[i].type = mm[i].type;
	}
	boot.nr_mem = n;
	if (si->cmdline_paddr) {
		const char *c = (const char *)si->cmdline_paddr;
		u32 i;

		for (i = 0; i < CMDLINE_LEN - 1 && c[i]; i++)
			boot.cmdline[i] = c[i];
		boot.cmdline_truncated = c[i] != '\0';
	}
	return true;
}

u64 bootinfo_ram_bytes(void)
{
	u64 sum = 0;

	for (u32 i = 0; i < boot.nr_mem; i++)
		if (boot.mem[i].type == E820_RAM)
			sum += boot.mem[i].size;
	return sum;
}

/* End of the highest RAM range that starts below `below`. */
u64 bootinfo_ram_end(u64 below)
{
	u64 end = 0;

	for (u32 i = 0; i < boot.nr_mem; i++) {
		const struct mem_range *r = &boot.mem[i];

		if (r->type == E820_RAM && r->addr < below)
			end = MAX(end, r->addr + r->size);
	}
	return end;
}

bool bootinfo_is_ram(u64 addr, u64 size)
{
	for (u32 i = 0; i < boot.nr_mem; i++) {
		const struct mem_range *r = &boot.mem[i];

		if (r->type == E820_RAM && addr >= r->addr &&
		    addr + size <= r->addr + r->size)
			return true;
	}
	return false;
}

bool bootinfo_overlaps_ram(u64 addr, u64 size)
{
	for (u32 i = 0; i < boot.nr_mem; i++) {
		const struct mem_range *r = &boot.mem[i];

		if (r->type == E820_RAM && addr < r->addr + r->size &&
		    r->addr < addr + size)
			return true;
	}
	return false;
}
