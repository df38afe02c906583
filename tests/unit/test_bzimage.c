/* The bzImage setup header parser and loader: what a valid header yields,
 * and that each malformed or truncated input is refused naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/bzimage.h"
#include "x86_fixture.h"

static int parse(const struct fx_bz *o, struct bzimage *bz, struct azerr *e)
{
	size_t len;
	uint8_t *b = fx_bzimage(o, &len);
	int rc = bzimage_parse(b, len, bz, e);

	free(b);
	return rc;
}

static void test_valid_header(void **state)
{
	struct fx_bz o;
	struct bzimage bz;
	struct azerr e;
	(void)state;

	fx_bz_default(&o);
	assert_int_equal(parse(&o, &bz, &e), 0);
	assert_int_equal(bz.hdr.version, 0x020f);
	assert_int_equal(bz.hdr_end, 0x202 + 0x6a);
	assert_int_equal(bz.setup_size, 5 * 512);
	assert_int_equal(bz.kernel_offset, 5 * 512);
	assert_int_equal(bz.kernel_size, 0x20000);
	assert_int_equal(bz.load_addr, 0x1000000);  /* pref_address */
	assert_int_equal(bz.init_size, 0x400000);
	assert_int_equal(bz.hdr.cmdline_size, 2047);
	assert_int_equal(bz.hdr.initrd_addr_max, 0x7fffffff);
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct fx_bz o;
	struct bzimage bz;
	struct azerr e;
	(void)state;

	fx_bz_default(&o);
	o.setup_sects = 0;
	assert_int_equal(parse(&o, &bz, &e), 0);
	assert_int_equal(bz.setup_size, 5 * 512);
}

static void test_placement(void **state)
{
	struct fx_bz o;
	struct bzimage bz;
	struct azerr e;
	(void)state;

	/* Relocatable, pref_address not aligned: rounded up. */
	fx_bz_default(&o);
	o.pref_address = 0x1100000;
	o.kernel_alignment = 0x1000000;
	assert_int_equal(parse(&o, &bz, &e), 0);
	assert_int_equal(bz.load_addr, 0x2000000);
	/* Relocatable, pref_address below 1 MiB: the first aligned address
	 * at or above 1 MiB. */
	o.pref_address = 0;
	o.kernel_alignment = 0x200000;
	assert_int_equal(parse(&o, &bz, &e), 0);
	assert_int_equal(bz.load_addr, 0x200000);
	/* Not relocatable: exactly pref_address. */
	o.relocatable = 0;
	o.pref_address = 0x1234000;
	assert_int_equal(parse(&o, &bz, &e), 0);
	assert_int_equal(bz.load_addr, 0x1234000);
	/* init_size smaller than the payload: the payload's size counts. */
	fx_bz_default(&o);
	o.init_size = 0x100;
	assert_int_equal(parse(&o, &bz, &e), 0);
	assert_int_equal(bz.init_size, 0x20000);
}

struct bad_case {
	const char *what;
	void (*mutate)(struct fx_bz *o);
};

static void old_version(struct fx_bz *o) { o->version = 0x0205; }
static void pre_xlf(struct fx_bz *o) { o->version = 0x020a; }
static void bad_flag(struct fx_bz *o) { o->boot_flag = 0x1234; }
static void short_hdr(struct fx_bz *o) { o->jump_len = 0x50; }
static void no_high(struct fx_bz *o) { o->loadflags = 0; }
static void no_64(struct fx_bz *o) { o->xloadflags = 0x2; }
static void bad_align(struct fx_bz *o) { o->kernel_alignment = 0x300000; }
static void low_pref(struct fx_bz *o) { o->relocatable = 0; o->pref_address = 0x10000; }
static void no_init(struct fx_bz *o) { o->init_size = 0; }
static void no_cmdline(struct fx_bz *o) { o->cmdline_size = 0; }
static void low_initrd(struct fx_bz *o) { o->initrd_addr_max = 0xffff; }
static void no_payload(struct fx_bz *o) { o->payload = 0; }

static void test_rejects(void **state)
{
	static const struct bad_case cases[] = {
		{ "2.05", old_version },            /* names the version */
		{ "2.10", pre_xlf },
		{ "boot_flag", bad_flag },
		{ "init_size", short_hdr },
		{ "LOADED_HIGH", no_high },
		{ "XLF_KERNEL_64", no_64 },
		{ "kernel_alignment", bad_align },
		{ "pref_address", low_pref },
		{ "init_size", no_init },
		{ "cmdline_size", no_cmdline },
		{ "initrd_addr_max", low_initrd },
		{ "syssize", no_payload },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx_bz o;
		struct bzimage bz;
		struct azerr e = { "" };
		fx_bz_default(&o);
		cases[i].mutate(&o);
		assert_int_equal(parse(&o, &bz, &e), -1);
		assert_err_has(e, cases[i].what);
	}
}

static void test_bad_magic(void **state)
{
	struct fx_bz o;
	struct bzimage bz;
	struct azerr e;
	size_t len;
	uint8_t *b;
	(void)state;

	fx_bz_default(&o);
	b = fx_bzimage(&o, &len);
	memcpy(b + 0x202, "HdrX", 4);
	assert_false(bzimage_detect(b, len));
	assert_int_equal(bzimage_parse(b, len, &bz, &e), -1);
	assert_err_has(e, "HdrS");
	free(b);
}

/* Every truncation of a valid image is refused, none read past the end
 * (ASan checks the copy of exactly len bytes on the heap). */
static void test_truncated(void **state)
{
	struct fx_bz o;
	struct bzimage bz;
	size_t len;
	uint8_t *b;
	(void)state;

	fx_bz_default(&o);
	o.payload = 0x1000;
	b = fx_bzimage(&o, &len);
	for (size_t cut = 0; cut < len; cut++) {
		struct azerr e = { "" };
		uint8_t *t = malloc(cut ? cut : 1);
		memcpy(t, b, cut);
		assert_int_equal(bzimage_parse(t, cut, &bz, &e), -1);
		assert_true(strlen(e.msg) > 0);
		assert_err_has(e, cut < 0x264 ? "too short" : "truncated");
		free(t);
	}
	free(b);
}

static void test_load_and_zero_page(void **state)
{
	struct fx_bz o;
	struct bzimage bz;
	struct azerr e;
	struct boot_params zp;
	struct guest_mem *m = fx_guest(64 << 20);
	size_t len;
	uint8_t *b;
	(void)state;

	fx_bz_default(&o);
	b = fx_bzimage(&o, &len);
	assert_int_equal(bzimage_parse(b, len, &bz, &e), 0);
	assert_int_equal(bzimage_load(m, b, &bz, &e), 0);
	uint8_t *k = guest_mem_ptr(m, 0x1000000, o.payload);
	for (size_t i = 0; i < o.payload; i++)
		assert_int_equal(k[i], fx_pattern(i));

	bzimage_zero_page(b, &bz, &zp);
	uint8_t *z = (uint8_t *)&zp;
	/* The header up to its end is the file's; past it, zero. */
	assert_memory_equal(z + 0x1f1, b + 0x1f1, 0x210 - 0x1f1);
	assert_memory_equal(z + 0x228, b + 0x228, 0x26c - 0x228);
	assert_int_equal(fx_get(z, 0x206, 2), 0x020f);
	assert_int_equal(z[0x202 + 0x6a], 0);
	assert_int_equal(fx_get(z, 0x210, 1), 0xff);       /* type_of_loader */
	assert_int_equal(fx_get(z, 0x211, 1), 0x01);       /* CAN_USE_HEAP off */
	assert_int_equal(fx_get(z, 0x224, 2), 0);          /* heap_end_ptr */
	assert_int_equal(fx_get(z, 0x214, 4), 0x1000000);  /* code32_start */
	for (size_t i = 0; i < 0x1f1; i++)
		assert_int_equal(z[i], 0);
	free(b);

	/* 8 MiB of RAM cannot hold a kernel that needs 4 MiB at 16 MiB. */
	fx_guest_free(m);
	m = fx_guest(8 << 20);
	b = fx_bzimage(&o, &len);
	assert_int_equal(bzimage_parse(b, len, &bz, &e), 0);
	assert_int_equal(bzimage_load(m, b, &bz, &e), -1);
	assert_err_has(e, "init_size");
	assert_err_has(e, "memory too small");
	free(b);
	fx_guest_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_header),
		cmocka_unit_test(test_setup_sects_zero_means_four),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_load_and_zero_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
