/* The azote command line: values land in the config, bad ones are named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cli.h"

#define ARGV(...) ((char *[]){ "azote", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote", __VA_ARGS__ }) / sizeof(char *)))

static int parse(int argc, char **argv, struct vm_config *c, struct cli_opts *o,
		 struct azerr *e)
{
	vm_config_init(c);
	return cli_parse(argc, argv, c, o, e);
}

static void test_full_command_line(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--kernel", "k.elf", "--initrd", "i.img",
				    "--cmdline", "console=ttyS0 quiet", "--cpus", "4",
				    "--memory", "3584M", "--boot-entry", "linux64",
				    "--log-level", "debug"),
			       ARGV("--kernel", "k.elf", "--initrd", "i.img",
				    "--cmdline", "console=ttyS0 quiet", "--cpus", "4",
				    "--memory", "3584M", "--boot-entry", "linux64",
				    "--log-level", "debug"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_RUN);
	assert_int_equal(o.log_level, LOG_DEBUG);
	assert_string_equal(c.kernel_path, "k.elf");
	assert_string_equal(c.initrd_path, "i.img");
	assert_string_equal(c.cmdline, "console=ttyS0 quiet");
	assert_int_equal(c.nr_cpus, 4);
	assert_true(c.mem_bytes == 3584ULL << 20);
	assert_int_equal(c.entry_pref, BOOT_ENTRY_LINUX64);
	vm_config_free(&c);
}

static void test_defaults_and_bare_mib(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--kernel=p.elf"), ARGV("--kernel=p.elf"), &c, &o, &e), 0);
	assert_int_equal(c.nr_cpus, VM_DEFAULT_CPUS);
	assert_true(c.mem_bytes == VM_DEFAULT_MEM);
	assert_int_equal(c.entry_pref, BOOT_ENTRY_AUTO);
	assert_null(c.initrd_path);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--memory", "64"),
			       ARGV("--kernel", "p", "--memory", "64"), &c, &o, &e), 0);
	assert_true(c.mem_bytes == 64ULL << 20);
	vm_config_free(&c);
}

static void test_errors_name_the_value(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--kernel", "p", "--memory", "12Q"),
			       ARGV("--kernel", "p", "--memory", "12Q"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--memory '12Q'"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--cpus", "0"),
			       ARGV("--kernel", "p", "--cpus", "0"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--cpus '0'"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--cpus", "two"),
			       ARGV("--kernel", "p", "--cpus", "two"), &c, &o, &e), -1);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--boot-entry", "efi"),
			       ARGV("--kernel", "p", "--boot-entry", "efi"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "'efi'"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--frobnicate"),
			       ARGV("--kernel", "p", "--frobnicate"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--frobnicate"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel"), ARGV("--kernel"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "needs a value"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--cpus", "2"), ARGV("--cpus", "2"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--kernel"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "extra"),
			       ARGV("--kernel", "p", "extra"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "'extra'"));
	vm_config_free(&c);
}

static void test_help_and_version(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--help"), ARGV("--help"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_HELP);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--version"), ARGV("--version"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_VERSION);
	vm_config_free(&c);
	/* Every option the parser takes is in the help text. */
	const char *opts[] = { "--kernel", "--initrd", "--cmdline", "--boot-entry",
			       "--cpus", "--memory", "--log-level", "--help", "--version" };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		assert_non_null(strstr(cli_usage, opts[i]));
}

static void test_repeated_option_replaces(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--kernel", "a", "--kernel", "b"),
			       ARGV("--kernel", "a", "--kernel", "b"), &c, &o, &e), 0);
	assert_string_equal(c.kernel_path, "b");
	vm_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_defaults_and_bare_mib),
		cmocka_unit_test(test_errors_name_the_value),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_repeated_option_replaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
