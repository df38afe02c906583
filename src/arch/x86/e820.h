/* The guest's physical memory map, as both the Linux zero page (e820_table)
 * and PVH's hvm_start_info memory map describe it. One builder, so that
 * every entry protocol reports the same map. */
#ifndef AZOTE_ARCH_X86_E820_H
#define AZOTE_ARCH_X86_E820_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "base/guest_mem.h"

/* Type values shared by e820 and hvm_memmap_table_entry. */
#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2

/* The most entries azote ever builds (low RAM, firmware area, high RAM
 * below the hole, RAM above 4 GiB). */
#define E820_MAX_BUILT 4

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Lays out ram_size bytes of guest RAM as the map below has it: up to the
 * PCI hole, the rest from 4 GiB (guest_mem_layout). */
void e820_ram_layout(struct guest_mem *m, uint64_t ram_size);

/* Fills out[0..max) with the map of m, in ascending address order:
 *   RAM      [0, GPA_LOW_RAM_END)
 *   reserved [GPA_LOW_RAM_END, 1 MiB)   MP tables, EBDA, legacy VGA/ROM
 *   RAM      [1 MiB, end of low RAM)
 *   RAM      [4 GiB, 4 GiB + RAM above the hole)
 * Returns the number of entries, or -1 (with e set) when max is too small
 * or the guest has less RAM than the first megabyte. */
int e820_build(const struct guest_mem *m, struct e820_entry *out, size_t max,
	       struct azerr *e);

#endif
