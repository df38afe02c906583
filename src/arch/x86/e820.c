#include "arch/x86/e820.h"

#include "arch/x86/layout.h"

static int add(struct e820_entry *out, size_t max, size_t *n, uint64_t addr,
	       uint64_t size, uint32_t type, struct azerr *e)
{
	if (*n >= max)
		return azerr_set(e, "e820 map needs more than %zu entries", max);
	out[(*n)++] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
	return 0;
}

void e820_ram_layout(struct guest_mem *m, uint64_t ram_size)
{
	guest_mem_layout(m, ram_size, GPA_PCI_HOLE, GPA_4G);
}

int e820_build(const struct guest_mem *m, struct e820_entry *out, size_t max,
	       struct azerr *e)
{
	uint64_t low_end = guest_mem_low_end(m);
	size_t n = 0;

	/* Everything azote puts below 1 MiB assumes the whole first
	 * megabyte is backed; a smaller guest cannot boot anyway. */
	if (low_end < GPA_HIGH_MEM)
		return azerr_set(e, "guest RAM (%llu KiB) is smaller than the first MiB, "
				 "which the boot tables need",
				 (unsigned long long)(low_end >> 10));
	if (add(out, max, &n, 0, GPA_LOW_RAM_END, E820_TYPE_RAM, e) < 0 ||
	    add(out, max, &n, GPA_LOW_RAM_END, GPA_HIGH_MEM - GPA_LOW_RAM_END,
		E820_TYPE_RESERVED, e) < 0)
		return -1;
	if (low_end > GPA_HIGH_MEM &&
	    add(out, max, &n, GPA_HIGH_MEM, low_end - GPA_HIGH_MEM,
		E820_TYPE_RAM, e) < 0)
		return -1;
	for (int i = 1; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		if (add(out, max, &n, r->gpa, r->size, E820_TYPE_RAM, e) < 0)
			return -1;
	}
	return (int)n;
}
