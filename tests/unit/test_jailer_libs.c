/* What the jailer binds into a chroot (src/jailer/libs.c): the program
 * interpreter read from an ELF's program headers, bounds-checked; the
 * loader's list output parsed into absolute paths, each once; and, end to
 * end, the libraries of this test program itself. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "jailer/libs.h"

#define INTERP "/lib64/ld-test.so.2"

/* An ELF64 image: header, two program headers (PT_LOAD, then PT_INTERP
 * unless interp is NULL), then the interpreter's name. */
static size_t make_elf(uint8_t *buf, const char *interp)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2,
	};
	size_t off = sizeof(eh) + 2 * sizeof(Elf64_Phdr);
	Elf64_Phdr ph[2] = { { .p_type = PT_LOAD }, { .p_type = interp ? PT_INTERP : PT_NOTE } };

	if (interp) {
		ph[1].p_offset = off;
		ph[1].p_filesz = strlen(interp) + 1;
		memcpy(buf + off, interp, strlen(interp) + 1);
		off += strlen(interp) + 1;
	}
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), ph, sizeof(ph));
	return off;
}

static void test_interp(void **state)
{
	uint8_t buf[512];
	char out[64];
	size_t len;
	(void)state;

	len = make_elf(buf, INTERP);
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), 1);
	assert_string_equal(out, INTERP);
	/* A static executable has none. */
	len = make_elf(buf, NULL);
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), 0);
}

static void test_interp_malformed(void **state)
{
	uint8_t buf[512];
	char out[64];
	Elf64_Phdr ph;
	size_t len = make_elf(buf, INTERP);
	size_t ph1 = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	(void)state;

	/* Cut inside the name, inside the program headers, inside the header. */
	assert_int_equal(elf_interp(buf, len - 1, out, sizeof(out)), -1);
	assert_int_equal(elf_interp(buf, ph1 + 8, out, sizeof(out)), -1);
	assert_int_equal(elf_interp(buf, 10, out, sizeof(out)), -1);
	/* A name that does not fit out. */
	assert_int_equal(elf_interp(buf, len, out, 8), -1);
	/* A name without its NUL, or with one inside. */
	buf[len - 1] = 'x';
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), -1);
	buf[len - 1] = '\0';
	buf[len - 5] = '\0';
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), -1);
	/* An offset or size that wraps around. */
	len = make_elf(buf, INTERP);
	memcpy(&ph, buf + ph1, sizeof(ph));
	ph.p_offset = UINT64_MAX - 2;
	memcpy(buf + ph1, &ph, sizeof(ph));
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), -1);
	ph.p_offset = 10;
	ph.p_filesz = UINT64_MAX;
	memcpy(buf + ph1, &ph, sizeof(ph));
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), -1);
	/* Not ELF, or 32-bit. */
	len = make_elf(buf, INTERP);
	buf[EI_CLASS] = ELFCLASS32;
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), -1);
	buf[EI_CLASS] = ELFCLASS64;
	buf[0] = 0;
	assert_int_equal(elf_interp(buf, len, out, sizeof(out)), -1);
}

static void test_parse_list(void **state)
{
	static const char text[] =
		"\tlinux-vdso.so.1 (0x00007ffd1c9f2000)\n"
		"\tlibseccomp.so.2 => /lib/x86_64-linux-gnu/libseccomp.so.2 (0x00007f6efed4d000)\n"
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6efeb6b000)\n"
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f6efedea000)\n"
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6efeb6b000)\n";
	struct path_set set = { 0 };
	struct azerr e;
	(void)state;

	assert_int_equal(libs_parse_list(text, &set, &e), 0);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.path[0], "/lib/x86_64-linux-gnu/libseccomp.so.2");
	assert_string_equal(set.path[1], "/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(set.path[2], "/lib64/ld-linux-x86-64.so.2");
	path_set_free(&set);

	assert_int_equal(libs_parse_list("\tlibfoo.so.1 => not found\n", &set, &e), -1);
	assert_non_null(strstr(e.msg, "libfoo.so.1"));
	assert_int_equal(libs_parse_list("garbage here\n", &set, &e), -1);
	assert_non_null(strstr(e.msg, "garbage here"));
	assert_int_equal(libs_parse_list("\tlibx.so => rel/libx.so (0x1)\n", &set, &e), -1);
	assert_non_null(strstr(e.msg, "relative"));
	path_set_free(&set);
}

/* This test program is dynamically linked: its libraries are found. */
static void test_libs_of_self(void **state)
{
	struct path_set set = { 0 };
	struct azerr e;
	int cmocka = 0, libc = 0;
	(void)state;

	if (libs_of("/proc/self/exe", &set, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(set.n >= 3);
	for (unsigned i = 0; i < set.n; i++) {
		assert_int_equal(set.path[i][0], '/');
		cmocka |= strstr(set.path[i], "/libcmocka.so") != NULL;
		libc |= strstr(set.path[i], "/libc.so.6") != NULL;
	}
	assert_true(cmocka && libc);
	path_set_free(&set);
	assert_int_equal(libs_of("/etc/hostname", &set, &e), -1);
	assert_non_null(strstr(e.msg, "/etc/hostname"));
	assert_int_equal(libs_of("/nonexistent", &set, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent"));
}

/* A fake loader: a root-owned shell script (check_loader takes it) that
 * prints body, named as the interpreter of an ELF image beside it. */
static char fake_dir[64], fake_exe[96];

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void fake_loader(const char *body)
{
	char path[128], script[512];
	uint8_t elf[512];

	snprintf(path, sizeof(path), "%s/ld.so", fake_dir);
	snprintf(script, sizeof(script), "#!/bin/sh\n%s\n", body);
	write_file(path, script, strlen(script), 0755);
	snprintf(fake_exe, sizeof(fake_exe), "%s/exe", fake_dir);
	write_file(fake_exe, elf, make_elf(elf, path), 0755);
}

static int fake_setup(void **state)
{
	(void)state;
	/* The loader must be root's: only root can run these. */
	if (geteuid() != 0)
		skip();
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/test_jailer_libs.XXXXXX");
	assert_non_null(mkdtemp(fake_dir));
	return 0;
}

static int fake_teardown(void **state)
{
	char cmd[128];
	(void)state;

	libs_list_timeout_ms = 10000;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_dir);
	return system(cmd);
}

/* What the loader lists is bound into the jail only if it is a library
 * of root's only root can write: a host file it names is refused. */
static void test_listed_files_checked(void **state)
{
	struct path_set set = { 0 };
	struct azerr e;
	char lib[128], body[256];
	uint8_t elf[512];
	(void)state;

	snprintf(lib, sizeof(lib), "%s/libok.so", fake_dir);
	write_file(lib, elf, make_elf(elf, NULL), 0644);
	snprintf(body, sizeof(body), "printf '\\tlibok.so => %s (0x1)\\n'", lib);
	fake_loader(body);
	if (libs_of(fake_exe, &set, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.path[1], lib);
	path_set_free(&set);

	assert_int_equal(chmod(lib, 0664), 0);
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, "the loader lists"));
	assert_non_null(strstr(e.msg, lib));
	path_set_free(&set);
	assert_int_equal(chmod(lib, 0644), 0);
	assert_int_equal(chown(lib, 4321, 4321), 0);
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, lib));
	path_set_free(&set);

	fake_loader("printf '\\t/etc/passwd (0x1)\\n\\t/dev/null (0x2)\\n'");
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, "the loader lists /etc/passwd, which is not an ELF "
				"shared object"));
	path_set_free(&set);
	fake_loader("printf '\\t/dev/null (0x2)\\n'");
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, "/dev/null"));
	path_set_free(&set);
}

/* The loader runs as root, which no other uid may ptrace or signal, but
 * with no capability: its list line shows what it had. */
static void test_loader_identity(void **state)
{
	struct path_set set = { 0 };
	struct azerr e;
	(void)state;

	fake_loader("echo $(grep -E '^(Uid|CapPrm|CapEff|CapBnd|NoNewPrivs):' /proc/$$/status)");
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, "Uid: 0 0 0 0 CapPrm: 0000000000000000 CapEff: "
				"0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1"));
	path_set_free(&set);
}

/* A loader that does not end (here: it stops itself) is killed in time. */
static void test_loader_timeout(void **state)
{
	struct path_set set = { 0 };
	struct azerr e;
	(void)state;

	libs_list_timeout_ms = 300;
	fake_loader("kill -STOP $$");
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, "ld.so --list /"));
	assert_non_null(strstr(e.msg, "no answer in time: killed"));
	fake_loader("exec sleep 60");
	assert_int_equal(libs_of(fake_exe, &set, &e), -1);
	assert_non_null(strstr(e.msg, "no answer in time: killed"));
	path_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interp),
		cmocka_unit_test(test_interp_malformed),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_libs_of_self),
		cmocka_unit_test_setup_teardown(test_listed_files_checked, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_loader_identity, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_loader_timeout, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
