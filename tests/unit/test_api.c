/* Unit tests for the API's request handling (src/api/api.c and the
 * resources), driven through api_handle with the fake VMM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_api_util.h"

#define F struct api_fixture *f = *state

static const char *str_at(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);

	return json_string_value(v);
}

/* ---- happy paths ---- */

static void test_instance_info(void **state)
{
	F;
	json_t *v;

	assert_int_equal(fx_req(f, "GET", "/", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(v, "id"), "test-vm");
	assert_string_equal(str_at(v, "state"), "Not started");
	assert_string_equal(str_at(v, "app_name"), "azote");
	assert_string_equal(str_at(v, "vmm_version"), AZOTE_VERSION);
	json_decref(v);

	assert_int_equal(fx_req(f, "GET", "/version", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(v, "firecracker_version"), AZOTE_FIRECRACKER_API_VERSION);
	json_decref(v);
}

static void test_machine_config_defaults(void **state)
{
	F;
	json_t *v;

	assert_int_equal(fx_req(f, "GET", "/machine-config", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_integer_value(json_object_get(v, "vcpu_count")), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "mem_size_mib")),
			 128);
	assert_true(json_is_false(json_object_get(v, "smt")));
	assert_true(json_is_false(json_object_get(v, "track_dirty_pages")));
	assert_string_equal(str_at(v, "huge_pages"), "None");
	json_decref(v);
}

/* Firecracker's getting-started sequence, then the state the VMM got. */
static void test_getting_started(void **state)
{
	F;
	json_t *v, *d, *n;

	fx_boot(f);
	assert_int_equal(f->fake.starts, 1);
	assert_int_equal(f->fake.start_cpus, 2);
	assert_int_equal(f->fake.start_drives, 1);
	assert_int_equal(f->fake.start_nets, 1);
	assert_string_equal(f->fake.start_kernel, fx_path(f, "kernel"));

	assert_int_equal(fx_req(f, "GET", "/", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(v, "state"), "Running");
	json_decref(v);

	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(json_object_get(v, "boot-source"),
				   "kernel_image_path"), fx_path(f, "kernel"));
	assert_string_equal(str_at(json_object_get(v, "boot-source"),
				   "boot_args"), "console=ttyS0");
	d = json_array_get(json_object_get(v, "drives"), 0);
	assert_string_equal(str_at(d, "drive_id"), "rootfs");
	assert_string_equal(str_at(d, "path_on_host"), fx_path(f, "disk.img"));
	assert_true(json_is_true(json_object_get(d, "is_root_device")));
	assert_string_equal(str_at(d, "cache_type"), "Unsafe");
	n = json_array_get(json_object_get(v, "network-interfaces"), 0);
	assert_string_equal(str_at(n, "iface_id"), "net1");
	assert_string_equal(str_at(n, "host_dev_name"), "tap0");
	assert_string_equal(str_at(n, "guest_mac"), "06:00:ac:10:00:02");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(v, "machine-config"),
				 "mem_size_mib")), 256);
	assert_true(json_is_null(json_object_get(v, "metrics")));
	json_decref(v);
}

/* Without boot_args, azote's default command line (Firecracker's, minus
 * what does not fit a PCI machine). */
static void test_boot_source_default_cmdline(void **state)
{
	F;
	json_t *v;

	assert_int_equal(fx_reqf(f, "PUT", "/boot-source",
				 "{\"kernel_image_path\": \"%s\", "
				 "\"initrd_path\": \"%s\"}", fx_path(f, "kernel"),
				 fx_path(f, "initrd")), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(json_object_get(v, "boot-source"),
				   "boot_args"),
			    "reboot=k panic=1 nomodule i8042.noaux i8042.nomux "
			    "i8042.nopnp i8042.dumbkbd");
	assert_string_equal(str_at(json_object_get(v, "boot-source"),
				   "initrd_path"), fx_path(f, "initrd"));
	json_decref(v);
}

static void test_boot_source_missing_files(void **state)
{
	F;

	assert_int_equal(fx_req(f, "PUT", "/boot-source",
				"{\"kernel_image_path\": \"/nonexistent/vmlinux\"}"),
			 400);
	fx_assert_fault(f, "The kernel file cannot be opened: No such file or "
			"directory: /nonexistent/vmlinux");
	assert_int_equal(fx_reqf(f, "PUT", "/boot-source",
				 "{\"kernel_image_path\": \"%s\", "
				 "\"initrd_path\": \"/nonexistent/initrd\"}",
				 fx_path(f, "kernel")), 400);
	fx_assert_fault(f, "initrd file cannot be opened");
	/* A directory is not a kernel. */
	assert_int_equal(fx_reqf(f, "PUT", "/boot-source",
				 "{\"kernel_image_path\": \"%s\"}", f->dir), 400);
	fx_assert_fault(f, "not a regular file");
	/* Nothing was half-applied. */
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	assert_non_null(strstr(f->r.body, "\"boot-source\":null"));
}

/* ---- malformed requests ---- */

static void test_malformed_json(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/machine-config", "{\"vcpu_count\": 2,",
		  "An error occurred when deserializing the json body of a "
		  "request: " },
		{ "PUT", "/machine-config", "{\"vcpu_count\": 2,", "line 1" },
		{ "PUT", "/actions", "not json", "deserializing" },
		/* Trailing data after the object. */
		{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\"} {}",
		  "deserializing" },
		/* Duplicate keys are ambiguous: refused. */
		{ "PUT", "/machine-config", "{\"vcpu_count\": 2, \"vcpu_count\": "
		  "4, \"mem_size_mib\": 256}", "duplicate" },
		{ "PUT", "/machine-config", "[1, 2]",
		  "invalid type: an array, expected an object" },
		/* jansson refuses NUL characters in strings. */
		{ "PUT", "/boot-source", "{\"kernel_image_path\": \"a\\u0000b\"}",
		  "deserializing" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(f->fake.starts, 0);
}

static void test_wrong_types(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": \"2\", \"mem_size_mib\": 256}",
		  "invalid type for field `vcpu_count`: a string, expected a "
		  "non-negative integer" },
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": 2.5, \"mem_size_mib\": 256}",
		  "`vcpu_count`: a float" },
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": -1, \"mem_size_mib\": 256}",
		  "invalid value for field `vcpu_count`: integer `-1`" },
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": 256, \"mem_size_mib\": 256}",
		  "expected 0 to 255" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": "
		  "\"@/disk.img\", \"is_root_device\": \"yes\", "
		  "\"is_read_only\": false}",
		  "invalid type for field `is_root_device`: a string, expected "
		  "a boolean" },
		/* null is no value for a required field. */
		{ "PUT", "/actions", "{\"action_type\": null}",
		  "`action_type`: null, expected a string" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
}

/* Integers jansson cannot hold (2^63 and up; Firecracker's u64 fields
 * would take up to 2^64 - 1) are refused naming the field, nested or in
 * a list, as a value out of range is; 1e30 is a float, refused by type;
 * 2^63 - 1 is within range where a field takes it. */
static void test_big_integers(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": 2, \"mem_size_mib\": 18446744073709551615}",
		  "invalid value for field `mem_size_mib`: integer `18446744073709551615` is "
		  "outside -2^63 to 2^63 - 1 at line 1 column" },
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": 2, \"mem_size_mib\": 9223372036854775808}",
		  "field `mem_size_mib`: integer `9223372036854775808`" },
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": -9223372036854775809, \"mem_size_mib\": 1}",
		  "field `vcpu_count`: integer `-9223372036854775809`" },
		{ "PUT", "/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 1e30}",
		  "invalid type for field `mem_size_mib`: a float, expected a non-negative "
		  "integer" },
		{ "PUT", "/network-interfaces/n", "{\"iface_id\": \"n\", "
		  "\"host_dev_name\": \"t\", \"rx_rate_limiter\": {\"bandwidth\": "
		  "{\"size\": 1, \"refill_time\": 18446744073709551615}}}",
		  "invalid value for field `rx_rate_limiter.bandwidth.refill_time`: integer "
		  "`18446744073709551615`" },
		{ "PUT", "/cpu-config", "{\"cpuid_modifiers\": [{\"leaf\": \"0x1\", "
		  "\"subleaf\": \"0x0\", \"flags\": 0, \"modifiers\": []}, "
		  "{\"leaf\": \"0x1\", \"subleaf\": \"0x0\", \"flags\": "
		  "99999999999999999999, \"modifiers\": []}]}",
		  "field `cpuid_modifiers[1].flags`: integer `99999999999999999999`" },
		/* Not a field: the MMDS document itself. */
		{ "PUT", "/mmds", "18446744073709551616",
		  "invalid value: integer `18446744073709551616` is outside" },
		/* Digits in a string are no integer. */
		{ "PUT", "/boot-source", "{\"kernel_image_path\": \"99999999999999999999\", "
		  "\"x\": 99999999999999999999}", "field `x`: integer" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/n", "{\"iface_id\": \"n\", "
				"\"host_dev_name\": \"t\", \"rx_rate_limiter\": {\"bandwidth\": "
				"{\"size\": 9223372036854775807, \"refill_time\": 1}}}"), 204);
}

static void test_unknown_fields(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": "
		  "256, \"ht_enabled\": true}",
		  "unknown field `ht_enabled`, expected one of `vcpu_count`, "
		  "`mem_size_mib`" },
		/* Inside a nested object, the field is named with its parent. */
		{ "PUT", "/network-interfaces/n", "{\"iface_id\": \"n\", "
		  "\"host_dev_name\": \"t\", \"rx_rate_limiter\": {\"bytes\": "
		  "{\"size\": 1, \"refill_time\": 1}}}",
		  "unknown field `rx_rate_limiter.bytes`" },
		{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\", "
		  "\"payload\": 1}", "unknown field `payload`" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
}

static void test_missing_fields(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/machine-config", "{\"vcpu_count\": 2}",
		  "missing field `mem_size_mib`" },
		{ "PUT", "/boot-source", "{}", "missing field `kernel_image_path`" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": "
		  "\"@/disk.img\", \"is_read_only\": false}",
		  "missing field `is_root_device`" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"is_root_device\": "
		  "false, \"is_read_only\": false}",
		  "missing field `path_on_host`" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": "
		  "\"@/disk.img\", \"is_root_device\": false, \"rate_limiter\": "
		  "{\"bandwidth\": {\"size\": 1000}}}",
		  "missing field `rate_limiter.bandwidth.refill_time`" },
		{ "PUT", "/network-interfaces/n", "{\"iface_id\": \"n\"}",
		  "missing field `host_dev_name`" },
		{ "PUT", "/metrics", "{}", "missing field `metrics_path`" },
		{ "PATCH", "/vm", "{}", "missing field `state`" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
}

static void test_bad_paths_and_methods(void **state)
{
	static const struct fx_bad cases[] = {
		{ "GET", "/nope", NULL,
		  "Invalid request method and/or path: GET /nope." },
		{ "DELETE", "/", NULL, "Invalid request method and/or path" },
		{ "POST", "/actions", "{}", "Invalid request method and/or path" },
		{ "PUT", "/version", "{}", "Invalid request method and/or path" },
		{ "GET", "/drives/rootfs", NULL,
		  "Invalid request method and/or path" },
		{ "PUT", "/drives", "{}", "Invalid request method and/or path" },
		{ "PUT", "/drives/a/b", "{}", "Invalid request method and/or path" },
		{ "GET", "/vm/other", NULL, "Invalid request method and/or path" },
		{ "GET", "/", "{}", "GET request cannot have a body." },
		{ "PUT", "/actions", NULL, "Empty PUT request." },
		{ "PATCH", "/vm", NULL, "Empty PATCH request." },
		{ "PUT", "/pmem", "{}", "Invalid request method and/or path" },
		{ "GET", "/vsock", NULL, "Invalid request method and/or path" },
		{ "GET", "/hotplug/memory", NULL, "azote does not implement /hotplug." },
		{ "PUT", "/snapshot/create", "{}", "missing field `snapshot_path`" },
		{ "PATCH", "/snapshot/create", "{}",
		  "Invalid request method and/or path: PATCH /snapshot/create." },
	};
	F;
	char longpath[700];

	FX_EXPECT_FAULTS(f, cases);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(fx_req(f, "GET", longpath, NULL), 400);
	fx_assert_fault(f, "Invalid request method and/or path");
	/* A path that is not UTF-8 is still answered in valid JSON. */
	assert_int_equal(fx_req(f, "GET", "/ballo\xffon", NULL), 400);
	fx_assert_fault(f, "Invalid request method and/or path: GET /ballo?on.");
	/* Leading slashes collapse and one trailing slash is ignored, as in
	 * Firecracker. */
	assert_int_equal(fx_req(f, "GET", "//machine-config/", NULL), 200);
}

static void test_ids(void **state)
{
	F;
	char body[256], path[128], id[80];

	assert_int_equal(fx_req(f, "PUT", "/drives/a-b", "{}"), 400);
	fx_assert_fault(f, "API Resource IDs can only contain alphanumeric "
			"characters and underscores.");
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/%C3%A9", "{}"),
			 400);
	fx_assert_fault(f, "alphanumeric");
	assert_int_equal(fx_req(f, "PUT", "/drives//", "{}"), 400);
	assert_int_equal(fx_req(f, "PATCH", "/drives/a%20b", "{}"), 400);
	fx_assert_fault(f, "alphanumeric");

	memset(id, 'x', 64);
	id[64] = '\0';
	snprintf(path, sizeof(path), "/drives/%s", id);
	assert_int_equal(fx_req(f, "PUT", path, "{}"), 400);
	fx_assert_fault(f, "at most 63 characters");
	id[63] = '\0';
	snprintf(path, sizeof(path), "/drives/%s", id);
	snprintf(body, sizeof(body), "{\"drive_id\": \"%s\", \"path_on_host\": "
		 "\"%s\", \"is_root_device\": false, \"is_read_only\": true}",
		 id, fx_path(f, "disk.img"));
	assert_int_equal(fx_req(f, "PUT", path, body), 204);

	assert_int_equal(fx_reqf(f, "PUT", "/drives/one",
				 "{\"drive_id\": \"two\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": false, "
				 "\"is_read_only\": true}",
				 fx_path(f, "disk.img")), 400);
	fx_assert_fault(f, "The id from the path [one] does not match the id "
			"from the body [two]!");
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/a",
				"{\"iface_id\": \"b\", \"host_dev_name\": \"t\"}"),
			 400);
	fx_assert_fault(f, "does not match");
	/* The id in the body obeys the same rule. */
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/a",
				"{\"iface_id\": \"a.b\", \"host_dev_name\": \"t\"}"),
			 400);
	fx_assert_fault(f, "alphanumeric");
}

/* ---- the state machine ---- */

#define AFTER_START "The requested operation is not supported after " \
	"starting the microVM."
#define BEFORE_START "The requested operation is not supported before " \
	"starting the microVM."

static void test_pre_boot_only_after_start(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/boot-source", "{\"kernel_image_path\": \"k\"}", AFTER_START },
		{ "PUT", "/machine-config",
		  "{\"vcpu_count\": 1, \"mem_size_mib\": 64}", AFTER_START },
		{ "PATCH", "/machine-config", "{\"vcpu_count\": 1}", AFTER_START },
		{ "PUT", "/drives/x", "{\"drive_id\": \"x\", \"path_on_host\": "
		  "\"p\", \"is_root_device\": false, \"is_read_only\": true}", AFTER_START },
		{ "PUT", "/network-interfaces/x",
		  "{\"iface_id\": \"x\", \"host_dev_name\": \"tap9\"}", AFTER_START },
		{ "PUT", "/logger", "{\"level\": \"Debug\"}", AFTER_START },
		{ "PUT", "/metrics", "{\"metrics_path\": \"/tmp/m\"}", AFTER_START },
		{ "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}", AFTER_START },
	};
	F;

	fx_boot(f);
	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(f->fake.starts, 1);
	assert_int_equal(f->sink_opens, 0);
	/* Still serving. */
	assert_int_equal(fx_req(f, "GET", "/machine-config", NULL), 200);
}

static void test_post_boot_only_before_start(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PATCH", "/vm", "{\"state\": \"Paused\"}", BEFORE_START },
		{ "PATCH", "/vm", "{\"state\": \"Resumed\"}", BEFORE_START },
		{ "PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}", BEFORE_START },
		{ "PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}", BEFORE_START },
		{ "PATCH", "/drives/rootfs", "{\"drive_id\": \"rootfs\"}", BEFORE_START },
		{ "PATCH", "/network-interfaces/net1",
		  "{\"iface_id\": \"net1\"}", BEFORE_START },
	};
	F;

	fx_configure(f);
	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(f->fake.pauses + f->fake.resumes +
			 f->fake.ctrl_alt_dels + f->fake.drive_updates +
			 f->fake.net_updates, 0);
}

static void expect_state(struct api_fixture *f, const char *want)
{
	json_t *v;

	assert_int_equal(fx_req(f, "GET", "/", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(v, "state"), want);
	json_decref(v);
}

static void test_pause_resume(void **state)
{
	F;

	fx_boot(f);
	assert_int_equal(api_get_state(f->api), API_RUNNING);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"),
			 204);
	expect_state(f, "Paused");
	/* Pausing a paused VM changes nothing and bothers no one. */
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"),
			 204);
	assert_int_equal(f->fake.pauses, 1);
	/* A paused VM still takes Ctrl+Alt+Del (it waits in the i8042). */
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"SendCtrlAltDel\"}"), 204);
	assert_int_equal(f->fake.ctrl_alt_dels, 1);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Resumed\"}"),
			 204);
	expect_state(f, "Running");
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Resumed\"}"),
			 204);
	assert_int_equal(f->fake.resumes, 1);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Stopped\"}"),
			 400);
	fx_assert_fault(f, "unknown variant `Stopped` for field `state`, "
			"expected one of `Paused`, `Resumed`");

	/* A failing pause leaves the VM running. */
	f->fake.fail_next = "vCPU 1 did not stop";
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"),
			 400);
	fx_assert_fault(f, "vCPU 1 did not stop");
	expect_state(f, "Running");
}

static void test_start_failure_and_retry(void **state)
{
	F;

	fx_configure(f);
	f->fake.fail_next = "cannot create the VM: KVM_CREATE_VM: EBUSY";
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"InstanceStart\"}"), 400);
	fx_assert_fault(f, "KVM_CREATE_VM: EBUSY");
	expect_state(f, "Not started");
	assert_false(fx_started(f));
	/* Still configurable, and startable. */
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"vcpu_count\": 1}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"InstanceStart\"}"), 204);
	assert_int_equal(f->fake.start_cpus, 1);
	assert_true(fx_started(f));
}

static void test_start_without_kernel(void **state)
{
	F;

	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"InstanceStart\"}"), 400);
	fx_assert_fault(f, "Cannot start microvm without kernel configuration.");
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"Reboot\"}"), 400);
	fx_assert_fault(f, "unknown variant `Reboot` for field `action_type`, "
			"expected one of `FlushMetrics`, `InstanceStart`, "
			"`SendCtrlAltDel`");
	assert_int_equal(f->fake.starts, 0);
}

/* ---- machine-config ---- */

static void test_machine_config_rules(void **state)
{
	static const char *const bad_cpus[] = {
		"{\"vcpu_count\": 0, \"mem_size_mib\": 128}",
		"{\"vcpu_count\": 33, \"mem_size_mib\": 128}",
		"{\"vcpu_count\": 3, \"mem_size_mib\": 128, \"smt\": true}",
	};
	F;
	json_t *v;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(fx_req(f, "PUT", "/machine-config",
					bad_cpus[i]), 400);
		fx_assert_fault(f, "The number of vCPUs must be greater than 0, "
				"less than 33 and must be 1 or an even number "
				"if SMT is enabled.");
	}
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 0}"), 400);
	fx_assert_fault(f, "The memory size (MiB) is either 0");
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 4, \"mem_size_mib\": 512, "
				"\"smt\": true, \"track_dirty_pages\": true, "
				"\"cpu_template\": \"None\"}"), 204);
	/* PATCH changes only what it names... */
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"mem_size_mib\": 1024}"), 204);
	assert_int_equal(fx_req(f, "GET", "/machine-config", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_integer_value(json_object_get(v, "vcpu_count")), 4);
	assert_int_equal(json_integer_value(json_object_get(v, "mem_size_mib")),
			 1024);
	assert_true(json_is_true(json_object_get(v, "smt")));
	json_decref(v);
	/* ...and is checked against what it keeps: SMT with 3 vCPUs. */
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"vcpu_count\": 3}"), 400);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{}"), 400);
	fx_assert_fault(f, "Empty PATCH request.");
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"smt\": null}"), 400);
	/* As is, as Firecracker answers it: no deserialization error. */
	v = fx_json(f);
	assert_string_equal(json_string_value(json_object_get(v, "fault_message")),
			    "Empty PATCH request.");
	json_decref(v);
	/* PUT resets what it does not name. */
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 3, \"mem_size_mib\": 64}"), 204);
	assert_int_equal(fx_req(f, "GET", "/machine-config", NULL), 200);
	v = fx_json(f);
	assert_true(json_is_false(json_object_get(v, "smt")));
	assert_true(json_is_false(json_object_get(v, "track_dirty_pages")));
	json_decref(v);
}

static void test_machine_config_refused_features(void **state)
{
	F;

	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 128, "
				"\"cpu_template\": \"T2\"}"), 400);
	fx_assert_fault(f, "cpu_template `T2`");
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 128, "
				"\"cpu_template\": \"t2\"}"), 400);
	fx_assert_fault(f, "unknown variant `t2` for field `cpu_template`");
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"huge_pages\": \"Transparent\"}"), 400);
	fx_assert_fault(f, "huge_pages `Transparent`");
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"huge_pages\": \"None\"}"), 204);
}

/* Firecracker's huge_pages "2M": kept by PATCH, reset by PUT, shown, and
 * the memory size a whole number of 2 MiB pages, whichever comes last. */
static void test_machine_config_huge_pages(void **state)
{
	F;
	json_t *v;

	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 129, "
				"\"huge_pages\": \"2M\"}"), 400);
	fx_assert_fault(f, "The memory size (MiB) is either 0, or not a multiple of the "
			"configured page size.");
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"mem_size_mib\": 129}"), 204);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"huge_pages\": \"2M\"}"), 400);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config",
				"{\"mem_size_mib\": 130, \"huge_pages\": \"2M\"}"), 204);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{\"mem_size_mib\": 131}"),
			 400);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{\"vcpu_count\": 2}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(json_object_get(v, "machine-config"), "huge_pages"), "2M");
	json_decref(v);
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 131}"), 204);
	assert_int_equal(fx_req(f, "GET", "/machine-config", NULL), 200);
	v = fx_json(f);
	assert_string_equal(str_at(v, "huge_pages"), "None");
	json_decref(v);
}

/* ---- drives ---- */

static void test_drives(void **state)
{
	F;
	json_t *v, *d;

	/* A data drive first, then the root: the root goes first. */
	assert_int_equal(fx_reqf(f, "PUT", "/drives/data",
				 "{\"drive_id\": \"data\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": false, "
				 "\"is_read_only\": true, \"cache_type\": "
				 "\"Writeback\", \"io_engine\": \"Async\"}",
				 fx_path(f, "disk2.img")), 204);
	assert_int_equal(fx_reqf(f, "PUT", "/drives/root",
				 "{\"drive_id\": \"root\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": true, "
				 "\"is_read_only\": false, \"partuuid\": "
				 "\"0eaa91a0-01\"}", fx_path(f, "disk.img")), 204);
	assert_int_equal(fx_reqf(f, "PUT", "/drives/root2",
				 "{\"drive_id\": \"root2\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": true, "
				 "\"is_read_only\": false}",
				 fx_path(f, "ro.img")), 400);
	fx_assert_fault(f, "A root block device already exists!");
	/* Replacing a drive keeps one entry. */
	assert_int_equal(fx_reqf(f, "PUT", "/drives/data",
				 "{\"drive_id\": \"data\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": false, "
				 "\"is_read_only\": true, \"cache_type\": "
				 "\"Writeback\"}", fx_path(f, "ro.img")), 204);
	/* is_read_only defaults to false, as in Firecracker's code. */
	assert_int_equal(fx_req_at(f, "PUT", "/drives/rw",
				   "{\"drive_id\": \"rw\", \"path_on_host\": "
				   "\"@/disk2.img\", \"is_root_device\": false}"),
			 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_array_size(json_object_get(v, "drives")), 3);
	d = json_array_get(json_object_get(v, "drives"), 2);
	assert_true(json_is_false(json_object_get(d, "is_read_only")));
	d = json_array_get(json_object_get(v, "drives"), 0);
	assert_string_equal(str_at(d, "drive_id"), "root");
	assert_string_equal(str_at(d, "partuuid"), "0eaa91a0-01");
	d = json_array_get(json_object_get(v, "drives"), 1);
	assert_string_equal(str_at(d, "drive_id"), "data");
	assert_string_equal(str_at(d, "path_on_host"), fx_path(f, "ro.img"));
	assert_string_equal(str_at(d, "cache_type"), "Writeback");
	assert_string_equal(str_at(d, "io_engine"), "Sync");
	json_decref(v);

}

/* The root drive reaches the kernel command line as Firecracker puts it. */
static void test_boot_cmdline_root(void **state)
{
	struct vm_config c;
	char *cmdline;

	(void)state;
	vm_config_init(&c);
	cmdline = vm_config_boot_cmdline(&c);
	assert_string_equal(cmdline, "");
	free(cmdline);
	c.cmdline = strdup("console=ttyS0");
	c.nr_drives = 1;
	c.drives[0].is_root_device = true;
	c.drives[0].partuuid = strdup("0eaa91a0-01");
	cmdline = vm_config_boot_cmdline(&c);
	assert_string_equal(cmdline, "console=ttyS0 root=PARTUUID=0eaa91a0-01 rw");
	free(cmdline);
	c.drives[0].read_only = true;
	free(c.drives[0].partuuid);
	c.drives[0].partuuid = NULL;
	cmdline = vm_config_boot_cmdline(&c);
	assert_string_equal(cmdline, "console=ttyS0 root=/dev/vda ro");
	free(cmdline);
	/* Only a root drive in first place counts. */
	c.drives[0].is_root_device = false;
	cmdline = vm_config_boot_cmdline(&c);
	assert_string_equal(cmdline, "console=ttyS0");
	free(cmdline);
	vm_config_free(&c);
}

static void test_drive_errors(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": "
		  "\"/nonexistent.img\", \"is_root_device\": false, "
		  "\"is_read_only\": false}",
		  "block device backing file cannot be opened: No such file or "
		  "directory: /nonexistent.img" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": "
		  "\"@/disk.img\", \"is_root_device\": false, \"is_read_only\": "
		  "false, \"partuuid\": \"x root=/dev/sdb\"}",
		  "is not a partition UUID" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": "
		  "\"@/disk.img\", \"is_root_device\": false, \"is_read_only\": "
		  "false, \"cache_type\": \"None\"}",
		  "unknown variant `None` for field `cache_type`" },
		/* vhost-user: the backend owns the image. */
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"socket\": "
		  "\"/run/x.sock\", \"path_on_host\": \"@/disk.img\", "
		  "\"is_root_device\": false}",
		  "a vhost-user drive (socket) takes none of" },
		{ "PUT", "/drives/d", "{\"drive_id\": \"d\", \"socket\": "
		  "\"@/disk.img\", \"is_root_device\": false}", "not a socket" },
	};
	F;
	char path[32];

	FX_EXPECT_FAULTS(f, cases);
	/* At most VM_MAX_DRIVES. */
	for (int i = 0; i < VM_MAX_DRIVES; i++) {
		snprintf(path, sizeof(path), "/drives/d%d", i);
		assert_int_equal(fx_reqf(f, "PUT", path,
					 "{\"drive_id\": \"d%d\", \"path_on_host\": "
					 "\"%s\", \"is_root_device\": false, "
					 "\"is_read_only\": true}", i,
					 fx_path(f, "disk.img")), 204);
	}
	assert_int_equal(fx_reqf(f, "PUT", "/drives/extra",
				 "{\"drive_id\": \"extra\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": false, "
				 "\"is_read_only\": true}",
				 fx_path(f, "disk.img")), 400);
	fx_assert_fault(f, "at most 16 drives");
}

static void test_drive_patch(void **state)
{
	F;

	fx_boot(f);
	assert_int_equal(fx_reqf(f, "PATCH", "/drives/rootfs",
				 "{\"drive_id\": \"rootfs\", \"path_on_host\": "
				 "\"%s\"}", fx_path(f, "disk2.img")), 204);
	assert_int_equal(f->fake.drive_updates, 1);
	assert_int_equal(f->fake.update_index, 0);
	assert_string_equal(f->fake.update_path, fx_path(f, "disk2.img"));
	assert_false(f->fake.update_has_rl);
	assert_int_equal(atomic_load(&f->metrics.block[0].update_count.count), 1);

	/* Rate limits merge bucket by bucket. */
	assert_int_equal(fx_req(f, "PATCH", "/drives/rootfs",
				"{\"drive_id\": \"rootfs\", \"rate_limiter\": "
				"{\"ops\": {\"size\": 100, \"refill_time\": 1000}}}"),
			 204);
	assert_int_equal(fx_req(f, "PATCH", "/drives/rootfs",
				"{\"drive_id\": \"rootfs\", \"rate_limiter\": "
				"{\"bandwidth\": {\"size\": 5000, "
				"\"one_time_burst\": 7, \"refill_time\": 100}}}"),
			 204);
	assert_true(f->fake.update_has_rl);
	assert_true(f->fake.update_rl.has_ops);
	assert_int_equal(f->fake.update_rl.ops.size, 100);
	assert_true(f->fake.update_rl.has_bandwidth);
	assert_int_equal(f->fake.update_rl.bandwidth.size, 5000);
	assert_int_equal(f->fake.update_rl.bandwidth.one_time_burst, 7);
	assert_int_equal(f->fake.update_rl.bandwidth.refill_time_ms, 100);
	assert_string_equal(f->fake.update_path, "");

	assert_int_equal(fx_req(f, "PATCH", "/drives/other",
				"{\"drive_id\": \"other\"}"), 400);
	fx_assert_fault(f, "Invalid block device ID");
	assert_int_equal(fx_req(f, "PATCH", "/drives/rootfs",
				"{\"drive_id\": \"rootfs\", \"is_read_only\": true}"),
			 400);
	fx_assert_fault(f, "unknown field `is_read_only`");
	assert_int_equal(fx_req(f, "PATCH", "/drives/rootfs",
				"{\"drive_id\": \"rootfs\", \"path_on_host\": "
				"\"/nonexistent\"}"), 400);
	fx_assert_fault(f, "cannot be opened");

	/* A failed update changes nothing in the configuration. */
	f->fake.fail_next = "card refused the new image";
	assert_int_equal(fx_reqf(f, "PATCH", "/drives/rootfs",
				 "{\"drive_id\": \"rootfs\", \"path_on_host\": "
				 "\"%s\"}", fx_path(f, "ro.img")), 400);
	fx_assert_fault(f, "card refused the new image");
	assert_int_equal(atomic_load(&f->metrics.block[0].update_fails.count), 1);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	assert_non_null(strstr(f->r.body, "disk2.img"));
}

/* ---- network interfaces ---- */

static void test_net_errors(void **state)
{
	F;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/n2",
				"{\"iface_id\": \"n2\", \"host_dev_name\": \"tap0\"}"),
			 400);
	fx_assert_fault(f, "The host device name tap0 is already in use.");
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/n2",
				"{\"iface_id\": \"n2\", \"host_dev_name\": \"tap1\", "
				"\"guest_mac\": \"06:00:ac:10:00:02\"}"), 400);
	fx_assert_fault(f, "The guest MAC address 06:00:ac:10:00:02 is already "
			"in use.");
	/* Replacing an interface may keep its own name and MAC. */
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/net1",
				"{\"iface_id\": \"net1\", \"host_dev_name\": \"tap0\", "
				"\"guest_mac\": \"06:00:AC:10:00:02\", \"mtu\": 9000}"),
			 204);
	static const char *const bad_macs[] = {
		"06:00:ac:10:00", "06:00:ac:10:00:0g", "06-00-ac-10-00-02",
		"06:00:ac:10:00:02:", " 6:00:ac:10:00:02", "+6:00:ac:10:00:02",
	};
	for (size_t i = 0; i < sizeof(bad_macs) / sizeof(bad_macs[0]); i++) {
		assert_int_equal(fx_reqf(f, "PUT", "/network-interfaces/n3",
					 "{\"iface_id\": \"n3\", \"host_dev_name\": "
					 "\"tap3\", \"guest_mac\": \"%s\"}",
					 bad_macs[i]), 400);
		fx_assert_fault(f, "is not a MAC address");
	}
	static const char *const bad_names[] = {
		"", "sixteen-chars-xx", "a/b", "a b", "a:b", "..",
	};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(fx_reqf(f, "PUT", "/network-interfaces/n3",
					 "{\"iface_id\": \"n3\", \"host_dev_name\": "
					 "\"%s\"}", bad_names[i]), 400);
		fx_assert_fault(f, "is not a network interface name");
	}
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/n3",
				"{\"iface_id\": \"n3\", \"host_dev_name\": \"tap3\", "
				"\"mtu\": 67}"), 400);
	fx_assert_fault(f, "field `mtu`");
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/n3",
				"{\"iface_id\": \"n3\", \"host_dev_name\": \"tap3\", "
				"\"mtu\": 65536}"), 400);
	fx_assert_fault(f, "field `mtu`");
}

/* PUT /vsock: Firecracker's Vsock, one device, before boot; shown by
 * GET /vm/config without the deprecated vsock_id. */
static void test_vsock(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/vsock", "{\"uds_path\": \"@/v.sock\"}", "missing field `guest_cid`" },
		{ "PUT", "/vsock", "{\"guest_cid\": 3}", "missing field `uds_path`" },
		{ "PUT", "/vsock", "{\"guest_cid\": 2, \"uds_path\": \"@/v.sock\"}",
		  "invalid value for field `guest_cid`: 2, expected 3 to 4294967295" },
		{ "PUT", "/vsock", "{\"guest_cid\": 4294967296, \"uds_path\": \"@/v.sock\"}",
		  "guest_cid" },
		{ "PUT", "/vsock", "{\"guest_cid\": -3, \"uds_path\": \"@/v.sock\"}",
		  "guest_cid" },
		{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"@/\"}",
		  "is not a file name" },
		{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"\"}", "uds_path" },
		{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"@/v.sock\", \"x\": 1}",
		  "unknown field `x`" },
		/* Firecracker binds it at once and fails on an existing path. */
		{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"@/disk.img\"}",
		  "Cannot create backend for vsock device: Error binding to the host-side Unix "
		  "socket: Address in use" },
		{ "PUT", "/vsock", "{\"guest_cid\": 3, \"uds_path\": \"/0123456789/0123456789/"
		  "0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/v\"}",
		  "longer than 96 bytes" },
	};
	F;
	json_t *v, *vs;

	FX_EXPECT_FAULTS(f, cases);
	fx_configure(f);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_true(json_is_null(json_object_get(v, "vsock")));
	json_decref(v);
	assert_int_equal(fx_req_at(f, "PUT", "/vsock", "{\"vsock_id\": \"old\", \"guest_cid\": 3, "
				   "\"uds_path\": \"@/v.sock\"}"), 204);
	/* A second one replaces the first. */
	assert_int_equal(fx_req_at(f, "PUT", "/vsock", "{\"guest_cid\": 4294967295, "
				   "\"uds_path\": \"@/w.sock\"}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	vs = json_object_get(v, "vsock");
	assert_true(json_is_object(vs));
	assert_int_equal(json_object_size(vs), 2);
	assert_true(json_integer_value(json_object_get(vs, "guest_cid")) == 4294967295LL);
	assert_non_null(strstr(json_string_value(json_object_get(vs, "uds_path")), "/w.sock"));
	json_decref(v);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req_at(f, "PUT", "/vsock", "{\"guest_cid\": 5, "
				   "\"uds_path\": \"@/x.sock\"}"), 400);
	fx_assert_fault(f, "not supported after starting the microVM");
}

/* PUT /entropy: Firecracker's entropy device, one, before boot, its
 * rate_limiter checked as a drive's; shown by GET /vm/config (null
 * without one). */
static void test_entropy(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/entropy", "{\"x\": 1}", "unknown field `x`" },
		{ "PUT", "/entropy", "[]", "invalid type: an array, expected an object" },
		{ "PUT", "/entropy", "{\"rate_limiter\": 5}", "rate_limiter" },
		{ "PUT", "/entropy", "{\"rate_limiter\": {\"bandwidth\": {\"size\": -1, "
		  "\"refill_time\": 100}}}", "size" },
		{ "PUT", "/entropy", "{\"rate_limiter\": {\"ops\": {\"size\": 10}}}",
		  "missing field `rate_limiter.ops.refill_time`" },
		{ "GET", "/entropy", NULL, "Invalid request method and/or path" },
		{ "PATCH", "/entropy", "{}", "Invalid request method and/or path" },
	};
	F;
	json_t *v, *en, *rl;

	FX_EXPECT_FAULTS(f, cases);
	fx_configure(f);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_true(json_is_null(json_object_get(v, "entropy")));
	json_decref(v);
	assert_int_equal(fx_req(f, "PUT", "/entropy", "{}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	en = json_object_get(v, "entropy");
	assert_true(json_is_object(en));
	assert_int_equal(json_object_size(en), 0);
	json_decref(v);
	/* A second one replaces the first, with its limits. */
	assert_int_equal(fx_req(f, "PUT", "/entropy", "{\"rate_limiter\": {\"bandwidth\": "
				"{\"size\": 1000, \"one_time_burst\": 0, \"refill_time\": 100}}}"),
			 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	rl = json_object_get(json_object_get(v, "entropy"), "rate_limiter");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rl, "bandwidth"),
							     "size")), 1000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rl, "bandwidth"),
							     "refill_time")), 100);
	assert_null(json_object_get(rl, "ops"));
	json_decref(v);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req(f, "PUT", "/entropy", "{}"), 400);
	fx_assert_fault(f, "not supported after starting the microVM");
}

/* PUT /serial: Firecracker's serial console settings, before boot; the
 * machine is built with them; a second PUT replaces the first whole. */
static void test_serial(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/serial", "{\"x\": 1}", "unknown field `x`" },
		{ "PUT", "/serial", "{\"serial_out_path\": 5}", "serial_out_path" },
		{ "PUT", "/serial", "{\"serial_out_path\": \"\"}", "serial_out_path" },
		{ "PUT", "/serial", "{\"rate_limiter\": {\"size\": 100}}",
		  "missing field `rate_limiter.refill_time`" },
		{ "PUT", "/serial", "{\"rate_limiter\": {\"bandwidth\": {\"size\": 1, "
		  "\"refill_time\": 1}}}", "unknown field `rate_limiter.bandwidth`" },
		{ "GET", "/serial", NULL, "Invalid request method and/or path" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/serial", "{\"serial_out_path\": \"/run/a.log\", "
				"\"rate_limiter\": {\"size\": 100, \"one_time_burst\": 5, "
				"\"refill_time\": 1000}}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/serial", "{\"serial_out_path\": \"/run/b.log\"}"),
			 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_string_equal(f->fake.serial_out, "/run/b.log");
	assert_false(f->fake.serial_limited);
	assert_int_equal(fx_req(f, "PUT", "/serial", "{}"), 400);
	fx_assert_fault(f, "not supported after starting the microVM");
}

static void test_net_patch(void **state)
{
	F;

	fx_boot(f);
	assert_int_equal(fx_req(f, "PATCH", "/network-interfaces/net1",
				"{\"iface_id\": \"net1\", \"tx_rate_limiter\": "
				"{\"bandwidth\": {\"size\": 62500, "
				"\"refill_time\": 1000}}}"), 204);
	assert_int_equal(f->fake.net_updates, 1);
	assert_false(f->fake.update_has_rx);
	assert_true(f->fake.update_has_tx);
	assert_int_equal(f->fake.update_tx.bandwidth.size, 62500);
	assert_int_equal(fx_req(f, "PATCH", "/network-interfaces/nope",
				"{\"iface_id\": \"nope\"}"), 400);
	fx_assert_fault(f, "Invalid interface ID - not found.");
	assert_int_equal(fx_req(f, "PATCH", "/network-interfaces/net1",
				"{\"iface_id\": \"net1\", \"host_dev_name\": \"t\"}"),
			 400);
	fx_assert_fault(f, "unknown field `host_dev_name`");
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	assert_non_null(strstr(f->r.body, "\"tx_rate_limiter\":{\"bandwidth\":"
			       "{\"size\":62500,\"one_time_burst\":0,"
			       "\"refill_time\":1000}}"));
}

/* PUT /pmem/{id}: Firecracker's pmem devices, before boot, in order, one
 * root device among them and the drives. */
static void test_pmem(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/pmem/p", "{\"id\": \"p\"}", "missing field `path_on_host`" },
		{ "PUT", "/pmem/p", "{\"id\": \"q\", \"path_on_host\": \"@/pmem.img\"}",
		  "The id from the path [p] does not match the id from the body [q]!" },
		{ "PUT", "/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"@/pmem.img\", "
		  "\"size\": 1}", "unknown field `size`" },
		{ "PUT", "/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"@/pmem.img\", "
		  "\"read_only\": 1}", "read_only" },
		{ "PUT", "/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"@/nope.img\"}",
		  "The pmem backing file cannot be opened: No such file or directory: " },
		{ "PUT", "/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"@/empty.img\"}",
		  "The pmem backing file is empty: " },
		{ "PUT", "/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"@\"}",
		  "not a regular file" },
		/* rootfs, fx_configure's drive, is the root device. */
		{ "PUT", "/pmem/p", "{\"id\": \"p\", \"path_on_host\": \"@/pmem.img\", "
		  "\"root_device\": true}", "Attempt to add pmem as a root device while the "
		  "root device defined as a block device" },
		{ "PATCH", "/pmem/p", "{\"id\": \"p\"}", "not supported before starting" },
	};
	F;
	json_t *v, *list;

	fx_configure(f);
	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_array_size(json_object_get(v, "pmem")), 0);
	json_decref(v);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p0", "{\"id\": \"p0\", \"path_on_host\": "
				   "\"@/pmem.img\"}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p1", "{\"id\": \"p1\", \"path_on_host\": "
				   "\"@/ro.img\", \"read_only\": true}"), 204);
	/* Replaced in its place, with its limiter. */
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p0", "{\"id\": \"p0\", \"path_on_host\": "
				   "\"@/disk2.img\", \"rate_limiter\": {\"ops\": {\"size\": 5, "
				   "\"refill_time\": 100}}}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	list = json_object_get(v, "pmem");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "p0");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(list, 0),
								 "path_on_host")), "/disk2.img"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
		json_array_get(list, 0), "rate_limiter"), "ops"), "size")), 5);
	assert_true(json_is_true(json_object_get(json_array_get(list, 1), "read_only")));
	assert_true(json_is_false(json_object_get(json_array_get(list, 1), "root_device")));
	json_decref(v);
	/* Without the root drive, one pmem device may be root, not two; then
	 * no drive may be. */
	assert_int_equal(fx_req_at(f, "PUT", "/drives/rootfs", "{\"drive_id\": \"rootfs\", "
				   "\"path_on_host\": \"@/disk.img\", \"is_root_device\": false}"),
			 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p1", "{\"id\": \"p1\", \"path_on_host\": "
				   "\"@/ro.img\", \"root_device\": true, \"read_only\": true}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p1", "{\"id\": \"p1\", \"path_on_host\": "
				   "\"@/ro.img\", \"root_device\": true}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p0", "{\"id\": \"p0\", \"path_on_host\": "
				   "\"@/pmem.img\", \"root_device\": true}"), 400);
	fx_assert_fault(f, "A root pmem device already exist");
	assert_int_equal(fx_req_at(f, "PUT", "/drives/rootfs", "{\"drive_id\": \"rootfs\", "
				   "\"path_on_host\": \"@/disk.img\", \"is_root_device\": true}"),
			 400);
	fx_assert_fault(f, "Attempt to add block as a root device while the root device "
			"defined as a pmem device");
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/p2", "{\"id\": \"p2\", \"path_on_host\": "
				   "\"@/pmem.img\"}"), 400);
	fx_assert_fault(f, "not supported after starting the microVM");
	/* After boot: new limits for a known device. */
	assert_int_equal(fx_req(f, "PATCH", "/pmem/p1", "{\"id\": \"p1\", \"rate_limiter\": "
				"{\"bandwidth\": {\"size\": 4096, \"refill_time\": 10}}}"), 204);
	assert_int_equal(f->fake.pmem_updates, 1);
	assert_int_equal(f->fake.update_index, 1);
	assert_true(f->fake.update_has_rl);
	assert_int_equal(f->fake.update_rl.bandwidth.size, 4096);
	assert_int_equal(fx_req(f, "PATCH", "/pmem/p1", "{\"id\": \"p1\"}"), 204);
	assert_int_equal(f->fake.pmem_updates, 1);
	assert_int_equal(fx_req(f, "PATCH", "/pmem/zz", "{\"id\": \"zz\", \"rate_limiter\": {}}"),
			 400);
	fx_assert_fault(f, "Unable to patch the pmem device: no pmem device `zz`.");
	assert_int_equal(fx_req(f, "PATCH", "/pmem/p1", "{\"id\": \"p1\", \"read_only\": true}"),
			 400);
	fx_assert_fault(f, "unknown field `read_only`");
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	assert_non_null(strstr(f->r.body, "\"bandwidth\":{\"size\":4096,\"one_time_burst\":0,"
			       "\"refill_time\":10}"));
}

/* A core without runtime device updates refuses them by name. */
static void test_patch_unsupported_by_core(void **state)
{
	F;
	struct vmm_ops ops = fake_vmm_ops;
	struct api_params p = {
		.ops = &ops, .ctx = &f->fake, .metrics = &f->metrics,
	};
	struct api *keep = f->api;
	struct azerr e;

	ops.update_drive = NULL;
	ops.update_net = NULL;
	f->api = api_new(&p, NULL, &e);
	fx_boot(f);
	assert_int_equal(fx_req(f, "PATCH", "/drives/rootfs",
				"{\"drive_id\": \"rootfs\", \"path_on_host\": "
				"\"/tmp\"}"), 400);
	fx_assert_fault(f, "The requested operation is not supported: updating "
			"a drive after boot");
	assert_int_equal(fx_req(f, "PATCH", "/network-interfaces/net1",
				"{\"iface_id\": \"net1\", \"rx_rate_limiter\": {}}"),
			 400);
	fx_assert_fault(f, "not supported");
	api_free(f->api);
	f->api = keep;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, \
					      api_fixture_teardown)
		T(test_instance_info),
		T(test_machine_config_defaults),
		T(test_getting_started),
		T(test_boot_source_default_cmdline),
		T(test_boot_source_missing_files),
		T(test_malformed_json),
		T(test_wrong_types),
		T(test_big_integers),
		T(test_unknown_fields),
		T(test_missing_fields),
		T(test_bad_paths_and_methods),
		T(test_ids),
		T(test_pre_boot_only_after_start),
		T(test_post_boot_only_before_start),
		T(test_pause_resume),
		T(test_start_failure_and_retry),
		T(test_start_without_kernel),
		T(test_machine_config_rules),
		T(test_machine_config_refused_features),
		T(test_machine_config_huge_pages),
		T(test_drives),
		T(test_boot_cmdline_root),
		T(test_drive_errors),
		T(test_drive_patch),
		T(test_net_errors),
		T(test_net_patch),
		T(test_vsock),
		T(test_entropy),
		T(test_pmem),
		T(test_serial),
		T(test_patch_unsupported_by_core),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
