/* A card's page relay requests as azote's relay checks them
 * (page_relay_find): any offset, against guest RAM of any size the e820
 * layout gives, the hva of each region made up. The page found must lie
 * whole in one region, at the offset asked for; an offset no region
 * holds, or not page-aligned, finds nothing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "vmm/page_relay.h"

#define PG 4096ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem m;
	uint64_t ram, off;

	if (size < 16)
		return 0;
	memcpy(&ram, data, 8);
	memcpy(&off, data + 8, 8);
	/* Up to 1 TiB, whole pages, at least one. */
	ram = ((ram % (1ULL << 40)) & ~(PG - 1)) + PG;
	e820_ram_layout(&m, ram);
	for (int i = 0; i < m.nr_regions; i++)
		m.regions[i].hva = (uint8_t *)(uintptr_t)(0x100000000000ULL * (uint64_t)(i + 1));
	const volatile uint8_t *p = page_relay_find(&m, off, PG);
	bool in = false;
	for (int i = 0; i < m.nr_regions; i++) {
		const struct guest_mem_region *r = &m.regions[i];
		bool here = off >= r->fd_offset && off - r->fd_offset < r->size;
		if (here && !(off & (PG - 1))) {
			in = true;
			if (p != r->hva + (off - r->fd_offset) || off - r->fd_offset + PG > r->size)
				abort();
		}
	}
	if (!in && p)
		abort();
	return 0;
}
