/* azote-jailer's command line (src/jailer/args.c): Firecracker's jailer
 * options and defaults, the arguments after "--", and a message naming
 * the option and value for anything wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jailer/args.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

static const char *const required[] = {
	"--id", "vm-1", "--exec-file", "/usr/bin/azote", "--uid", "123", "--gid", "456",
};

static bool names(const char *const *list, const char *opt)
{
	for (; *list; list++)
		if (!strcmp(*list, opt))
			return true;
	return false;
}

/* Parses the required options (but those more gives again, with replace)
 * followed by more (a NULL-terminated list). */
static int parse_args(struct jailer_args *a, struct azerr *e, const char *const *more,
		      bool replace)
{
	static char *argv[64];
	int n = 0;

	argv[n++] = "azote-jailer";
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i += 2) {
		if (replace && names(more, required[i]))
			continue;
		argv[n++] = (char *)required[i];
		argv[n++] = (char *)required[i + 1];
	}
	while (*more)
		argv[n++] = (char *)*more++;
	argv[n] = NULL;
	return jailer_args_parse(n, argv, a, e);
}

static int parse_with(struct jailer_args *a, struct azerr *e, const char *const *more)
{
	return parse_args(a, e, more, false);
}

static void test_defaults(void **state)
{
	struct jailer_args a;
	struct azerr e;
	(void)state;

	assert_int_equal(parse_with(&a, &e, (const char *const[]){ NULL }), 0);
	assert_string_equal(a.id, "vm-1");
	assert_string_equal(a.exec_file, "/usr/bin/azote");
	assert_int_equal(a.uid, 123);
	assert_int_equal(a.gid, 456);
	assert_string_equal(a.chroot_base, "/srv/jailer");
	assert_null(a.netns);
	assert_false(a.daemonize);
	assert_false(a.new_pid_ns);
	assert_int_equal(a.cgroup.version, 1);
	assert_null(a.cgroup.parent);
	assert_int_equal(a.cgroup.n_props, 0);
	assert_false(a.has_fsize);
	assert_int_equal(a.nofile, 2048);
	assert_int_equal(a.n_extra, 0);
}

/* The launch line firecracker-go-sdk builds, with azote options after --. */
static void test_everything(void **state)
{
	struct jailer_args a;
	struct azerr e;
	(void)state;

	assert_int_equal(parse_with(&a, &e, (const char *const[]){
		"--chroot-base-dir", "/tmp/j", "--netns", "/var/run/netns/ns1", "--daemonize",
		"--new-pid-ns", "--cgroup-version", "2", "--parent-cgroup", "vms/a",
		"--cgroup", "cpu.max=50000 100000", "--cgroup", "memory.max=268435456",
		"--resource-limit", "fsize=1048576", "--resource-limit", "no-file=64",
		"--", "--api-sock", "/run/firecracker.socket", "--", NULL }), 0);
	assert_string_equal(a.chroot_base, "/tmp/j");
	assert_string_equal(a.netns, "/var/run/netns/ns1");
	assert_true(a.daemonize);
	assert_true(a.new_pid_ns);
	assert_int_equal(a.cgroup.version, 2);
	assert_string_equal(a.cgroup.parent, "vms/a");
	assert_int_equal(a.cgroup.n_props, 2);
	assert_string_equal(a.cgroup.props[0].file, "cpu.max");
	assert_string_equal(a.cgroup.props[0].value, "50000 100000");
	assert_string_equal(a.cgroup.props[1].file, "memory.max");
	assert_true(a.has_fsize);
	assert_int_equal(a.fsize, 1048576);
	assert_int_equal(a.nofile, 64);
	/* Everything after the first "--" is the exec file's, a "--" too. */
	assert_int_equal(a.n_extra, 3);
	assert_string_equal(a.extra[0], "--api-sock");
	assert_string_equal(a.extra[1], "/run/firecracker.socket");
	assert_string_equal(a.extra[2], "--");
	jailer_args_free(&a);
	assert_int_equal(a.cgroup.n_props, 0);
}

static void test_help_alone(void **state)
{
	char *argv[] = { "azote-jailer", "--help", NULL };
	char *argv2[] = { "azote-jailer", "--version", NULL };
	struct jailer_args a;
	struct azerr e;
	(void)state;

	assert_int_equal(jailer_args_parse(ARGC(argv), argv, &a, &e), 0);
	assert_true(a.help);
	assert_int_equal(jailer_args_parse(ARGC(argv2), argv2, &a, &e), 0);
	assert_true(a.version);
	assert_non_null(strstr(jailer_usage, "--cgroup-version"));
	/* What its exit statuses mean, as azote's --help says its own. */
	assert_non_null(strstr(jailer_usage, "\nExit status: "));
	/* As Firecracker's arg_parser: -h too, anywhere before "--", whatever
	 * else the line holds; not after it (the exec file's). */
	char *argv3[] = { "azote-jailer", "--id", "x", "--bogus", "-h", NULL };
	char *argv4[] = { "azote-jailer", "--id", "x", "--", "-h", NULL };
	char *argv5[] = { "azote-jailer", "-x", NULL };
	assert_int_equal(jailer_args_parse(ARGC(argv3), argv3, &a, &e), 0);
	assert_true(a.help);
	assert_int_equal(jailer_args_parse(ARGC(argv4), argv4, &a, &e), -1);
	assert_false(a.help);
	assert_int_equal(jailer_args_parse(ARGC(argv5), argv5, &a, &e), -1);
	assert_string_equal(e.msg, "unknown option '-x' (see --help)");
}

static void test_missing(void **state)
{
	static const char *const names[] = { "id", "exec-file", "uid", "gid" };
	struct jailer_args a;
	struct azerr e;
	char want[32];
	(void)state;

	/* Leaving out each required option in turn names it. */
	for (size_t skip = 0; skip < 4; skip++) {
		char *argv[16];
		int n = 0;
		argv[n++] = "azote-jailer";
		for (size_t i = 0; i < 8; i += 2) {
			if (i / 2 == skip)
				continue;
			argv[n++] = (char *)required[i];
			argv[n++] = (char *)required[i + 1];
		}
		argv[n] = NULL;
		assert_int_equal(jailer_args_parse(n, argv, &a, &e), -1);
		snprintf(want, sizeof(want), "missing --%s", names[skip]);
		assert_non_null(strstr(e.msg, want));
	}
}

static void test_refused(void **state)
{
	static const struct { const char *args[4]; const char *says; bool twice; } bad[] = {
		{ { "--uid", "1", NULL }, "--uid given twice ('123', then '1')", true },
		{ { "--id", "x", NULL }, "--id given twice", true },
		{ { "--uid", "-1", NULL }, "--uid '-1'", false },
		{ { "--uid", "", NULL }, "--uid ''", false },
		{ { "--gid", "4294967295", NULL }, "--gid '4294967295'", false },
		{ { "--id", "vm_1", NULL }, "--id 'vm_1'", false },
		{ { "--cgroup-version", "3", NULL }, "3", false },
		{ { "--cgroup", "cpu.max", NULL }, "cpu.max", false },
		{ { "--cgroup", "../x.y=1", NULL }, "../x.y=1", false },
		{ { "--parent-cgroup", "/abs", NULL }, "/abs", false },
		{ { "--parent-cgroup", "a/../b", NULL }, "a/../b", false },
		{ { "--resource-limit", "nproc=5", NULL }, "unknown limit 'nproc'", false },
		{ { "--resource-limit", "fsize=lots", NULL }, "'lots' is not a number", false },
		{ { "--resource-limit", "fsize", NULL }, "fsize=BYTES", false },
		{ { "--bogus", NULL }, "unknown option '--bogus'", false },
		{ { "stray", NULL }, "unexpected argument 'stray'", false },
		{ { "--netns", NULL }, "'--netns' needs a value", false },
		{ { "--daemonize=1", NULL }, "option '--daemonize=1' takes no value", false },
		/* A value is never an option, as in Firecracker's jailer. */
		{ { "--id", "--new-pid-ns", NULL }, "option '--id' needs a value, not "
		  "'--new-pid-ns'", false },
		{ { "--netns", "--daemonize", NULL }, "option '--netns' needs a value, not "
		  "'--daemonize'", false },
		{ { "--chroot-base-dir", "--", "x", NULL }, "option '--chroot-base-dir' needs a "
		  "value, not '--'", false },
	};
	struct jailer_args a;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_args(&a, &e, bad[i].args, !bad[i].twice), -1);
		jailer_args_free(&a);
		if (!strstr(e.msg, bad[i].says))
			fail_msg("case %zu: '%s' not in '%s'", i, bad[i].says, e.msg);
	}
}

static void test_ids(void **state)
{
	static const char *const good[] = {
		"a", "vm-1", "551e7604-e35c-42b3-b825-416853441234",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char *const bad[] = {
		"", "vm_1", "vm.1", "../x", "a/b", "vm 1",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(jailer_id_check(good[i], &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jailer_id_check(bad[i], &e), -1);
		assert_non_null(strstr(e.msg, "--id"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_help_alone),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
