/* Synthetic guests and kernels for the x86 boot unit tests. Headers are
 * written at the raw offsets the specs give (not through azote's structs),
 * so the tests check azote's reading of them independently. */
#ifndef AZOTE_TESTS_X86_FIXTURE_H
#define AZOTE_TESTS_X86_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/e820.h"
#include "base/guest_mem.h"

/* Guest RAM of ram bytes laid out as azote does, backed by anonymous
 * zero-filled mappings (lazily allocated, so 3.5 GiB guests are cheap). */
struct guest_mem *fx_guest(uint64_t ram);
void fx_guest_free(struct guest_mem *m);

/* A bzImage: setup sectors with the header, then payload bytes of a known
 * pattern (fx_pattern). */
struct fx_bz {
	uint16_t version;
	uint8_t setup_sects;
	uint8_t jump_len;        /* byte at 0x201: header ends at 0x202 + it */
	uint16_t boot_flag;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	uint32_t payload;        /* protected-mode kernel bytes */
};
void fx_bz_default(struct fx_bz *o);   /* a valid 2.15 64-bit kernel */
uint8_t *fx_bzimage(const struct fx_bz *o, size_t *len);

/* An ELF64 x86-64 executable with one PT_LOAD at paddr (filesz bytes of
 * fx_pattern, memsz in memory) and optionally a PT_NOTE holding Xen's
 * PHYS32_ENTRY note with a pvh_desc-byte (4 or 8) descriptor. */
struct fx_elf {
	uint64_t paddr;
	uint32_t filesz, memsz;
	uint64_t entry;
	int pvh_desc;            /* 0: no note */
	uint64_t pvh_entry;
};
void fx_elf_default(struct fx_elf *o);  /* 1 MiB, PVH note */
uint8_t *fx_elf(const struct fx_elf *o, size_t *len);
/* File offsets in fx_elf's output, for tests that corrupt it. */
#define FX_ELF_PHOFF   64
#define FX_ELF_NOTEOFF 0x100
#define FX_ELF_DATAOFF 0x1000

uint8_t fx_pattern(size_t i);

/* Writes buf to a new temporary file; returns its malloc'd path. */
char *fx_tempfile(const void *buf, size_t len);
/* A temporary file of size bytes of fx_pattern. */
char *fx_tempfile_pattern(size_t size);
void fx_tempfile_remove(char *path);

/* Little-endian field access at raw offsets. */
uint64_t fx_get(const void *base, size_t off, int bytes);
void fx_put(void *base, size_t off, int bytes, uint64_t v);

/* In cmocka tests: e's message must contain s (it names the field). */
#define assert_err_has(e, s) do {					\
	if (!strstr((e).msg, (s)))					\
		fail_msg("error \"%s\" lacks \"%s\"", (e).msg, (s));	\
} while (0)

#endif
