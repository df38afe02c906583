/* The Linux x86 bzImage format (Documentation/arch/x86/boot.rst): a
 * real-mode setup part whose header tells the loader how to load and enter
 * the protected-mode kernel that follows it. azote only uses the 64-bit
 * entry, so it needs protocol 2.12+ (xloadflags) with XLF_KERNEL_64. */
#ifndef AZOTE_ARCH_X86_BZIMAGE_H
#define AZOTE_ARCH_X86_BZIMAGE_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "base/guest_mem.h"

/* File offsets fixed by the protocol. */
#define BZ_HDR_OFFSET    0x1f1   /* struct setup_header */
#define BZ_JUMP_OFFSET   0x200   /* 2-byte jump; its target ends the header */
#define BZ_MAGIC_OFFSET  0x202   /* "HdrS" */
#define BZ_ENTRY64       0x200   /* startup_64, from the load address */

#define BZ_MIN_VERSION   0x0206  /* what azote accepts at all */
#define BZ_XLF_VERSION   0x020c  /* xloadflags exist from 2.12 */

struct bzimage {
	struct setup_header hdr;  /* fields past the header's end are 0 */
	uint32_t hdr_end;         /* file offset just past the setup header */
	uint32_t setup_size;      /* boot sector + setup sectors, bytes */
	uint64_t kernel_offset;   /* protected-mode kernel's offset in the file */
	uint64_t kernel_size;     /* its size (syssize * 16) */
	uint64_t load_addr;       /* where it runs from (see boot.rst init_size) */
	uint64_t init_size;       /* bytes it needs from load_addr */
};

/* True if buf looks like a bzImage at all (the "HdrS" magic). */
int bzimage_detect(const uint8_t *buf, size_t len);

/* Parses and checks the setup header of the file in buf. Every field azote
 * relies on is validated; the error names the field and its value. */
int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage *bz,
		  struct azerr *e);

/* Copies the protected-mode kernel to bz->load_addr. */
int bzimage_load(struct guest_mem *m, const uint8_t *buf,
		 const struct bzimage *bz, struct azerr *e);

/* Starts a zero page for this kernel: zeroes zp and copies the setup header
 * from the file as the protocol asks, then sets the loader-owned header
 * fields that do not depend on the rest of the boot (type_of_loader,
 * loadflags, code32_start). */
void bzimage_zero_page(const uint8_t *buf, const struct bzimage *bz,
		       struct boot_params *zp);

#endif
