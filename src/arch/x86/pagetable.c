#include "arch/x86/pagetable.h"

#include <stdint.h>
#include <string.h>

#include "arch/x86/layout.h"

#define PTE_P    0x1ULL
#define PTE_RW   0x2ULL
#define PTE_PS   0x80ULL   /* in a PD entry: a 2 MiB page */
#define PAGE     0x1000ULL
#define NR_PD    4         /* one per GiB */
#define PD_SPAN  (1ULL << 30)
#define LARGE    (2ULL << 20)

int pagetable_write_identity(struct guest_mem *m, struct azerr *e)
{
	uint64_t *pml4 = guest_mem_ptr(m, GPA_PML4, PAGE);
	uint64_t *pdpt = guest_mem_ptr(m, GPA_PDPT, PAGE);
	uint64_t *pd = guest_mem_ptr(m, GPA_PD, NR_PD * PAGE);

	if (!pml4 || !pdpt || !pd)
		return azerr_set(e, "page tables at 0x%llx..0x%llx are not guest RAM",
				 GPA_PML4, GPA_PD + NR_PD * PAGE);
	memset(pml4, 0, PAGE);
	memset(pdpt, 0, PAGE);
	pml4[0] = GPA_PDPT | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < NR_PD; i++) {
		pdpt[i] = (GPA_PD + i * PAGE) | PTE_P | PTE_RW;
		for (uint64_t j = 0; j < PAGE / 8; j++)
			pd[i * (PAGE / 8) + j] =
				(i * PD_SPAN + j * LARGE) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}
