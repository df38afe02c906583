/* One guest RAM for every fuzz iteration (allocating 64 MiB each time
 * would dominate the run). */
#ifndef AZOTE_FUZZ_GUEST_H
#define AZOTE_FUZZ_GUEST_H

#include <stdlib.h>
#include <sys/mman.h>

#include "arch/x86/e820.h"
#include "base/guest_mem.h"

static inline struct guest_mem *fuzz_guest(void)
{
	static struct guest_mem m;

	if (!m.nr_regions) {
		e820_ram_layout(&m, 64 << 20);
		m.regions[0].hva = mmap(NULL, m.regions[0].size,
					PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
					-1, 0);
		if (m.regions[0].hva == MAP_FAILED)
			abort();
	}
	return &m;
}

#endif
