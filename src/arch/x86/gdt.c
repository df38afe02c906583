#include "arch/x86/gdt.h"

#include <string.h>

#include "arch/x86/layout.h"

/* Descriptor fields (Intel SDM vol. 3, 3.4.5). Base 0 and limit 0xfffff
 * with 4 KiB granularity: flat 4 GiB segments. Accessed bits are set so
 * that the CPU never needs to write the GDT back. */
#define DESC_FLAT(access, flags)					\
	(0xffffULL | (0xfULL << 48) | ((uint64_t)(access) << 40) |	\
	 ((uint64_t)(flags) << 52))
#define ACC_CODE  0x9b  /* present, DPL 0, code, execute/read, accessed */
#define ACC_DATA  0x93  /* present, DPL 0, data, read/write, accessed */
#define FL_G      0x8
#define FL_DB     0x4
#define FL_L      0x2

static const uint64_t gdt[GDT_ENTRIES] = {
	[0] = 0,
	[GDT_SEL_CODE32 >> 3] = DESC_FLAT(ACC_CODE, FL_G | FL_DB),
	[GDT_SEL_CODE64 >> 3] = DESC_FLAT(ACC_CODE, FL_G | FL_L),
	[GDT_SEL_DATA >> 3]   = DESC_FLAT(ACC_DATA, FL_G | FL_DB),
};

uint64_t gdt_descriptor(uint16_t sel)
{
	return gdt[(sel >> 3) % GDT_ENTRIES];
}

void gdt_segment(uint16_t sel, struct kvm_segment *seg)
{
	uint64_t d = gdt_descriptor(sel);
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));

	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	seg->type = (d >> 40) & 0xf;
	seg->s = (d >> 44) & 1;
	seg->dpl = (d >> 45) & 3;
	seg->present = (d >> 47) & 1;
	seg->avl = (d >> 52) & 1;
	seg->l = (d >> 53) & 1;
	seg->db = (d >> 54) & 1;
	seg->g = (d >> 55) & 1;
	/* kvm_segment holds the limit in bytes, as the hidden part does. */
	seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
}

int gdt_write(struct guest_mem *m, struct azerr *e)
{
	void *dst = guest_mem_ptr(m, GPA_GDT, sizeof(gdt));

	if (!dst)
		return azerr_set(e, "GDT at 0x%llx is not guest RAM", GPA_GDT);
	memcpy(dst, gdt, sizeof(gdt));
	return 0;
}
