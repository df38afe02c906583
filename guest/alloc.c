/* Memory for virtqueues and I/O buffers: a bump allocator over the RAM
 * range that holds the image, from the image's end up (never freed; each
 * test runs once per boot). Identity mapping makes these DMA addresses. */
#include "boot.h"
#include "lib.h"
#include "probe.h"

extern u8 __image_end[];
static u64 next, limit;

bool alloc_init(void)
{
	u64 start = (u64)__image_end;

	for (u32 i = 0; i < boot.nr_mem; i++) {
		const struct mem_range *m = &boot.mem[i];

		if (m->type == E820_RAM && start >= m->addr &&
		    start < m->addr + m->size) {
			next = start;
			limit = MIN(m->addr + m->size, 4 * GIB);
			return true;
		}
	}
	return false;
}

void *alloc_pages(u64 bytes)
{
	u64 a = ALIGN_UP(next, 4096);

	bytes = ALIGN_UP(bytes, 4096);
	if (!bytes || a > limit || bytes > limit - a)
		return NULL;
	next = a + bytes;
	return memset((void *)a, 0, bytes);
}

u64 alloc_free_bytes(void)
{
	return limit > next ? limit - next : 0;
}
