/* ELF64 x86-64 kernels: Linux's uncompressed vmlinux and PVH kernels such
 * as the probe guest. PT_LOAD segments go to their physical addresses
 * (p_paddr); e_entry is the physical 64-bit entry (x86 vmlinux links
 * ENTRY(phys_startup_64)); a PT_NOTE with XEN_ELFNOTE_PHYS32_ENTRY gives
 * the 32-bit PVH entry. */
#ifndef AZOTE_ARCH_X86_ELF_KERNEL_H
#define AZOTE_ARCH_X86_ELF_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "base/guest_mem.h"

#define ELF_KERNEL_MAX_SEGS      16
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct elf_segment {
	uint64_t paddr, offset, filesz, memsz;
};

struct elf_kernel {
	uint64_t entry;          /* e_entry */
	bool has_pvh;
	uint32_t pvh_entry;      /* from the PHYS32_ENTRY note */
	int nr_segs;
	struct elf_segment segs[ELF_KERNEL_MAX_SEGS];
	uint64_t start, end;     /* lowest p_paddr, highest p_paddr + p_memsz */
};

/* True if buf starts with the ELF magic. */
int elf_detect(const uint8_t *buf, size_t len);

/* Parses and checks headers, segments and notes against the file. */
int elf_kernel_parse(const uint8_t *buf, size_t len, struct elf_kernel *k,
		     struct azerr *e);

/* Copies every segment to its p_paddr and zeroes the rest of its memsz;
 * each must lie in RAM between 1 MiB and the end of low RAM. */
int elf_kernel_load(struct guest_mem *m, const uint8_t *buf,
		    const struct elf_kernel *k, struct azerr *e);

#endif
