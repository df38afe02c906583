/* The ELF64 kernel parser (segments, Xen PVH note) and segment loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <elf.h>

#include "arch/x86/elf_kernel.h"
#include "x86_fixture.h"

#define PH(i) (FX_ELF_PHOFF + (i) * sizeof(Elf64_Phdr))

static void test_valid_pvh(void **state)
{
	struct fx_elf o;
	struct elf_kernel k;
	struct azerr e;
	size_t len;
	uint8_t *b;
	(void)state;

	fx_elf_default(&o);
	b = fx_elf(&o, &len);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_int_equal(k.entry, 0x100100);
	assert_true(k.has_pvh);
	assert_int_equal(k.pvh_entry, 0x100040);
	assert_int_equal(k.nr_segs, 1);
	assert_int_equal(k.start, 0x100000);
	assert_int_equal(k.end, 0x105000);
	free(b);

	/* A 4-byte descriptor is accepted as well. */
	o.pvh_desc = 4;
	b = fx_elf(&o, &len);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_true(k.has_pvh);
	assert_int_equal(k.pvh_entry, 0x100040);
	free(b);
}

static void test_no_note_and_foreign_notes(void **state)
{
	struct fx_elf o;
	struct elf_kernel k;
	struct azerr e;
	size_t len;
	uint8_t *b;
	(void)state;

	fx_elf_default(&o);
	o.pvh_desc = 0;
	b = fx_elf(&o, &len);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_false(k.has_pvh);
	free(b);

	/* Type 18 under another name, and "Xen" with another type: not it. */
	fx_elf_default(&o);
	b = fx_elf(&o, &len);
	memcpy(b + FX_ELF_NOTEOFF + 12, "Gnu", 4);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_false(k.has_pvh);
	memcpy(b + FX_ELF_NOTEOFF + 12, "Xen", 4);
	fx_put(b, FX_ELF_NOTEOFF + 8, 4, 17);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_false(k.has_pvh);
	free(b);
}

struct corrupt {
	const char *what;
	size_t off;
	int bytes;
	uint64_t val;
};

static void test_rejects(void **state)
{
	static const struct corrupt cases[] = {
		{ "EI_CLASS", EI_CLASS, 1, ELFCLASS32 },
		{ "EI_DATA", EI_DATA, 1, ELFDATA2MSB },
		{ "version", offsetof(Elf64_Ehdr, e_version), 4, 2 },
		{ "e_machine", offsetof(Elf64_Ehdr, e_machine), 2, EM_386 },
		{ "e_type", offsetof(Elf64_Ehdr, e_type), 2, ET_DYN },
		{ "e_phentsize", offsetof(Elf64_Ehdr, e_phentsize), 2, 32 },
		{ "e_phnum", offsetof(Elf64_Ehdr, e_phnum), 2, 0 },
		{ "e_phnum", offsetof(Elf64_Ehdr, e_phnum), 2, 0xffff },
		{ "e_phoff", offsetof(Elf64_Ehdr, e_phoff), 8, 0x1000 + 0x2fc0 },
		{ "e_phoff", offsetof(Elf64_Ehdr, e_phoff), 8, ~0ULL - 8 },
		{ "e_entry", offsetof(Elf64_Ehdr, e_entry), 8, 0x200000 },
		{ "p_offset", PH(0) + offsetof(Elf64_Phdr, p_offset), 8, 0x3001 },
		{ "p_filesz", PH(0) + offsetof(Elf64_Phdr, p_filesz), 8, 0x4000 },
		{ "p_filesz", PH(0) + offsetof(Elf64_Phdr, p_memsz), 8, 0x100 },
		{ "overflows", PH(0) + offsetof(Elf64_Phdr, p_paddr), 8, ~0ULL - 0x100 },
		{ "no PT_LOAD", PH(0) + offsetof(Elf64_Phdr, p_type), 4, PT_NULL },
		{ "note segment", PH(1) + offsetof(Elf64_Phdr, p_offset), 8, ~0ULL },
		{ "n_descsz", FX_ELF_NOTEOFF + 4, 4, 0x1000 },
		{ "n_namesz", FX_ELF_NOTEOFF, 4, 0xffffffff },
		{ "n_descsz 2", FX_ELF_NOTEOFF + 4, 4, 2 },
		{ "PVH entry 0x500000", FX_ELF_NOTEOFF + 16, 8, 0x500000 },
		{ "above 4 GiB", FX_ELF_NOTEOFF + 16, 8, 0x100000000ULL },
	};
	struct fx_elf o;
	size_t len;
	uint8_t *good;
	(void)state;

	fx_elf_default(&o);
	good = fx_elf(&o, &len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct elf_kernel k;
		struct azerr e = { "" };
		uint8_t *b = malloc(len);
		memcpy(b, good, len);
		fx_put(b, cases[i].off, cases[i].bytes, cases[i].val);
		assert_int_equal(elf_kernel_parse(b, len, &k, &e), -1);
		assert_err_has(e, cases[i].what);
		free(b);
	}
	free(good);
}

static void test_too_many_segments(void **state)
{
	struct elf_kernel k;
	struct azerr e;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = 0x100000, .e_phoff = 64,
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = ELF_KERNEL_MAX_SEGS + 1,
	};
	size_t len = 64 + eh.e_phnum * sizeof(Elf64_Phdr);
	uint8_t *b = calloc(1, len);
	(void)state;

	memcpy(b, &eh, sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_paddr = 0x100000 + i * 0x1000,
				  .p_memsz = 0x1000 };
		memcpy(b + 64 + i * sizeof(ph), &ph, sizeof(ph));
	}
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), -1);
	assert_err_has(e, "PT_LOAD segments");
	free(b);
}

static void test_truncated(void **state)
{
	struct fx_elf o;
	struct elf_kernel k;
	size_t len;
	uint8_t *b;
	(void)state;

	fx_elf_default(&o);
	b = fx_elf(&o, &len);
	for (size_t cut = 0; cut < len; cut++) {
		struct azerr e = { "" };
		uint8_t *t = malloc(cut ? cut : 1);
		memcpy(t, b, cut);
		assert_int_equal(elf_kernel_parse(t, cut, &k, &e), -1);
		assert_true(strlen(e.msg) > 0);
		free(t);
	}
	free(b);
}

/* A kernel linked at paddr (entries included) parses but does not load. */
static void expect_load_fails(struct guest_mem *m, uint64_t paddr, const char *what)
{
	struct fx_elf o;
	struct elf_kernel k;
	struct azerr e;
	size_t len;
	uint8_t *b;

	fx_elf_default(&o);
	o.paddr = o.entry = o.pvh_entry = paddr;
	b = fx_elf(&o, &len);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_int_equal(elf_kernel_load(m, b, &k, &e), -1);
	assert_err_has(e, what);
	free(b);
}

static void test_load(void **state)
{
	struct fx_elf o;
	struct elf_kernel k;
	struct azerr e;
	struct guest_mem *m = fx_guest(16 << 20);
	size_t len;
	uint8_t *b;
	(void)state;

	fx_elf_default(&o);
	b = fx_elf(&o, &len);
	/* Stale bytes where the zero-filled part of the segment goes. */
	memset(guest_mem_ptr(m, 0x100000, 0x5000), 0xee, 0x5000);
	assert_int_equal(elf_kernel_parse(b, len, &k, &e), 0);
	assert_int_equal(elf_kernel_load(m, b, &k, &e), 0);
	uint8_t *g = guest_mem_ptr(m, 0x100000, 0x5000);
	for (size_t i = 0; i < 0x3000; i++)
		assert_int_equal(g[i], fx_pattern(i));
	for (size_t i = 0x3000; i < 0x5000; i++)
		assert_int_equal(g[i], 0);
	free(b);

	/* Below 1 MiB: over azote's boot tables. Past the end of RAM. */
	expect_load_fails(m, 0x80000, "below 1 MiB");
	expect_load_fails(m, 0xfff000, "memory too small");
	fx_guest_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_pvh),
		cmocka_unit_test(test_no_note_and_foreign_notes),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
