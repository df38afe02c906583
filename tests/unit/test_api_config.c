/* Unit tests for Firecracker's --config-file (src/api/config_file.c): the
 * same checks as the API, errors naming the file and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/cpu_template.h"
#include "test_api_util.h"

#define F struct api_fixture *f = *state

/* Writes text, with each @ replaced by the scratch directory, to
 * dir/config.json and loads it into cfg. */
static int load(struct api_fixture *f, struct vm_config *cfg,
		struct azerr *e, const char *text)
{
	const char *path = fx_path(f, "config.json");
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	for (const char *c = text; *c; c++) {
		if (*c == '@')
			fputs(f->dir, fp);
		else
			fputc(*c, fp);
	}
	fclose(fp);
	vm_config_init(cfg);
	return api_config_file_load(path, cfg, e);
}

/* Firecracker's documented example, adjusted to the scratch files. */
static const char full_config[] =
	"{\n"
	"  \"boot-source\": {\n"
	"    \"kernel_image_path\": \"@/kernel\",\n"
	"    \"boot_args\": \"console=ttyS0 reboot=k panic=1\",\n"
	"    \"initrd_path\": null\n"
	"  },\n"
	"  \"drives\": [\n"
	"    { \"drive_id\": \"rootfs\", \"path_on_host\": \"@/disk.img\",\n"
	"      \"is_root_device\": true, \"is_read_only\": false },\n"
	"    { \"drive_id\": \"data\", \"path_on_host\": \"@/disk2.img\",\n"
	"      \"is_root_device\": false, \"is_read_only\": true,\n"
	"      \"rate_limiter\": { \"bandwidth\": { \"size\": 1048576,\n"
	"                                       \"refill_time\": 100 } } }\n"
	"  ],\n"
	"  \"network-interfaces\": [\n"
	"    { \"iface_id\": \"eth0\", \"guest_mac\": \"AA:FC:00:00:00:01\",\n"
	"      \"host_dev_name\": \"tap0\" }\n"
	"  ],\n"
	"  \"machine-config\": { \"vcpu_count\": 2, \"mem_size_mib\": 1024,\n"
	"                      \"smt\": false },\n"
	"  \"logger\": { \"log_path\": \"@/fc.log\", \"level\": \"debug\",\n"
	"              \"show_level\": true, \"show_log_origin\": true },\n"
	"  \"metrics\": { \"metrics_path\": \"@/metrics.json\" },\n"
	"  \"vsock\": null\n"
	"}\n";

static void test_full_config(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	assert_int_equal(load(f, &cfg, &e, full_config), 0);
	assert_string_equal(cfg.kernel_path, fx_path(f, "kernel"));
	assert_null(cfg.initrd_path);
	assert_string_equal(cfg.cmdline, "console=ttyS0 reboot=k panic=1");
	assert_int_equal(cfg.nr_cpus, 2);
	assert_int_equal(cfg.mem_bytes, 1024ULL << 20);
	assert_int_equal(cfg.nr_drives, 2);
	assert_string_equal(cfg.drives[0].id, "rootfs");
	assert_true(cfg.drives[0].is_root_device);
	assert_false(cfg.drives[0].read_only);
	assert_string_equal(cfg.drives[1].path, fx_path(f, "disk2.img"));
	assert_true(cfg.drives[1].read_only);
	assert_true(cfg.drives[1].rate_limiter.has_bandwidth);
	assert_false(cfg.drives[1].rate_limiter.has_ops);
	assert_int_equal(cfg.drives[1].rate_limiter.bandwidth.size, 1048576);
	assert_int_equal(cfg.drives[1].rate_limiter.bandwidth.refill_time_ms,
			 100);
	assert_int_equal(cfg.nr_nets, 1);
	assert_string_equal(cfg.nets[0].tap, "tap0");
	assert_true(cfg.nets[0].has_mac);
	assert_int_equal(cfg.nets[0].mac[0], 0xaa);
	assert_int_equal(cfg.nets[0].mac[5], 0x01);
	assert_true(cfg.logger.configured);
	assert_string_equal(cfg.logger.level, "Debug");
	assert_true(cfg.logger.show_log_origin);
	assert_string_equal(cfg.metrics_path, fx_path(f, "metrics.json"));
	vm_config_free(&cfg);
}

/* The loaded configuration boots through the API, whose logger and
 * metrics take effect when the API takes it over. */
static void test_config_boots(void **state)
{
	F;
	struct api_params p = {
		.ops = &fake_vmm_ops, .ctx = &f->fake, .metrics = &f->metrics,
	};
	struct vm_config cfg;
	struct azerr e;
	char line[512];
	FILE *fp;

	assert_int_equal(load(f, &cfg, &e, full_config), 0);
	api_free(f->api);
	f->api = api_new(&p, &cfg, &e);
	assert_non_null(f->api);
	assert_null(cfg.kernel_path);  /* taken over */
	assert_int_equal(api_start(f->api, &e), 0);
	assert_int_equal(f->fake.starts, 1);
	assert_int_equal(f->fake.start_drives, 2);
	assert_int_equal(f->fake.start_cpus, 2);
	assert_true(fx_started(f));
	/* Started already: a second start is refused like the API's. */
	assert_int_equal(api_start(f->api, &e), -1);
	assert_non_null(strstr(e.msg, "not supported after starting"));

	/* The logger writes where the file said, with level and origin. */
	fp = fopen(fx_path(f, "fc.log"), "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, ":INFO:src/api/api.c:"));
	assert_non_null(strstr(line, "microVM started"));
	fclose(fp);
	/* The metrics file exists and FlushMetrics writes to it. */
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"FlushMetrics\"}"), 204);
	fp = fopen(fx_path(f, "metrics.json"), "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "\"block_rootfs\":"));
	fclose(fp);
}

static void expect_error(struct api_fixture *f, const char *config,
			 const char *want)
{
	struct vm_config cfg;
	struct azerr e;

	assert_int_equal(load(f, &cfg, &e, config), -1);
	if (!strstr(e.msg, want) || !strstr(e.msg, "config.json"))
		fail_msg("want \"%s\" naming config.json, got \"%s\"", want,
			 e.msg);
	vm_config_free(&cfg);
}

#define BOOT "\"boot-source\": {\"kernel_image_path\": \"@/kernel\"}"

/* Firecracker's `vsock` section, through PUT /vsock's code. */
static void test_config_vsock(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	assert_int_equal(load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"vsock\": "
			      "{\"vsock_id\": \"v\", \"guest_cid\": 52, \"uds_path\": \"@/v.sock\"}}"),
			 0);
	assert_int_equal(cfg.nr_vsocks, 1);
	assert_int_equal(cfg.vsocks[0].guest_cid, 52);
	assert_non_null(strstr(cfg.vsocks[0].uds_path, "/v.sock"));
	vm_config_free(&cfg);
	assert_int_equal(load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"vsock\": null}"), 0);
	assert_int_equal(cfg.nr_vsocks, 0);
	vm_config_free(&cfg);
}

/* Firecracker's `entropy` section, through PUT /entropy's code. */
static void test_config_entropy(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	if (load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"entropy\": {\"rate_limiter\": "
		 "{\"ops\": {\"size\": 10, \"refill_time\": 1000}}}}"))
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.nr_rngs, 1);
	assert_true(cfg.rngs[0].rate_limiter.has_ops);
	assert_false(cfg.rngs[0].rate_limiter.has_bandwidth);
	assert_int_equal(cfg.rngs[0].rate_limiter.ops.size, 10);
	assert_int_equal(cfg.rngs[0].rate_limiter.ops.refill_time_ms, 1000);
	vm_config_free(&cfg);
	assert_int_equal(load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"entropy\": {}}"), 0);
	assert_int_equal(cfg.nr_rngs, 1);
	vm_config_free(&cfg);
	assert_int_equal(load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"entropy\": null}"), 0);
	assert_int_equal(cfg.nr_rngs, 0);
	vm_config_free(&cfg);
	expect_error(f, "{" BOOT ", \"drives\": [], \"entropy\": {\"rate\": 1}}",
		     "config.json: entropy: unknown field `rate`");
}

/* Firecracker's `balloon` section, through PUT /balloon's code, after
 * machine-config whatever the key order: its target must fit the memory. */
static void test_config_balloon(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	if (load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"balloon\": {\"amount_mib\": 1024, "
		 "\"deflate_on_oom\": true, \"stats_polling_interval_s\": 2, "
		 "\"free_page_reporting\": true}, \"machine-config\": {\"vcpu_count\": 1, "
		 "\"mem_size_mib\": 1024}}"))
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.nr_balloons, 1);
	assert_int_equal(cfg.balloons[0].amount_mib, 1024);
	assert_true(cfg.balloons[0].deflate_on_oom);
	assert_int_equal(cfg.balloons[0].stats_polling_interval_s, 2);
	assert_true(cfg.balloons[0].free_page_reporting);
	vm_config_free(&cfg);
	assert_int_equal(load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"balloon\": null}"), 0);
	assert_int_equal(cfg.nr_balloons, 0);
	vm_config_free(&cfg);
	expect_error(f, "{" BOOT ", \"drives\": [], \"balloon\": {\"amount_mib\": 129, "
		     "\"deflate_on_oom\": false}}",
		     "config.json: balloon: Balloon config error: Amount of pages requested is "
		     "too large. (balloon.amount_mib: 129 MiB is more than the guest's 128 MiB)");
	expect_error(f, "{" BOOT ", \"drives\": [], \"balloon\": {\"amount_mib\": 1}}",
		     "config.json: balloon: missing field `deflate_on_oom`");
	expect_error(f, "{" BOOT ", \"drives\": [], \"balloon\": {\"amount_mib\": 1, "
		     "\"deflate_on_oom\": false, \"free_page_hinting\": true}}",
		     "config.json: balloon: The requested operation is not supported: azote does "
		     "not implement free page hinting");
}

/* mmds-config, applied after the interfaces it names, with the API's
 * checks; null is no MMDS. */
static void test_config_mmds(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

#define NICS "{" BOOT ", \"drives\": [], \"network-interfaces\": " \
	"[{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}], "
	if (load(f, &cfg, &e, NICS "\"mmds-config\": {\"network_interfaces\": [\"eth0\"], "
		 "\"version\": \"V2\", \"ipv4_address\": \"169.254.1.2\"}}"))
		fail_msg("%s", e.msg);
	assert_true(cfg.nets[0].mmds);
	assert_int_equal(cfg.mmds.version, 2);
	assert_int_equal(cfg.mmds.ipv4, 0xa9fe0102);
	vm_config_free(&cfg);
	assert_int_equal(load(f, &cfg, &e, NICS "\"mmds-config\": {\"network_interfaces\": "
			      "[\"eth1\"]}}"), -1);
	assert_non_null(strstr(e.msg, "config.json: mmds-config: The list of network interface "
			       "IDs provided contains"));
	vm_config_free(&cfg);
	assert_int_equal(load(f, &cfg, &e, NICS "\"mmds-config\": null}"), 0);
	assert_false(cfg.nets[0].mmds);
	vm_config_free(&cfg);
#undef NICS
}

static void test_config_errors(void **state)
{
	F;

	expect_error(f, "{" BOOT ", \"drives\": [], }", "invalid JSON");
	expect_error(f, "[]", "invalid type: an array, expected an object");
	expect_error(f, "{\"drives\": []}", "missing field `boot-source`");
	expect_error(f, "{" BOOT "}", "missing field `drives`");
	expect_error(f, "{" BOOT ", \"drives\": [], \"pmem\": [{\"id\": \"p\"}]}",
		     "config.json: pmem[0]: missing field `path_on_host`");
	expect_error(f, "{" BOOT ", \"drives\": [], \"pmem\": [{\"id\": \"p\", "
		     "\"path_on_host\": \"@/disk.img\", \"root_device\": true}, {\"id\": \"q\", "
		     "\"path_on_host\": \"@/disk2.img\", \"root_device\": true}]}",
		     "config.json: pmem[1]: A root pmem device already exist");
	expect_error(f, "{" BOOT ", \"drives\": [], \"cpu-config\": 3}",
		     "config.json: invalid type for field `cpu-config`: expected a path or a "
		     "template object");
	expect_error(f, "{" BOOT ", \"drives\": [], \"cpu-config\": {\"cpuid_modifiers\": 1}}",
		     "config.json: cpu-config: ");
	/* A template's path that leads nowhere: both files named. */
	expect_error(f, "{" BOOT ", \"drives\": [], \"cpu-config\": \"/nonexistent/t.json\"}",
		     "config.json: cpu-config: CPU template /nonexistent/t.json: No such file or "
		     "directory");
	expect_error(f, "{" BOOT ", \"drives\": [], \"vsock\": "
		     "{\"guest_cid\": 1, \"uds_path\": \"/v.sock\"}}",
		     "config.json: vsock: invalid value for field `guest_cid`: 1");
	expect_error(f, "{" BOOT ", \"drives\": [], \"memory-hotplug\": {}}",
		     "`memory-hotplug` is not supported");
	expect_error(f, "{" BOOT ", \"drives\": {}}",
		     "invalid type for field `drives`: an object, expected an "
		     "array");
	/* Errors inside a section name it, with the index in arrays. */
	expect_error(f, "{" BOOT ", \"drives\": [{\"drive_id\": \"a\", "
		     "\"path_on_host\": \"@/disk.img\", \"is_root_device\": "
		     "false, \"is_read_only\": true}, {\"drive_id\": \"b\"}]}",
		     "config.json: drives[1]: missing field `is_root_device`");
	expect_error(f, "{" BOOT ", \"drives\": [], \"machine-config\": "
		     "{\"vcpu_count\": 99, \"mem_size_mib\": 128}}",
		     "config.json: machine-config: The number of vCPUs");
	expect_error(f, "{\"boot-source\": {\"kernel_image_path\": "
		     "\"/nonexistent\"}, \"drives\": []}",
		     "config.json: boot-source: The kernel file cannot be "
		     "opened");
	expect_error(f, "{" BOOT ", \"drives\": [], \"network-interfaces\": "
		     "[{\"iface_id\": \"a\", \"host_dev_name\": \"tap0\"}, "
		     "{\"iface_id\": \"b\", \"host_dev_name\": \"tap0\"}]}",
		     "network-interfaces[1]: The host device name tap0 is "
		     "already in use.");
	expect_error(f, "{" BOOT ", \"drives\": [], \"logger\": {\"level\": "
		     "\"Loud\"}}", "logger: unknown variant `Loud`");
}

/* What Firecracker takes and azote must too: keys it does not know
 * (ignored, with a warning), empty lists of devices azote lacks, "serial"
 * (which Firecracker's config file skips), and a CPU template given inline
 * rather than as a path. */
static void test_config_firecracker_leniency(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	if (load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"machine_config\": {}, "
		 "\"future-section\": [1, 2], \"serial\": {\"serial_out_path\": \"/x\"}, "
		 "\"pmem\": [], \"vsock\": null, \"cpu-config\": {\"cpuid_modifiers\": [{"
		 "\"leaf\": \"0x1\", \"subleaf\": \"0x0\", \"flags\": 0, \"modifiers\": [{"
		 "\"register\": \"ecx\", \"bitmap\": \"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0\"}]}]}}") < 0)
		fail_msg("%s", e.msg);
	assert_non_null(cfg.kernel_path);
	assert_non_null(cfg.cpu_template);
	assert_int_equal(cfg.cpu_template->nr, 1);
	vm_config_free(&cfg);
}

/* Firecracker's tests/framework/vm_config.json (HEAD of its v1.16 line),
 * every key and null as it has them, paths pointed at the scratch files. */
static void test_firecracker_vm_config(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	if (load(f, &cfg, &e, "{\"boot-source\": {\"kernel_image_path\": \"@/kernel\", "
		 "\"boot_args\": \"console=ttyS0 reboot=k panic=1\", \"initrd_path\": null}, "
		 "\"drives\": [{\"drive_id\": \"rootfs\", \"partuuid\": null, "
		 "\"is_root_device\": true, \"cache_type\": \"Unsafe\", \"is_read_only\": false, "
		 "\"path_on_host\": \"@/disk.img\", \"io_engine\": \"Sync\", "
		 "\"rate_limiter\": null, \"socket\": null}], "
		 "\"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 1024, \"smt\": false, "
		 "\"track_dirty_pages\": false, \"huge_pages\": \"None\"}, "
		 "\"cpu-config\": null, \"balloon\": null, \"network-interfaces\": [], "
		 "\"vsock\": null, \"logger\": null, \"metrics\": null, \"mmds-config\": null, "
		 "\"entropy\": null, \"pmem\": [], \"memory-hotplug\": null}") < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.nr_cpus, 2);
	assert_true(cfg.mem_bytes == 1024ULL << 20);
	assert_int_equal(cfg.nr_drives, 1);
	assert_string_equal(cfg.drives[0].id, "rootfs");
	assert_null(cfg.cpu_template);
	vm_config_free(&cfg);
}

/* Firecracker's pmem section (its docs/pmem.md): the devices in order,
 * the root one on the kernel command line. */
static void test_config_pmem(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;
	char *cmdline;

	if (load(f, &cfg, &e, "{" BOOT ", \"drives\": [], \"pmem\": [{\"id\": \"data\", "
		 "\"path_on_host\": \"@/disk.img\"}, {\"id\": \"pmem0\", \"path_on_host\": "
		 "\"@/ro.img\", \"root_device\": true, \"read_only\": true}]}") < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.nr_pmems, 2);
	assert_string_equal(cfg.pmems[0].id, "data");
	assert_false(cfg.pmems[0].root_device);
	assert_true(cfg.pmems[1].read_only);
	cmdline = vm_config_boot_cmdline(&cfg);
	assert_non_null(strstr(cmdline, "root=/dev/pmem1 ro"));
	free(cmdline);
	vm_config_free(&cfg);
}

static void test_config_file_access(void **state)
{
	F;
	struct vm_config cfg;
	struct azerr e;

	vm_config_init(&cfg);
	assert_int_equal(api_config_file_load("/nonexistent/vm.json", &cfg, &e),
			 -1);
	assert_string_equal(e.msg,
			    "--config-file /nonexistent/vm.json: No such file or directory");
	assert_int_equal(api_config_file_load(f->dir, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(api_config_file_load(fx_path(f, "disk.img"), &cfg, &e),
			 -1);
	assert_non_null(strstr(e.msg, "disk.img: invalid JSON"));
	vm_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, \
					      api_fixture_teardown)
		T(test_full_config),
		T(test_config_boots),
		T(test_config_vsock),
		T(test_config_entropy),
		T(test_config_balloon),
		T(test_config_mmds),
		T(test_config_errors),
		T(test_config_firecracker_leniency),
		T(test_firecracker_vm_config),
		T(test_config_pmem),
		T(test_config_file_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
