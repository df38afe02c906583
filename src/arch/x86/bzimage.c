#include "arch/x86/bzimage.h"

#include <string.h>

#include "arch/x86/layout.h"

#define BOOT_FLAG        0xaa55
#define SECTOR           512
#define DEFAULT_SETUP_SECTS 4     /* setup_sects 0 means 4 */
/* The last header field azote reads (init_size, 2.10+) ends here. */
#define HDR_NEEDED_END   (BZ_HDR_OFFSET + offsetof(struct setup_header, init_size) + 4)
#define ZP_HDR_END       0x290    /* boot_params room for the header */

int bzimage_detect(const uint8_t *buf, size_t len)
{
	return len >= BZ_MAGIC_OFFSET + 4 &&
	       memcmp(buf + BZ_MAGIC_OFFSET, "HdrS", 4) == 0;
}

static int check_version(uint16_t v, struct azerr *e)
{
	if (v < BZ_MIN_VERSION)
		return azerr_set(e, "bzImage: boot protocol version %u.%02u is too old "
				 "(azote needs 2.06 or later)", v >> 8, v & 0xff);
	if (v < BZ_XLF_VERSION)
		return azerr_set(e, "bzImage: boot protocol version %u.%02u predates "
				 "xloadflags (2.12), so its 64-bit entry point cannot "
				 "be verified", v >> 8, v & 0xff);
	return 0;
}

static int is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Where the kernel runs from; boot.rst, "init_size": a relocatable kernel
 * moves itself up to pref_address if loaded lower, so load it there. */
static int place(struct bzimage *bz, struct azerr *e)
{
	const struct setup_header *h = &bz->hdr;

	if (h->relocatable_kernel) {
		if (!is_pow2(h->kernel_alignment))
			return azerr_set(e, "bzImage: kernel_alignment 0x%x is not a "
					 "power of two", h->kernel_alignment);
		uint64_t a = h->kernel_alignment;
		uint64_t base = h->pref_address > GPA_HIGH_MEM ? h->pref_address
							       : GPA_HIGH_MEM;
		if (base > UINT32_MAX)
			return azerr_set(e, "bzImage: pref_address 0x%llx is above 4 GiB",
					 (unsigned long long)h->pref_address);
		bz->load_addr = (base + a - 1) & ~(a - 1);
	} else {
		if (h->pref_address < GPA_HIGH_MEM || h->pref_address > UINT32_MAX)
			return azerr_set(e, "bzImage: non-relocatable kernel wants "
					 "pref_address 0x%llx, outside 1 MiB..4 GiB",
					 (unsigned long long)h->pref_address);
		bz->load_addr = h->pref_address;
	}
	bz->init_size = h->init_size > bz->kernel_size ? h->init_size : bz->kernel_size;
	return 0;
}

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage *bz,
		  struct azerr *e)
{
	struct setup_header *h = &bz->hdr;

	memset(bz, 0, sizeof(*bz));
	if (len < HDR_NEEDED_END)
		return azerr_set(e, "bzImage: file is %zu bytes, too short for a setup "
				 "header (needs %zu)", len, (size_t)HDR_NEEDED_END);
	if (!bzimage_detect(buf, len))
		return azerr_set(e, "bzImage: no \"HdrS\" magic at offset 0x%x",
				 BZ_MAGIC_OFFSET);

	/* The header ends where the jump at 0x200 lands; copy only that much,
	 * so that fields this kernel does not have read as 0. */
	bz->hdr_end = BZ_MAGIC_OFFSET + buf[BZ_JUMP_OFFSET + 1];
	size_t copy = bz->hdr_end;
	if (copy > BZ_HDR_OFFSET + sizeof(*h))
		copy = BZ_HDR_OFFSET + sizeof(*h);
	if (copy > len)
		copy = len;
	memcpy(h, buf + BZ_HDR_OFFSET, copy - BZ_HDR_OFFSET);

	if (check_version(h->version, e) < 0)
		return -1;
	if (h->boot_flag != BOOT_FLAG)
		return azerr_set(e, "bzImage: boot_flag is 0x%04x, not 0xaa55",
				 h->boot_flag);
	if (bz->hdr_end < HDR_NEEDED_END)
		return azerr_set(e, "bzImage: setup header ends at 0x%x (jump at 0x200), "
				 "before init_size, which protocol %u.%02u has",
				 bz->hdr_end, h->version >> 8, h->version & 0xff);

	unsigned sects = h->setup_sects ? h->setup_sects : DEFAULT_SETUP_SECTS;
	/* At least 2 sectors, always past the header's end (at most 0x301). */
	bz->setup_size = (sects + 1) * SECTOR;
	bz->kernel_offset = bz->setup_size;
	bz->kernel_size = (uint64_t)h->syssize * 16;
	if (bz->kernel_size == 0)
		return azerr_set(e, "bzImage: syssize is 0 (no protected-mode kernel)");
	if (len < bz->kernel_offset || len - bz->kernel_offset < bz->kernel_size)
		return azerr_set(e, "bzImage: truncated: setup_sects %u and syssize %u "
				 "say %llu bytes, the file has %zu", h->setup_sects,
				 h->syssize,
				 (unsigned long long)(bz->kernel_offset + bz->kernel_size),
				 len);
	if (!(h->loadflags & LOADED_HIGH))
		return azerr_set(e, "bzImage: loadflags 0x%02x lack LOADED_HIGH (a zImage "
				 "loaded at 0x10000, which azote does not support)",
				 h->loadflags);
	if (!(h->xloadflags & XLF_KERNEL_64))
		return azerr_set(e, "bzImage: xloadflags 0x%04x lack XLF_KERNEL_64: no "
				 "64-bit entry point", h->xloadflags);
	if (h->init_size == 0)
		return azerr_set(e, "bzImage: init_size is 0");
	if (h->cmdline_size == 0)
		return azerr_set(e, "bzImage: cmdline_size is 0");
	if (h->initrd_addr_max < GPA_HIGH_MEM)
		return azerr_set(e, "bzImage: initrd_addr_max 0x%x is below 1 MiB",
				 h->initrd_addr_max);
	return place(bz, e);
}

int bzimage_load(struct guest_mem *m, const uint8_t *buf,
		 const struct bzimage *bz, struct azerr *e)
{
	void *dst = guest_mem_ptr(m, bz->load_addr, bz->init_size);

	if (!dst || bz->load_addr + bz->init_size > guest_mem_low_end(m))
		return azerr_set(e, "memory too small for the kernel: it needs %llu "
				 "bytes (init_size) from 0x%llx, guest RAM below 4 GiB "
				 "ends at 0x%llx",
				 (unsigned long long)bz->init_size,
				 (unsigned long long)bz->load_addr,
				 (unsigned long long)guest_mem_low_end(m));
	memcpy(dst, buf + bz->kernel_offset, bz->kernel_size);
	return 0;
}

void bzimage_zero_page(const uint8_t *buf, const struct bzimage *bz,
		       struct boot_params *zp)
{
	size_t end = bz->hdr_end < ZP_HDR_END ? bz->hdr_end : ZP_HDR_END;

	memset(zp, 0, sizeof(*zp));
	memcpy((uint8_t *)zp + BZ_HDR_OFFSET, buf + BZ_HDR_OFFSET,
	       end - BZ_HDR_OFFSET);
	zp->hdr.type_of_loader = 0xff;   /* "undefined" loader */
	/* The 64-bit entry skips the real-mode setup, so there is no setup
	 * heap to offer and no 32-bit segment state to keep. */
	zp->hdr.loadflags &= (uint8_t)~(CAN_USE_HEAP | KEEP_SEGMENTS);
	zp->hdr.heap_end_ptr = 0;
	zp->hdr.code32_start = (uint32_t)bz->load_addr;
}
