/* Page tables beyond the boot identity map (first 4 GiB, built in
 * entry.S): RAM above 4 GiB, 64-bit BARs wherever they sit, memory a
 * device shows outside RAM (virtio-pmem's region), and uncached
 * attributes for everything else that is not RAM. Identity-mapped, 2 MiB
 * pages, user-accessible (the probe's drivers run at CPL 3). Ring 0 only. */
#include "boot.h"
#include "lib.h"
#include "x86.h"

#define PT_POOL_PAGES 72   /* PDPTs and PDs: 2 MiB pages, 1 GiB per PD */
#define PAGE_2M (2 * MIB)
#define ADDR_MASK 0x000ffffffffff000ULL

extern u64 boot_pml4[512], boot_pd[4 * 512];

static u64 pool[PT_POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pool_used;

static u64 *next_table(u64 *entry)
{
	if (!(*entry & PTE_P)) {
		if (pool_used == PT_POOL_PAGES)
			return NULL;
		*entry = (u64)pool[pool_used++] | PTE_P | PTE_W | PTE_U;
	}
	return (u64 *)(*entry & ADDR_MASK);
}

static int map_range(u64 base, u64 end, u64 flags)
{
	for (u64 a = base & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		u64 *pdpt = next_table(&boot_pml4[(a >> 39) & 511]);
		u64 *pd = pdpt ? next_table(&pdpt[(a >> 30) & 511]) : NULL;

		if (!pd)
			return -1;
		pd[(a >> 21) & 511] = a | flags;
	}
	return 0;
}

static void flush_tlb(void)
{
	u64 cr3;

	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) :: "memory");
}

void paging_init(void)
{
	const u64 wb = PTE_P | PTE_W | PTE_U | PTE_PS;
	u64 low_top = ALIGN_UP(bootinfo_ram_end(4 * GIB), PAGE_2M);
	u64 high_end = bootinfo_ram_end(~0ULL);

	/* Not RAM between the top of low memory and 4 GiB: MMIO, uncached
	 * (KVM honours guest PAT/PCD for device memory on real hosts). */
	for (u64 a = low_top; a < 4 * GIB; a += PAGE_2M)
		boot_pd[a >> 21] |= PTE_PCD | PTE_PWT;
	/* The pool covers 64 GiB above 4 GiB; RAM beyond stays unmapped and
	 * unused (the probe allocates from low memory only). */
	if (high_end > 4 * GIB)
		map_range(4 * GIB, MIN(high_end, 68 * GIB), wb);
	flush_tlb();
}

int paging_map_mmio(u64 base, u64 size)
{
	const u64 uc = PTE_P | PTE_W | PTE_U | PTE_PS | PTE_PCD | PTE_PWT;

	if (!size || base + size < base || base + size > (1ULL << 46))
		return -1;
	if (base + size <= 4 * GIB)
		return 0;  /* already mapped by the boot map */
	if (map_range(MAX(base, 4 * GIB), base + size, uc))
		return -1;
	flush_tlb();
	return 0;
}

int paging_map_mem(u64 base, u64 size)
{
	const u64 wb = PTE_P | PTE_W | PTE_U | PTE_PS;

	if (!size || base + size < base || base + size > (1ULL << 46))
		return -1;
	/* Below 4 GiB the boot map has the pages, uncached as every
	 * non-RAM page there (paging_init): write-back instead. */
	for (u64 a = base & ~(PAGE_2M - 1); a < MIN(base + size, 4 * GIB); a += PAGE_2M)
		boot_pd[a >> 21] &= ~(PTE_PCD | PTE_PWT);
	if (base + size > 4 * GIB &&
	    map_range(MAX(base, 4 * GIB), base + size, wb))
		return -1;
	flush_tlb();
	return 0;
}
