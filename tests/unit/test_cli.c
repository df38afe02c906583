/* The azote command line: values land in the config, bad ones are named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cli.h"

#define ARGV(...) ((char *[]){ "azote", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote", __VA_ARGS__ }) / sizeof(char *)))

/* The options of the last parse, freed by the next one and at the end. */
static struct cli_opts last_opts;

static int parse(int argc, char **argv, struct vm_config *c, struct cli_opts *o,
		 struct azerr *e)
{
	cli_opts_free(&last_opts);
	vm_config_init(c);
	int ret = cli_parse(argc, argv, c, o, e);
	last_opts = *o;
	return ret;
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
	assert_false(c.huge_pages);
	vm_config_free(&c);
	/* --huge-pages: whole 2 MiB pages, whatever the order. */
	assert_int_equal(parse(ARGC("--huge-pages", "--kernel", "p", "--memory", "66"),
			       ARGV("--huge-pages", "--kernel", "p", "--memory", "66"), &c, &o, &e),
			 0);
	assert_true(c.huge_pages && c.mem_bytes == 66ULL << 20);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--memory", "65", "--huge-pages"),
			       ARGV("--kernel", "p", "--memory", "65", "--huge-pages"), &c, &o, &e),
			 -1);
	assert_string_equal(e.msg, "--memory 65M on --huge-pages: not a whole number of 2 MiB "
			    "pages");
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
	assert_non_null(strstr(e.msg, "nothing to boot"));
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
	/* As Firecracker's arg_parser: -h too, and either anywhere, whatever
	 * else the line holds; help before version. */
	assert_int_equal(parse(ARGC("-h"), ARGV("-h"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_HELP);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--bogus", "--cpus", "x", "--help"),
			       ARGV("--bogus", "--cpus", "x", "--help"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_HELP);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--version", "--kernel", "k", "-h"),
			       ARGV("--version", "--kernel", "k", "-h"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_HELP);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--bogus", "--version"), ARGV("--bogus", "--version"),
			       &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_VERSION);
	vm_config_free(&c);
	/* An unknown short option is unknown, not one lacking its value. */
	assert_int_equal(parse(ARGC("-x"), ARGV("-x"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "unknown option '-x' (see --help)");
	vm_config_free(&c);
	/* An unknown long option before a lone "-" (fuzz_cli found the
	 * helper reading past that word). */
	assert_int_equal(parse(ARGC("--bogus", "-"), ARGV("--bogus", "-"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "unknown option '--bogus' (see --help)");
	vm_config_free(&c);
	/* A value given to a flag is named as such, not as one missing. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--enable-pci=1"),
			       ARGV("--kernel", "p", "--enable-pci=1"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "option '--enable-pci=1' takes no value");
	vm_config_free(&c);
	/* "-xy" after a flag: its first letter, not the flag, is at fault. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--enable-pci", "-xy"),
			       ARGV("--kernel", "p", "--enable-pci", "-xy"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "unknown option '-x' (see --help)");
	vm_config_free(&c);
	/* Every option the parser takes is in the help text. */
	const char *opts[] = { "--kernel", "--initrd", "--cmdline", "--boot-entry",
			       "--cpus", "--memory", "--huge-pages", "--drive", "--vhost-user-blk",
			       "--net", "--vhost-user-net", "--vsock", "--rng", "--balloon", "--pmem", "--api-sock", "--config-file",
			       "--no-api", "--id", "--log-level", "--help", "--version",
			       "--seccomp", "--no-seccomp", "--level", "--log-path",
			       "--show-level", "--show-log-origin", "--module",
			       "--metrics-path", "--http-api-max-payload-size", "--enable-pci",
			       "--start-time-us", "--start-time-cpu-us",
			       "--parent-cpu-time-us", "--seccomp-filter", "--boot-timer",
			       "--metadata", "--mmds-size-limit", "--describe-snapshot",
			       "--snapshot-version", "--card-user", "--cpu-template",
			       "--restore", "--restore-mem", "--eager-mem", "--prefetch-mem" };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		assert_non_null(strstr(cli_usage, opts[i]));
}

/* What Firecracker's clients and jailer pass: the launch of
 * firecracker-go-sdk, the jailer's start-up times, the logger and metrics
 * flags of Firecracker's getting-started. */
static void test_firecracker_flags(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

#define FC_ARGS "--api-sock", "/run/fc.sock", "--id", "551e7604-e35c-42b3-b825", \
	"--no-seccomp", "--start-time-us", "123456", "--start-time-cpu-us", "789", \
	"--parent-cpu-time-us", "42", "--level", "Debug", "--log-path", "/tmp/fc.log", \
	"--show-level", "--show-log-origin", "--module", "vmm", "--metrics-path", \
	"/tmp/fc.metrics", "--http-api-max-payload-size", "1048576", "--enable-pci", \
	"--mmds-size-limit", "4096", "--metadata", "m.json"
	assert_int_equal(parse(ARGC(FC_ARGS), ARGV(FC_ARGS), &c, &o, &e), 0);
#undef FC_ARGS
	assert_string_equal(o.api_sock, "/run/fc.sock");
	assert_string_equal(o.id, "551e7604-e35c-42b3-b825");
	assert_int_equal(o.seccomp, JAIL_SECCOMP_OFF);
	assert_true(o.has_start_time && o.start_time_us == 123456);
	assert_true(o.has_start_cpu_time && o.start_cpu_time_us == 789);
	assert_true(o.parent_cpu_time_us == 42);
	assert_true(c.logger.configured);
	assert_string_equal(c.logger.level, "Debug");
	assert_string_equal(c.logger.log_path, "/tmp/fc.log");
	assert_true(c.logger.show_level && c.logger.show_log_origin);
	assert_string_equal(c.logger.module, "vmm");
	assert_string_equal(c.metrics_path, "/tmp/fc.metrics");
	assert_int_equal(o.max_payload, 1048576);
	assert_int_equal(o.mmds_size_limit, 4096);
	assert_string_equal(o.metadata, "m.json");
	vm_config_free(&c);
	/* Without them: no logger configured, the default payload limit. */
	assert_int_equal(parse(ARGC("--api-sock", "s"), ARGV("--api-sock", "s"), &c, &o, &e), 0);
	assert_false(c.logger.configured);
	assert_null(c.metrics_path);
	assert_int_equal(o.max_payload, 0);
	assert_int_equal(o.mmds_size_limit, 0);
	assert_null(o.metadata);
	assert_false(o.has_start_time || o.has_start_cpu_time);
	vm_config_free(&c);
}

/* Bad values of Firecracker's flags are named. */
static void test_firecracker_flags_refused(void **state)
{
	static const struct { const char *flag, *value, *says; } bad[] = {
		{ "--mmds-size-limit", "0", "--mmds-size-limit '0': expected a number" },
		{ "--mmds-size-limit", "1k", "--mmds-size-limit '1k'" },
		{ "--level", "Loud", "--level 'Loud': expected Error, Warning" },
		{ "--module", "", "--module '': a directory" },
		{ "--module", "a b", "--module 'a b'" },
		{ "--http-api-max-payload-size", "0", "--http-api-max-payload-size '0'" },
		{ "--http-api-max-payload-size", "lots", "--http-api-max-payload-size 'lots'" },
		{ "--start-time-us", "-5", "--start-time-us '-5': expected a number" },
		{ "--start-time-cpu-us", "1e6", "--start-time-cpu-us '1e6'" },
		{ "--parent-cpu-time-us", "", "--parent-cpu-time-us ''" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "azote", "--api-sock", "s", (char *)bad[i].flag,
				 (char *)bad[i].value, NULL };
		int argc = bad[i].value ? 5 : 4;
		assert_int_equal(parse(argc, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].says))
			fail_msg("%s: '%s' not in '%s'", bad[i].flag, bad[i].says, e.msg);
		vm_config_free(&c);
	}
	assert_int_equal(parse(ARGC("--api-sock", "s", "--log-level", "info", "--level", "Info"),
			       ARGV("--api-sock", "s", "--log-level", "info", "--level", "Info"),
			       &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--log-level and --level"));
	vm_config_free(&c);
}

/* Whether the command line parses with boot_timer set (-1: refused). */
static int boot_timer_set(int argc, char **argv)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	int ret = parse(argc, argv, &c, &o, &e);

	if (!ret)
		ret = c.boot_timer;
	vm_config_free(&c);
	return ret;
}

#define BOOT_TIMER_SET(...) boot_timer_set(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

/* --boot-timer, Firecracker's flag, sets the configuration's boot_timer
 * with each way of booting Firecracker has (the API, the config file) and
 * azote's own (--kernel); it is not one of the options that describe the
 * VM, which --config-file and --restore refuse (a restore takes it, as
 * Firecracker takes it before a snapshot load; the restored VM has no boot
 * timer: vmm/vm.c). Without it: no boot timer. The help says what it
 * does, not that it is refused. */
static void test_boot_timer(void **state)
{
	(void)state;

	assert_int_equal(BOOT_TIMER_SET("--api-sock", "s", "--boot-timer"), 1);
	assert_int_equal(BOOT_TIMER_SET("--boot-timer", "--config-file", "vm.json"), 1);
	assert_int_equal(BOOT_TIMER_SET("--kernel", "k", "--boot-timer"), 1);
	assert_int_equal(BOOT_TIMER_SET("--restore", "snap", "--boot-timer"), 1);
	assert_int_equal(BOOT_TIMER_SET("--api-sock", "s"), 0);
	assert_int_equal(BOOT_TIMER_SET("--kernel", "k", "--boot-timer=1"), -1);

	/* Its entry: from the flag to the end of its section. */
	char entry[1024];
	const char *at = strstr(cli_usage, "  --boot-timer");
	assert_non_null(at);
	const char *end = strstr(at, "\n\n");
	assert_non_null(end);
	assert_true((size_t)(end - at) < sizeof(entry));
	snprintf(entry, sizeof(entry), "%.*s", (int)(end - at), at);
	assert_non_null(strstr(entry, "123"));
	assert_non_null(strstr(entry, "0xc0000000"));
	assert_non_null(strstr(entry, "Guest-boot-time"));
	assert_non_null(strstr(entry, "info level"));
	assert_null(strstr(entry, "refused"));
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

static void test_drives(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--kernel", "p", "--drive", "path=/img/a.raw,ro,queues=4,direct,poll_us=0",
				    "--drive", "id=data_1,path=b.img,uring=defer-taskrun,"
				    "bw_limit=1048576/100,ops_limit=100/100/500",
				    "--vhost-user-blk", "socket=/run/vu.sock",
				    "--drive", "path=c.img"),
			       ARGV("--kernel", "p", "--drive", "path=/img/a.raw,ro,queues=4,direct,poll_us=0",
				    "--drive", "id=data_1,path=b.img,uring=defer-taskrun,"
				    "bw_limit=1048576/100,ops_limit=100/100/500",
				    "--vhost-user-blk", "socket=/run/vu.sock",
				    "--drive", "path=c.img"), &c, &o, &e), 0);
	assert_int_equal(c.nr_drives, 4);
	assert_string_equal(c.drives[0].id, "drive0");
	assert_string_equal(c.drives[0].path, "/img/a.raw");
	assert_true(c.drives[0].read_only && c.drives[0].direct);
	assert_int_equal(c.drives[0].queues, 4);
	assert_true(c.drives[0].has_poll_us);
	assert_int_equal(c.drives[0].poll_us, 0);
	assert_int_equal(c.drives[0].uring, BLK_URING_DEFAULT);
	assert_false(c.drives[0].rate_limiter.has_bandwidth || c.drives[0].rate_limiter.has_ops);
	assert_string_equal(c.drives[1].id, "data_1");
	/* Firecracker's token buckets: bytes, then requests with a burst. */
	const struct rate_limiter *rl = &c.drives[1].rate_limiter;
	assert_true(rl->has_bandwidth && rl->has_ops);
	assert_memory_equal(&rl->bandwidth, &((struct token_bucket){ .size = 1048576,
					      .refill_time_ms = 100 }), sizeof(rl->bandwidth));
	assert_memory_equal(&rl->ops, &((struct token_bucket){ .size = 100, .refill_time_ms = 100,
					.one_time_burst = 500 }), sizeof(rl->ops));
	assert_int_equal(c.drives[1].uring, BLK_URING_DEFER_TASKRUN);
	assert_false(c.drives[1].read_only);
	assert_int_equal(c.drives[1].queues, 0);
	assert_false(c.drives[1].has_poll_us);
	assert_string_equal(c.drives[2].id, "drive2");
	assert_string_equal(c.drives[2].socket, "/run/vu.sock");
	assert_null(c.drives[2].path);
	assert_string_equal(c.drives[3].id, "drive3");
	vm_config_free(&c);
}

/* One device option whose value is refused with a message saying want;
 * no device is left in the config. */
struct bad_device {
	const char *opt, *arg, *want;
};

static void expect_bad_devices(const struct bad_device *bad, size_t n)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;

	for (size_t i = 0; i < n; i++) {
		char *argv[] = { "azote", "--kernel", "p", (char *)bad[i].opt,
				 (char *)bad[i].arg, NULL };
		assert_int_equal(parse(5, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("'%s %s': message '%s' lacks '%s'", bad[i].opt, bad[i].arg,
				 e.msg, bad[i].want);
		assert_int_equal(c.nr_drives + c.nr_nets, 0);
		vm_config_free(&c);
	}
}

static void test_drive_errors(void **state)
{
	static const struct bad_device bad[] = {
		{ "--drive", "ro", "path= is required" },
		{ "--drive", "path=a,queues=0", "queues='0'" },
		{ "--drive", "path=a,queues=17", "queues='17'" },
		{ "--drive", "path=a,poll_us=1001", "poll_us='1001'" },
		{ "--drive", "path=a,poll_us", "poll_us" },
		{ "--drive", "path=a,uring=sqpoll",
		  "uring='sqpoll': expected default, single-issuer or defer-taskrun" },
		{ "--drive", "path=a,color=red", "'color=red'" },
		{ "--drive", "path=a,bw_limit=10M/1000",
		  "--drive bw_limit='10M/1000': expected SIZE/REFILL_MS[/ONE_TIME_BURST]" },
		{ "--drive", "path=a,ops_limit=100", "--drive ops_limit='100': expected" },
		{ "--drive", "path=a,ops_limit", "'ops_limit'" },
		{ "--drive", "path=a,rx_bw_limit=1/1", "'rx_bw_limit=1/1'" },
		{ "--vhost-user-blk", "socket=s,bw_limit=1/1", "'bw_limit=1/1'" },
		{ "--drive", "path=a,ro=yes", "'ro=yes'" },
		{ "--drive", "path=a,id=bad/id", "id='bad/id'" },
		{ "--drive", "path=a,id=", "id=''" },
		{ "--drive", "path=a,socket=s", "'socket=s'" },
		{ "--vhost-user-blk", "path=a", "'path=a'" },
		{ "--vhost-user-blk", "id=x", "socket= is required" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	expect_bad_devices(bad, sizeof(bad) / sizeof(bad[0]));
	/* Duplicate IDs, explicit or against a default. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--drive", "path=a,id=x", "--drive", "path=b,id=x"),
			       ARGV("--kernel", "p", "--drive", "path=a,id=x", "--drive", "path=b,id=x"),
			       &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "'x' is used twice"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--drive", "path=a,id=drive1", "--drive", "path=b"),
			       ARGV("--kernel", "p", "--drive", "path=a,id=drive1", "--drive", "path=b"),
			       &c, &o, &e), 0);
	assert_string_equal(c.drives[1].id, "drive2");
	vm_config_free(&c);
	/* A 64-character ID is one too long. */
	char arg[100];
	snprintf(arg, sizeof(arg), "path=a,id=%064d", 0);
	char *argv[] = { "azote", "--kernel", "p", "--drive", arg, NULL };
	assert_int_equal(parse(5, argv, &c, &o, &e), -1);
	vm_config_free(&c);
}

/* azote's own command line shows virtio-pci; Firecracker's interfaces
 * virtio-mmio unless --enable-pci; --transport decides over both. */
static void test_transport(void **state)
{
	static const struct {
		const char *a, *b, *c, *d;
		enum vm_transport want;
	} cases[] = {
		{ "--kernel", "k", NULL, NULL, VM_TRANSPORT_PCI },
		{ "--kernel", "k", "--transport", "mmio", VM_TRANSPORT_MMIO },
		{ "--api-sock", "s", NULL, NULL, VM_TRANSPORT_MMIO },
		{ "--api-sock", "s", "--enable-pci", NULL, VM_TRANSPORT_PCI },
		{ "--config-file", "f", NULL, NULL, VM_TRANSPORT_MMIO },
		{ "--config-file", "f", "--enable-pci", NULL, VM_TRANSPORT_PCI },
		{ "--config-file", "f", "--transport", "pci", VM_TRANSPORT_PCI },
		{ "--api-sock", "s", "--transport", "mmio", VM_TRANSPORT_MMIO },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "azote", (char *)cases[i].a, (char *)cases[i].b,
				 (char *)cases[i].c, (char *)cases[i].d, NULL };
		int argc = cases[i].d ? 5 : cases[i].c ? 4 : 3;
		assert_int_equal(parse(argc, argv, &c, &o, &e), 0);
		assert_int_equal(c.transport, cases[i].want);
		vm_config_free(&c);
	}
	assert_int_equal(parse(ARGC("--kernel", "k", "--transport", "virtio"),
			       ARGV("--kernel", "k", "--transport", "virtio"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "--transport 'virtio': expected pci or mmio");
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--api-sock", "s", "--transport", "mmio", "--enable-pci"),
			       ARGV("--api-sock", "s", "--transport", "mmio", "--enable-pci"),
			       &c, &o, &e), -1);
	assert_string_equal(e.msg, "--transport mmio and --enable-pci contradict each other");
	vm_config_free(&c);
}

/* --describe-snapshot and --snapshot-version are actions of their own;
 * --restore is a way to run, alone or with the API, and takes no VM
 * option. */
static void test_snapshot_options(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--describe-snapshot", "vm.snap"),
			       ARGV("--describe-snapshot", "vm.snap"), &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_DESCRIBE_SNAPSHOT);
	assert_string_equal(o.describe_snapshot, "vm.snap");
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--snapshot-version"), ARGV("--snapshot-version"),
			       &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_SNAPSHOT_VERSION);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--restore", "vm.snap"), ARGV("--restore", "vm.snap"),
			       &c, &o, &e), 0);
	assert_int_equal(o.action, CLI_RUN);
	assert_string_equal(o.restore, "vm.snap");
	assert_null(o.restore_mem);
	assert_null(o.api_sock);
	assert_false(o.eager_mem);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--restore", "vm.snap", "--restore-mem", "vm.mem", "--no-api",
				    "--eager-mem"),
			       ARGV("--restore", "vm.snap", "--restore-mem", "vm.mem", "--no-api",
				    "--eager-mem"),
			       &c, &o, &e), 0);
	assert_string_equal(o.restore_mem, "vm.mem");
	assert_true(o.eager_mem);
	assert_false(o.prefetch_mem);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--restore", "vm.snap", "--prefetch-mem"),
			       ARGV("--restore", "vm.snap", "--prefetch-mem"), &c, &o, &e), 0);
	assert_true(o.prefetch_mem);
	assert_false(o.eager_mem);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--restore", "s", "--api-sock", "a.sock"),
			       ARGV("--restore", "s", "--api-sock", "a.sock"), &c, &o, &e), 0);
	assert_string_equal(o.api_sock, "a.sock");
	vm_config_free(&c);

	static const struct { const char *argv[4]; const char *says; } bad[] = {
		{ { "--restore", "s", "--cpus", "2" }, "--restore runs the VM its snapshot" },
		{ { "--restore", "s", "--config-file", "c" }, "cannot be combined with --config-file" },
		{ { "--restore", "s", "--kernel", "k" }, "cannot be combined" },
		{ { "--restore-mem", "m", "--kernel", "k" }, "--restore-mem needs --restore" },
		{ { "--restore", "s", "--eager-mem", "--prefetch-mem" },
		  "--eager-mem reads the memory file before the guest runs, --prefetch-mem "
		  "while it runs: give one" },
		{ { "--restore" }, "option '--restore' needs a value" },
		{ { "--describe-snapshot" }, "option '--describe-snapshot' needs a value" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[6] = { "azote" };
		int argc = 1;
		for (int j = 0; j < 4 && bad[i].argv[j]; j++)
			argv[argc++] = (char *)bad[i].argv[j];
		assert_int_equal(parse(argc, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].says))
			fail_msg("case %zu: '%s' not in '%s'", i, bad[i].says, e.msg);
		vm_config_free(&c);
	}
}

static void test_api_modes(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	/* API only: configuration comes later; CLI options pre-fill it. */
	assert_int_equal(parse(ARGC("--api-sock", "/run/a.sock", "--cpus", "2", "--id", "vm-1"),
			       ARGV("--api-sock", "/run/a.sock", "--cpus", "2", "--id", "vm-1"),
			       &c, &o, &e), 0);
	assert_string_equal(o.api_sock, "/run/a.sock");
	assert_string_equal(o.id, "vm-1");
	assert_int_equal(c.nr_cpus, 2);
	assert_true(o.vm_options);
	vm_config_free(&c);
	/* Firecracker serves its API on /run/firecracker.socket unless told
	 * otherwise or --no-api. */
	assert_int_equal(parse(ARGC("--config-file", "vm.json"),
			       ARGV("--config-file", "vm.json"), &c, &o, &e), 0);
	assert_string_equal(o.api_sock, "/run/firecracker.socket");
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--config-file", "vm.json", "--api-sock", "a.sock"),
			       ARGV("--config-file", "vm.json", "--api-sock", "a.sock"),
			       &c, &o, &e), 0);
	assert_string_equal(o.api_sock, "a.sock");
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "k"), ARGV("--kernel", "k"), &c, &o, &e), 0);
	assert_null(o.api_sock);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--config-file", "vm.json", "--no-api"),
			       ARGV("--config-file", "vm.json", "--no-api"), &c, &o, &e), 0);
	assert_null(o.api_sock);
	assert_string_equal(o.config_file, "vm.json");
	assert_true(o.no_api);
	assert_false(o.vm_options);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "k", "--no-api"),
			       ARGV("--kernel", "k", "--no-api"), &c, &o, &e), 0);
	assert_int_equal(o.seccomp, JAIL_SECCOMP_KILL);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "k", "--no-seccomp"),
			       ARGV("--kernel", "k", "--no-seccomp"), &c, &o, &e), 0);
	assert_int_equal(o.seccomp, JAIL_SECCOMP_OFF);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "k", "--seccomp", "log"),
			       ARGV("--kernel", "k", "--seccomp", "log"), &c, &o, &e), 0);
	assert_int_equal(o.seccomp, JAIL_SECCOMP_LOG);
	assert_false(o.card_user_given);
	assert_null(o.seccomp_filter);
	vm_config_free(&c);
	/* The file is read by main (vmm/fc_filter.h); cli takes its path. */
	assert_int_equal(parse(ARGC("--api-sock", "s", "--seccomp-filter", "fc.bpf"),
			       ARGV("--api-sock", "s", "--seccomp-filter", "fc.bpf"), &c, &o, &e), 0);
	assert_string_equal(o.seccomp_filter, "fc.bpf");
	assert_int_equal(o.seccomp, JAIL_SECCOMP_KILL);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "k", "--card-user", "4242:4343"),
			       ARGV("--kernel", "k", "--card-user", "4242:4343"), &c, &o, &e), 0);
	assert_true(o.card_user_given);
	assert_true(o.card_confine);
	assert_int_equal(o.card_user.uid, 4242);
	assert_int_equal(o.card_user.gid, 4343);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "k", "--card-user", "none"),
			       ARGV("--kernel", "k", "--card-user", "none"), &c, &o, &e), 0);
	assert_true(o.card_user_given);
	assert_false(o.card_confine);
	vm_config_free(&c);

	static const struct { const char *a[6]; const char *want; } bad[] = {
		{ { "--config-file", "vm.json", "--kernel", "k" }, "cannot be combined" },
		{ { "--config-file", "vm.json", "--drive", "path=x" }, "cannot be combined" },
		{ { "--config-file", "vm.json", "--net", "tap=t" }, "cannot be combined" },
		{ { "--no-api" }, "--no-api needs --config-file, --kernel or --restore" },
		{ { "--no-api", "--api-sock", "s", "--kernel", "k" }, "contradict" },
		{ { "--api-sock", "s", "--id", "a b" }, "--id 'a b'" },
		{ { "--log-level", "debug" }, "nothing to boot" },
		{ { "--kernel", "k", "--seccomp", "strict" }, "--seccomp 'strict'" },
		{ { "--kernel", "k", "--seccomp", "kill", "--no-seccomp" }, "give one" },
		{ { "--kernel", "k", "--seccomp-filter", "f", "--no-seccomp" },
		  "--seccomp-filter replaces azote's own filters: it cannot be combined" },
		{ { "--kernel", "k", "--seccomp", "log", "--seccomp-filter", "f" },
		  "cannot be combined with --seccomp or --no-seccomp" },
		{ { "--kernel", "k", "--card-user", "0" }, "--card-user '0': must be UID or UID:GID" },
		{ { "--kernel", "k", "--card-user", "nobody" }, "--card-user 'nobody'" },
		{ { "--kernel", "k", "--card-user", "1", "--card-user", "none" }, "given twice" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = { "azote" };
		int argc = 1;
		while (argc < 7 && bad[i].a[argc - 1])
			argv[argc] = (char *)bad[i].a[argc - 1], argc++;
		assert_int_equal(parse(argc, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].want);
		vm_config_free(&c);
	}
}

static void test_nets(void **state)
{
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(parse(ARGC("--kernel", "p", "--net", "tap=tap0",
				    "--net", "id=eth1,tap=fc-tap.1,mac=06:00:AC:10:00:02,queues=4,"
				    "rx_bw_limit=1000/10,tx_ops_limit=5/1000/20",
				    "--vhost-user-net", "socket=/run/n.sock,mac=02:00:00:00:00:07",
				    "--drive", "path=d.img,id=net0"),
			       ARGV("--kernel", "p", "--net", "tap=tap0",
				    "--net", "id=eth1,tap=fc-tap.1,mac=06:00:AC:10:00:02,queues=4,"
				    "rx_bw_limit=1000/10,tx_ops_limit=5/1000/20",
				    "--vhost-user-net", "socket=/run/n.sock,mac=02:00:00:00:00:07",
				    "--drive", "path=d.img,id=net0"), &c, &o, &e), 0);
	assert_int_equal(c.nr_nets, 3);
	assert_string_equal(c.nets[0].id, "net0");
	assert_string_equal(c.nets[0].tap, "tap0");
	assert_false(c.nets[0].has_mac);
	assert_int_equal(c.nets[0].queues, 0);
	assert_string_equal(c.nets[1].id, "eth1");
	assert_string_equal(c.nets[1].tap, "fc-tap.1");
	assert_true(c.nets[1].has_mac);
	assert_memory_equal(c.nets[1].mac, "\x06\x00\xac\x10\x00\x02", 6);
	assert_int_equal(c.nets[1].queues, 4);
	/* Each direction its own limiter, each bucket its own item. */
	assert_true(c.nets[1].rx_rate_limiter.has_bandwidth && !c.nets[1].rx_rate_limiter.has_ops);
	assert_int_equal(c.nets[1].rx_rate_limiter.bandwidth.size, 1000);
	assert_int_equal(c.nets[1].rx_rate_limiter.bandwidth.refill_time_ms, 10);
	assert_true(c.nets[1].tx_rate_limiter.has_ops && !c.nets[1].tx_rate_limiter.has_bandwidth);
	assert_memory_equal(&c.nets[1].tx_rate_limiter.ops,
			    &((struct token_bucket){ .size = 5, .refill_time_ms = 1000,
						     .one_time_burst = 20 }),
			    sizeof(struct token_bucket));
	assert_false(c.nets[0].rx_rate_limiter.has_bandwidth || c.nets[0].tx_rate_limiter.has_ops);
	assert_string_equal(c.nets[2].id, "net2");
	assert_string_equal(c.nets[2].socket, "/run/n.sock");
	assert_null(c.nets[2].tap);
	assert_true(c.nets[2].has_mac);
	/* Drive and NIC IDs are separate name spaces, as in Firecracker. */
	assert_int_equal(c.nr_drives, 1);
	assert_string_equal(c.drives[0].id, "net0");
	vm_config_free(&c);
}

static void test_net_errors(void **state)
{
	static const struct bad_device bad[] = {
		{ "--net", "mac=06:00:00:00:00:01", "tap= is required" },
		{ "--net", "tap=", "tap='': not an interface name" },
		{ "--net", "tap=sixteen-chars-xx", "tap='sixteen-chars-xx'" },
		{ "--net", "tap=a/b", "tap='a/b'" },
		{ "--net", "tap=t,mac=01:00:00:00:00:01", "--net mac= '01:00:00:00:00:01': a multicast" },
		{ "--net", "tap=t,mac=06:00:00:00:00", "--net mac= '06:00:00:00:00': expected six pairs" },
		{ "--net", "tap=t,mac=00:00:00:00:00:00", "all-zero" },
		{ "--net", "tap=t,queues=0", "queues='0': expected 1 to 8" },
		{ "--net", "tap=t,queues=9", "queues='9'" },
		{ "--net", "tap=t,socket=s", "'socket=s'" },
		{ "--net", "tap=t,ro", "'ro'" },
		{ "--net", "tap=t,tx_bw_limit=1/0x10", "--net tx_bw_limit='1/0x10': expected" },
		{ "--net", "tap=t,bw_limit=1/1", "'bw_limit=1/1'" },
		{ "--net", "tap=t,rx_limit=1/1", "'rx_limit=1/1'" },
		{ "--vhost-user-net", "socket=s,rx_ops_limit=1/1", "'rx_ops_limit=1/1'" },
		{ "--net", "tap=t,id=a b", "id='a b'" },
		{ "--vhost-user-net", "tap=t", "'tap=t'" },
		{ "--vhost-user-net", "socket=s,queues=2", "'queues=2'" },
		{ "--vhost-user-net", "mac=06:00:00:00:00:01", "socket= is required" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	expect_bad_devices(bad, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(parse(ARGC("--kernel", "p", "--net", "tap=a,id=x", "--vhost-user-net", "socket=s,id=x"),
			       ARGV("--kernel", "p", "--net", "tap=a,id=x", "--vhost-user-net", "socket=s,id=x"),
			       &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--vhost-user-net: id 'x' is used twice"));
	vm_config_free(&c);
	/* The 17th NIC is one too many. */
	char *argv[4 + 2 * (VM_MAX_NETS + 1)];
	int n = 0;
	argv[n++] = "azote";
	argv[n++] = "--kernel";
	argv[n++] = "p";
	for (int i = 0; i <= VM_MAX_NETS; i++) {
		argv[n++] = "--net";
		argv[n++] = "tap=t";
	}
	argv[n] = NULL;
	assert_int_equal(parse(n, argv, &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "at most 16 NICs"));
	assert_int_equal(c.nr_nets, VM_MAX_NETS);
	vm_config_free(&c);
}

static void test_vsock(void **state)
{
	static const struct bad_device bad[] = {
		{ "--vsock", "cid=3", "uds= is required" },
		{ "--vsock", "uds=/run/v.sock", "cid= is required" },
		{ "--vsock", "cid=2,uds=v", "cid='2': expected 3 to 4294967295" },
		{ "--vsock", "cid=4294967296,uds=v", "cid='4294967296'" },
		{ "--vsock", "cid=x,uds=v", "cid='x'" },
		{ "--vsock", "cid=3,uds=/run/", "uds='/run/': not a file name" },
		{ "--vsock", "cid=3,uds=..", "not a file name" },
		{ "--vsock", "cid=3,uds=/0123456789/0123456789/0123456789/0123456789/0123456789/"
		  "0123456789/0123456789/0123456789/0123456789/v", "longer than 96 bytes" },
		{ "--vsock", "cid=3,uds=v,tap=t", "'tap=t'" },
		{ "--vsock", "cid=3,uds=v,ro", "'ro'" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	expect_bad_devices(bad, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(parse(ARGC("--kernel", "p", "--vsock", "cid=4294967295,uds=/run/v.sock"),
			       ARGV("--kernel", "p", "--vsock", "cid=4294967295,uds=/run/v.sock"),
			       &c, &o, &e), 0);
	assert_int_equal(c.nr_vsocks, 1);
	assert_true(c.vsocks[0].guest_cid == 4294967295u);
	assert_string_equal(c.vsocks[0].uds_path, "/run/v.sock");
	assert_string_equal(c.vsocks[0].id, "vsock0");
	vm_config_free(&c);
	/* One at most, as Firecracker. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--vsock", "cid=3,uds=a", "--vsock",
				    "cid=4,uds=b"),
			       ARGV("--kernel", "p", "--vsock", "cid=3,uds=a", "--vsock",
				    "cid=4,uds=b"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--vsock: at most one vsock device"));
	assert_int_equal(c.nr_vsocks, 1);
	vm_config_free(&c);
}

/* --rng: its items are optional, so they follow an '='. */
static void test_rng(void **state)
{
	static const struct { const char *arg, *want; } bad[] = {
		{ "--rng=foo", "--rng: unknown or malformed item 'foo'" },
		{ "--rng=id", "--rng: unknown or malformed item 'id'" },
		{ "--rng=ops_limit=10", "--rng ops_limit='10': expected SIZE/REFILL_MS" },
		{ "--rng=bw_limit=1/x", "--rng bw_limit='1/x'" },
		{ "--rng=id=a b", "--rng id='a b'" },
		{ "--rng=tap=t", "'tap=t'" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "azote", "--kernel", "p", (char *)bad[i].arg, NULL };
		assert_int_equal(parse(4, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].arg, e.msg, bad[i].want);
		assert_int_equal(c.nr_rngs, 0);
		vm_config_free(&c);
	}
	/* Alone: one device, no limit. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--rng"), ARGV("--kernel", "p", "--rng"),
			       &c, &o, &e), 0);
	assert_int_equal(c.nr_rngs, 1);
	assert_string_equal(c.rngs[0].id, "rng0");
	assert_false(c.rngs[0].rate_limiter.has_bandwidth || c.rngs[0].rate_limiter.has_ops);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--rng=id=hw,bw_limit=1000/100/5,"
				    "ops_limit=10/1000"),
			       ARGV("--kernel", "p", "--rng=id=hw,bw_limit=1000/100/5,"
				    "ops_limit=10/1000"), &c, &o, &e), 0);
	assert_string_equal(c.rngs[0].id, "hw");
	assert_true(c.rngs[0].rate_limiter.has_bandwidth && c.rngs[0].rate_limiter.has_ops);
	assert_int_equal(c.rngs[0].rate_limiter.bandwidth.size, 1000);
	assert_int_equal(c.rngs[0].rate_limiter.bandwidth.refill_time_ms, 100);
	assert_int_equal(c.rngs[0].rate_limiter.bandwidth.one_time_burst, 5);
	assert_int_equal(c.rngs[0].rate_limiter.ops.size, 10);
	vm_config_free(&c);
	/* One at most, as Firecracker; items after a space are not its. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--rng", "--rng"),
			       ARGV("--kernel", "p", "--rng", "--rng"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--rng: at most one entropy device"));
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--rng", "ops_limit=1/100"),
			       ARGV("--kernel", "p", "--rng", "ops_limit=1/100"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "unexpected argument 'ops_limit=1/100' (see --help); --rng "
			    "takes its items after '=', as --rng=ITEMS");
	vm_config_free(&c);
}

/* --balloon: Firecracker's Balloon fields as items, its target within
 * --memory wherever --memory comes. */
static void test_balloon(void **state)
{
	static const struct { const char *arg, *want; } bad[] = {
		{ "deflate_on_oom", "--balloon 'deflate_on_oom': amount_mib= is required" },
		{ "amount_mib", "--balloon: unknown or malformed item 'amount_mib'" },
		{ "amount_mib=-1", "--balloon amount_mib='-1': expected 0 to 4294967295 MiB" },
		{ "amount_mib=4294967296", "--balloon amount_mib='4294967296'" },
		{ "amount_mib=1,stats_polling_interval_s=65536",
		  "--balloon stats_polling_interval_s='65536': expected 0 to 65535 seconds" },
		{ "amount_mib=1,stats_polling_interval_s", "unknown or malformed item "
		  "'stats_polling_interval_s'" },
		{ "amount_mib=1,deflate_on_oom=true", "unknown or malformed item "
		  "'deflate_on_oom=true'" },
		{ "amount_mib=1,free_page_hinting", "--balloon free_page_hinting: azote does not "
		  "implement free page hinting" },
		{ "amount_mib=1,id=b", "unknown or malformed item 'id=b'" },
		/* The default machine has 128 MiB. */
		{ "amount_mib=129", "--balloon amount_mib: 129 MiB is more than the guest's "
		  "128 MiB (--memory)" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "azote", "--kernel", "p", "--balloon", (char *)bad[i].arg, NULL };
		assert_int_equal(parse(5, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].arg, e.msg, bad[i].want);
		vm_config_free(&c);
	}
	assert_int_equal(parse(ARGC("--kernel", "p", "--balloon", "amount_mib=0"),
			       ARGV("--kernel", "p", "--balloon", "amount_mib=0"), &c, &o, &e), 0);
	assert_int_equal(c.nr_balloons, 1);
	assert_string_equal(c.balloons[0].id, "balloon0");
	assert_int_equal(c.balloons[0].amount_mib, 0);
	assert_false(c.balloons[0].deflate_on_oom || c.balloons[0].free_page_reporting);
	assert_int_equal(c.balloons[0].stats_polling_interval_s, 0);
	assert_true(o.vm_options);
	vm_config_free(&c);
	/* --memory after --balloon counts too. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--balloon",
				    "amount_mib=512,deflate_on_oom,stats_polling_interval_s=65535,"
				    "free_page_reporting", "--memory", "512M"),
			       ARGV("--kernel", "p", "--balloon",
				    "amount_mib=512,deflate_on_oom,stats_polling_interval_s=65535,"
				    "free_page_reporting", "--memory", "512M"), &c, &o, &e), 0);
	assert_int_equal(c.balloons[0].amount_mib, 512);
	assert_true(c.balloons[0].deflate_on_oom && c.balloons[0].free_page_reporting);
	assert_int_equal(c.balloons[0].stats_polling_interval_s, 65535);
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--balloon", "amount_mib=512",
				    "--memory", "511M"),
			       ARGV("--kernel", "p", "--balloon", "amount_mib=512",
				    "--memory", "511M"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "--balloon amount_mib: 512 MiB is more than the guest's "
			    "511 MiB (--memory)");
	vm_config_free(&c);
	/* One at most, as Firecracker. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--balloon", "amount_mib=1", "--balloon",
				    "amount_mib=2"),
			       ARGV("--kernel", "p", "--balloon", "amount_mib=1", "--balloon",
				    "amount_mib=2"), &c, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--balloon: at most one balloon device"));
	vm_config_free(&c);
}

/* --pmem: Firecracker's Pmem fields as items, several devices in order,
 * one root among them. */
static void test_pmem(void **state)
{
	static const struct { const char *arg, *want; } bad[] = {
		{ "ro", "--pmem 'ro': path= is required" },
		{ "path=/a,ro=1", "--pmem: unknown or malformed item 'ro=1'" },
		{ "path=/a,root=yes", "--pmem: unknown or malformed item 'root=yes'" },
		{ "path=/a,size=2M", "--pmem: unknown or malformed item 'size=2M'" },
		{ "path=/a,id=a b", "--pmem id='a b': use 1-63 letters" },
		{ "path=/a,ops_limit=x", "--pmem ops_limit=" },
	};
	struct vm_config c;
	struct cli_opts o;
	struct azerr e;
	char *cmdline;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "azote", "--kernel", "p", "--pmem", (char *)bad[i].arg, NULL };
		assert_int_equal(parse(5, argv, &c, &o, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].arg, e.msg, bad[i].want);
		vm_config_free(&c);
	}
	assert_int_equal(parse(ARGC("--kernel", "p", "--pmem", "path=/a", "--pmem",
				    "path=/b,ro,root,id=rootfs,ops_limit=10/100"),
			       ARGV("--kernel", "p", "--pmem", "path=/a", "--pmem",
				    "path=/b,ro,root,id=rootfs,ops_limit=10/100"), &c, &o, &e), 0);
	assert_int_equal(c.nr_pmems, 2);
	assert_string_equal(c.pmems[0].id, "pmem0");
	assert_string_equal(c.pmems[0].path, "/a");
	assert_false(c.pmems[0].read_only || c.pmems[0].root_device);
	assert_string_equal(c.pmems[1].id, "rootfs");
	assert_true(c.pmems[1].read_only && c.pmems[1].root_device);
	assert_true(c.pmems[1].rate_limiter.has_ops);
	assert_int_equal(c.pmems[1].rate_limiter.ops.size, 10);
	assert_true(o.vm_options);
	cmdline = vm_config_boot_cmdline(&c);
	assert_string_equal(cmdline, "root=/dev/pmem1 ro");
	free(cmdline);
	vm_config_free(&c);
	/* One root, as Firecracker. */
	assert_int_equal(parse(ARGC("--kernel", "p", "--pmem", "path=/a,root", "--pmem",
				    "path=/b,root"),
			       ARGV("--kernel", "p", "--pmem", "path=/a,root", "--pmem",
				    "path=/b,root"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "--pmem 'path=/b,root': A root pmem device already exist");
	vm_config_free(&c);
	assert_int_equal(parse(ARGC("--kernel", "p", "--pmem", "path=/a,id=x", "--pmem",
				    "path=/b,id=x"),
			       ARGV("--kernel", "p", "--pmem", "path=/a,id=x", "--pmem",
				    "path=/b,id=x"), &c, &o, &e), -1);
	assert_string_equal(e.msg, "--pmem: id 'x' is used twice");
	vm_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_defaults_and_bare_mib),
		cmocka_unit_test(test_errors_name_the_value),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_firecracker_flags),
		cmocka_unit_test(test_firecracker_flags_refused),
		cmocka_unit_test(test_boot_timer),
		cmocka_unit_test(test_repeated_option_replaces),
		cmocka_unit_test(test_drives),
		cmocka_unit_test(test_drive_errors),
		cmocka_unit_test(test_pmem),
		cmocka_unit_test(test_api_modes),
		cmocka_unit_test(test_snapshot_options),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_nets),
		cmocka_unit_test(test_net_errors),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_balloon),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	cli_opts_free(&last_opts);
	return failed;
}
