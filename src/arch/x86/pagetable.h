/* Identity page tables for the 64-bit Linux entry, which must start with
 * paging on and the kernel, zero page and command line identity-mapped. */
#ifndef AZOTE_ARCH_X86_PAGETABLE_H
#define AZOTE_ARCH_X86_PAGETABLE_H

#include "common/err.h"
#include "base/guest_mem.h"

/* Maps guest virtual 0..4 GiB to the same physical addresses with 2 MiB
 * pages: PML4 at GPA_PML4, one PDPT at GPA_PDPT, four PDs from GPA_PD. */
int pagetable_write_identity(struct guest_mem *m, struct azerr *e);

#endif
