/* x86_boot_load end to end on synthetic kernels in temporary files: what
 * the guest finds in memory (zero page, command line, initrd, e820, PVH
 * start info, MP table, GDT), and the errors a user can act on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "x86_fixture.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char *bz_file(const struct fx_bz *o)
{
	size_t len;
	uint8_t *b = fx_bzimage(o, &len);
	char *path = fx_tempfile(b, len);

	free(b);
	return path;
}

static char *elf_file(const struct fx_elf *o)
{
	size_t len;
	uint8_t *b = fx_elf(o, &len);
	char *path = fx_tempfile(b, len);

	free(b);
	return path;
}

static const uint8_t *gp(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_mem_ptr(m, gpa, len);

	assert_non_null(p);
	return p;
}

static void check_initrd_bytes(const struct guest_mem *m, const struct boot_info *bi)
{
	const uint8_t *p = gp(m, bi->initrd_start, bi->initrd_size);

	for (uint64_t i = 0; i < bi->initrd_size; i += 4093)
		assert_int_equal(p[i], fx_pattern(i));
	assert_int_equal(p[bi->initrd_size - 1], fx_pattern(bi->initrd_size - 1));
}

/* The zero page's e820 table must be the map e820_build gives. */
static void check_zp_e820(const struct guest_mem *m, const uint8_t *zp)
{
	struct e820_entry map[E820_MAX_BUILT];
	struct azerr e;
	int n = e820_build(m, map, E820_MAX_BUILT, &e);

	assert_int_equal(zp[0x1e8], n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(fx_get(zp, 0x2d0 + i * 20, 8), map[i].addr);
		assert_int_equal(fx_get(zp, 0x2d0 + i * 20 + 8, 8), map[i].size);
		assert_int_equal(fx_get(zp, 0x2d0 + i * 20 + 16, 4), map[i].type);
	}
}

static void test_bzimage_boot(void **state)
{
	struct fx_bz o;
	struct guest_mem *m = fx_guest(128 * MiB);
	struct boot_info bi;
	struct azerr e;
	(void)state;

	fx_bz_default(&o);
	char *kernel = bz_file(&o), *initrd = fx_tempfile_pattern(3 * MiB + 5);
	struct boot_request req = {
		.kernel_path = kernel, .initrd_path = initrd,
		.cmdline = "console=ttyS0 root=/dev/vda", .nr_cpus = 2,
	};
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_int_equal(bi.format, BOOT_FMT_BZIMAGE);
	assert_int_equal(bi.mode, BOOT_MODE_LINUX64);
	assert_int_equal(bi.entry, 0x1000000 + 0x200);
	assert_int_equal(bi.boot_data, GPA_ZERO_PAGE);
	assert_int_equal(bi.kernel_start, 0x1000000);
	assert_int_equal(bi.kernel_end, 0x1400000);

	const uint8_t *zp = gp(m, GPA_ZERO_PAGE, 4096);
	assert_int_equal(fx_get(zp, 0x1fe, 2), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(fx_get(zp, 0x206, 2), 0x020f);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(fx_get(zp, 0x228, 4), GPA_CMDLINE);
	assert_int_equal(fx_get(zp, 0xc8, 4), 0);
	assert_string_equal((const char *)gp(m, GPA_CMDLINE, 1), req.cmdline);
	assert_int_equal(bi.cmdline_size, strlen(req.cmdline) + 1);

	/* The initrd: page-aligned, as high as RAM allows, above the kernel. */
	assert_int_equal(fx_get(zp, 0x218, 4), bi.initrd_start);
	assert_int_equal(fx_get(zp, 0x21c, 4), 3 * MiB + 5);
	assert_int_equal(fx_get(zp, 0xc0, 4) | fx_get(zp, 0xc4, 4), 0);
	assert_int_equal(bi.initrd_start % 4096, 0);
	assert_int_equal(bi.initrd_start, (128 * MiB - (3 * MiB + 5)) & ~4095ULL);
	assert_true(bi.initrd_start >= bi.kernel_end);
	check_initrd_bytes(m, &bi);
	check_zp_e820(m, zp);

	/* boot_params.acpi_rsdp_addr (0x070) points at the RSDP. */
	assert_int_equal(fx_get(zp, 0x070, 8), GPA_ACPI);
	assert_int_equal(bi.acpi_rsdp, GPA_ACPI);
	assert_memory_equal(gp(m, GPA_ACPI, 8), "RSD PTR ", 8);

	/* The rest of the boot: MP table, GDT, page tables are there, and at
	 * the BIOS reset vector, mov al, 0xfe; out 0x64, al (an i8042 reset). */
	assert_memory_equal(gp(m, GPA_MPTABLE, 4), "_MP_", 4);
	assert_memory_equal(gp(m, 0xffff0, 4), "\xb0\xfe\xe6\x64", 4);
	assert_int_equal(fx_get(gp(m, GPA_GDT + 0x10, 8), 0, 8), 0x00af9b000000ffffULL);
	assert_int_equal(fx_get(gp(m, GPA_PML4, 8), 0, 8), GPA_PDPT | 3);
	fx_tempfile_remove(kernel);
	fx_tempfile_remove(initrd);
	fx_guest_free(m);
}

static void test_initrd_addr_max(void **state)
{
	struct fx_bz o;
	struct guest_mem *m = fx_guest(3 * GiB + 512 * MiB);
	struct boot_info bi;
	struct azerr e;
	(void)state;

	/* RAM ends at 3 GiB below the hole, but the kernel takes initrds only
	 * below 2 GiB. */
	fx_bz_default(&o);
	char *kernel = bz_file(&o), *initrd = fx_tempfile_pattern(MiB + 100);
	struct boot_request req = { .kernel_path = kernel, .initrd_path = initrd,
				    .nr_cpus = 1 };
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_true(bi.initrd_start + bi.initrd_size - 1 <= 0x7fffffff);
	assert_int_equal(bi.initrd_start, (0x80000000ULL - (MiB + 100)) & ~4095ULL);
	check_initrd_bytes(m, &bi);
	const uint8_t *zp = gp(m, GPA_ZERO_PAGE, 4096);
	assert_int_equal(zp[0x1e8], 4);              /* RAM above 4 GiB too */
	check_zp_e820(m, zp);
	/* No command line given: an empty one. */
	assert_int_equal(*gp(m, GPA_CMDLINE, 1), 0);
	assert_int_equal(bi.cmdline_size, 1);
	fx_tempfile_remove(kernel);
	fx_tempfile_remove(initrd);
	fx_guest_free(m);
}

static void test_pvh_boot(void **state)
{
	struct fx_elf o;
	struct guest_mem *m = fx_guest(64 * MiB);
	struct boot_info bi;
	struct azerr e;
	(void)state;

	fx_elf_default(&o);
	char *kernel = elf_file(&o), *initrd = fx_tempfile_pattern(2 * MiB);
	struct boot_request req = { .kernel_path = kernel, .initrd_path = initrd,
				    .cmdline = "probe.test=smp", .nr_cpus = 4 };
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_int_equal(bi.format, BOOT_FMT_ELF);
	assert_int_equal(bi.mode, BOOT_MODE_PVH32);
	assert_int_equal(bi.entry, 0x100040);
	assert_int_equal(bi.boot_data, GPA_PVH_INFO);
	assert_int_equal(bi.initrd_start, 62 * MiB);

	const uint8_t *si = gp(m, GPA_PVH_INFO, 56);
	assert_int_equal(fx_get(si, 0, 4), 0x336ec578);
	assert_int_equal(fx_get(si, 4, 4), 1);
	assert_int_equal(fx_get(si, 12, 4), 1);                  /* nr_modules */
	assert_int_equal(fx_get(si, 24, 8), GPA_CMDLINE);
	assert_int_equal(fx_get(si, 32, 8), GPA_ACPI);           /* rsdp */
	assert_memory_equal(gp(m, GPA_ACPI, 8), "RSD PTR ", 8);
	assert_string_equal((const char *)gp(m, fx_get(si, 24, 8), 1), req.cmdline);
	const uint8_t *mod = gp(m, fx_get(si, 16, 8), 32);
	assert_int_equal(fx_get(mod, 0, 8), bi.initrd_start);
	assert_int_equal(fx_get(mod, 8, 8), 2 * MiB);
	check_initrd_bytes(m, &bi);

	struct e820_entry map[E820_MAX_BUILT];
	int n = e820_build(m, map, E820_MAX_BUILT, &e);
	assert_int_equal(fx_get(si, 48, 4), n);
	const uint8_t *mm = gp(m, fx_get(si, 40, 8), (uint64_t)n * 24);
	for (int i = 0; i < n; i++) {
		assert_int_equal(fx_get(mm, i * 24, 8), map[i].addr);
		assert_int_equal(fx_get(mm, i * 24 + 8, 8), map[i].size);
		assert_int_equal(fx_get(mm, i * 24 + 16, 4), map[i].type);
	}
	/* The start info must not overlap the zero page or the kernel. */
	assert_true(GPA_PVH_INFO + 4096 <= GPA_ZERO_PAGE);
	fx_tempfile_remove(kernel);

	/* Without an initrd: no module. */
	req.initrd_path = NULL;
	kernel = elf_file(&o);
	req.kernel_path = kernel;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_int_equal(fx_get(si, 12, 4), 0);
	assert_int_equal(fx_get(si, 16, 8), 0);
	assert_int_equal(bi.initrd_size, 0);
	fx_tempfile_remove(kernel);
	fx_tempfile_remove(initrd);
	fx_guest_free(m);
}

static void test_elf_linux64(void **state)
{
	struct fx_elf o;
	struct guest_mem *m = fx_guest(32 * MiB);
	struct boot_info bi;
	struct azerr e;
	(void)state;

	/* The note is there but the 64-bit entry is asked for. */
	fx_elf_default(&o);
	char *kernel = elf_file(&o);
	struct boot_request req = { .kernel_path = kernel, .cmdline = "quiet",
				    .nr_cpus = 1, .entry_pref = BOOT_ENTRY_LINUX64 };
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_int_equal(bi.mode, BOOT_MODE_LINUX64);
	assert_int_equal(bi.entry, 0x100100);
	const uint8_t *zp = gp(m, GPA_ZERO_PAGE, 4096);
	assert_int_equal(fx_get(zp, 0x1fe, 2), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_true(fx_get(zp, 0x206, 2) >= 0x020c);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(fx_get(zp, 0x228, 4), GPA_CMDLINE);
	assert_int_equal(fx_get(zp, 0x218, 4), 0);               /* no initrd */
	check_zp_e820(m, zp);
	fx_tempfile_remove(kernel);

	/* No note: AUTO takes the 64-bit entry, PVH is refused. */
	o.pvh_desc = 0;
	kernel = elf_file(&o);
	req.kernel_path = kernel;
	req.entry_pref = BOOT_ENTRY_AUTO;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_int_equal(bi.mode, BOOT_MODE_LINUX64);
	req.entry_pref = BOOT_ENTRY_PVH;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "XEN_ELFNOTE_PHYS32_ENTRY");
	assert_err_has(e, kernel);
	fx_tempfile_remove(kernel);
	fx_guest_free(m);
}

static void test_cmdline_limits(void **state)
{
	struct fx_bz o;
	struct fx_elf eo;
	struct guest_mem *m = fx_guest(64 * MiB);
	struct boot_info bi;
	struct azerr e;
	char *line = malloc(CMDLINE_MAX + 1);
	(void)state;

	fx_bz_default(&o);
	o.cmdline_size = 16;
	char *kernel = bz_file(&o);
	struct boot_request req = { .kernel_path = kernel, .nr_cpus = 1,
				    .cmdline = "0123456789abcdef" };
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);   /* 16: fits */
	req.cmdline = "0123456789abcdefg";
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "cmdline_size");
	assert_err_has(e, "17 bytes");
	fx_tempfile_remove(kernel);

	/* ELF kernels: up to CMDLINE_MAX with the NUL. */
	fx_elf_default(&eo);
	kernel = elf_file(&eo);
	req.kernel_path = kernel;
	memset(line, 'x', CMDLINE_MAX);
	line[CMDLINE_MAX - 1] = 0;
	req.cmdline = line;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);
	assert_int_equal(bi.cmdline_size, CMDLINE_MAX);
	line[CMDLINE_MAX - 1] = 'x';
	line[CMDLINE_MAX] = 0;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "command line");
	fx_tempfile_remove(kernel);
	free(line);
	fx_guest_free(m);
}

static void test_size_errors(void **state)
{
	struct fx_bz o;
	struct boot_info bi;
	struct azerr e;
	(void)state;

	fx_bz_default(&o);
	o.initrd_addr_max = 0x14fffff;   /* 1 MiB above the kernel's end */
	char *kernel = bz_file(&o), *initrd = fx_tempfile_pattern(2 * MiB);
	struct boot_request req = { .kernel_path = kernel, .initrd_path = initrd,
				    .nr_cpus = 1 };
	struct guest_mem *m = fx_guest(64 * MiB);
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "initrd");
	assert_err_has(e, "too big");
	assert_err_has(e, "2097152 bytes");
	assert_err_has(e, "initrd_addr_max 0x14fffff");
	fx_guest_free(m);
	fx_tempfile_remove(kernel);

	/* 24 MiB: the kernel (to 20 MiB) fits, kernel + 8 MiB initrd not. */
	fx_bz_default(&o);
	kernel = bz_file(&o);
	fx_tempfile_remove(initrd);
	initrd = fx_tempfile_pattern(8 * MiB);
	req.kernel_path = kernel;
	req.initrd_path = initrd;
	m = fx_guest(24 * MiB);
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "memory too small for kernel+initrd");
	assert_err_has(e, "8388608 bytes");
	fx_guest_free(m);

	/* 16 MiB: not even the kernel (4 MiB from 16 MiB). */
	m = fx_guest(16 * MiB);
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "memory too small for the kernel");
	fx_guest_free(m);

	/* Below a megabyte nothing works. */
	m = fx_guest(512 << 10);
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "memory too small");
	fx_guest_free(m);
	fx_tempfile_remove(kernel);
	fx_tempfile_remove(initrd);
}

static void test_request_errors(void **state)
{
	struct fx_bz o;
	struct guest_mem *m = fx_guest(64 * MiB);
	struct boot_info bi;
	struct azerr e;
	static const char junk[4096] = "MZ not a kernel";
	(void)state;

	fx_bz_default(&o);
	char *kernel = bz_file(&o);
	struct boot_request req = { .kernel_path = kernel, .nr_cpus = 1,
				    .entry_pref = BOOT_ENTRY_PVH };
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "bzImage, which has no PVH entry");

	req.entry_pref = BOOT_ENTRY_AUTO;
	req.nr_cpus = 0;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "0 vCPUs");
	req.nr_cpus = BOOT_MAX_CPUS + 1;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "255 vCPUs");
	req.nr_cpus = BOOT_MAX_CPUS;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), 0);

	req.initrd_path = "/nonexistent/initrd.img";
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "initrd /nonexistent/initrd.img");
	fx_tempfile_remove(kernel);

	req.initrd_path = NULL;
	req.kernel_path = "/nonexistent/vmlinuz";
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "kernel /nonexistent/vmlinuz");
	req.kernel_path = "/tmp";
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "not a regular file");
	/* A FIFO is refused at once, not waited on for a writer (the alarm
	 * fails the test rather than let it hang). */
	char dir[] = "/tmp/test_boot.XXXXXX", fifo[64];
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/kernel", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	req.kernel_path = fifo;
	alarm(10);
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	alarm(0);
	assert_err_has(e, "/kernel: not a regular file");
	unlink(fifo);
	rmdir(dir);

	kernel = fx_tempfile(junk, sizeof(junk));
	req.kernel_path = kernel;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, "not a recognised format");
	fx_tempfile_remove(kernel);

	/* A parse error names the file it is about. */
	o.version = 0x0204;
	kernel = bz_file(&o);
	req.kernel_path = kernel;
	assert_int_equal(x86_boot_load(m, &req, &bi, &e), -1);
	assert_err_has(e, kernel);
	assert_err_has(e, "2.04");
	fx_tempfile_remove(kernel);
	fx_guest_free(m);
}

/* Every truncation of both kernel kinds fails cleanly through the whole
 * loader, never touching memory it should not (ASan). */
static void test_truncated_images(void **state)
{
	struct fx_bz o;
	struct fx_elf eo;
	struct guest_mem *m = fx_guest(64 * MiB);
	struct boot_request req = { .kernel_path = "mem", .nr_cpus = 1 };
	size_t lens[2];
	uint8_t *imgs[2];
	(void)state;

	fx_bz_default(&o);
	o.payload = 0x800;
	fx_elf_default(&eo);
	eo.filesz = 0x800;
	imgs[0] = fx_bzimage(&o, &lens[0]);
	imgs[1] = fx_elf(&eo, &lens[1]);
	for (int k = 0; k < 2; k++) {
		for (size_t cut = 0; cut < lens[k]; cut += 7) {
			struct boot_info bi;
			struct azerr e = { "" };
			uint8_t *t = malloc(cut ? cut : 1);
			memcpy(t, imgs[k], cut);
			assert_int_equal(x86_boot_load_image(m, &req, t, cut, &bi, &e), -1);
			assert_err_has(e, "kernel mem");
			free(t);
		}
		struct boot_info bi;
		struct azerr e;
		assert_int_equal(x86_boot_load_image(m, &req, imgs[k], lens[k], &bi, &e), 0);
		free(imgs[k]);
	}
	fx_guest_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_boot),
		cmocka_unit_test(test_initrd_addr_max),
		cmocka_unit_test(test_pvh_boot),
		cmocka_unit_test(test_elf_linux64),
		cmocka_unit_test(test_cmdline_limits),
		cmocka_unit_test(test_size_errors),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_truncated_images),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
