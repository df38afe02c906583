/* PUT /snapshot/create and PUT /snapshot/load through the API with the
 * fake VMM: Firecracker's bodies, the states each is allowed in and its
 * texts when not, and the configuration a snapshot records coming back
 * as the restored instance's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_api_util.h"

#define RUNNING_MSG "Operation not allowed: save/restore unavailable while running"
#define LOAD_AFTER_CONFIG \
	"Loading a microVM snapshot not allowed after configuring boot-specific resources."

static const char create_body[] =
	"{\"snapshot_type\": \"Full\", \"snapshot_path\": \"@/vm.snap\", "
	"\"mem_file_path\": \"@/vm.mem\"}";

/* A fresh process: a new API in front of the same fake VMM. */
static void fresh_api(struct api_fixture *f)
{
	struct api_params p = { .ops = &fake_vmm_ops, .ctx = &f->fake,
				.metrics = &f->metrics };
	struct azerr e;

	api_free(f->api);
	f->api = api_new(&p, NULL, &e);
	assert_non_null(f->api);
}

/* Pauses the running VM and takes a full snapshot (create_body). */
static void snapshot_paused(struct api_fixture *f)
{
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 204);
}

static void test_create_states(void **state)
{
	struct api_fixture *f = *state;
	const struct fx_bad cases[] = {
		{ "PUT", "/snapshot/create", "{\"snapshot_path\": \"@/s\"}",
		  "missing field `mem_file_path`" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", \"snapshot_type\": \"Half\"}",
		  "unknown variant `Half` for field `snapshot_type`, expected one of `Full`, `Diff`" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"\", \"mem_file_path\": \"@/m\"}", "snapshot_path" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", \"x\": 1}", "`x`" },
		{ "PUT", "/snapshot/create", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/s\"}",
		  "is also the snapshot_path" },
	};

	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 400);
	fx_assert_fault(f, "The requested operation is not supported before starting the microVM.");
	fx_boot(f);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 400);
	fx_assert_fault(f, RUNNING_MSG);
	FX_EXPECT_FAULTS(f, cases);
	snapshot_paused(f);
	assert_int_equal(f->fake.snapshot_creates, 1);
	assert_int_equal(f->fake.snap_type, SNAPSHOT_FULL);
	assert_non_null(strstr(f->fake.snap_path, "/vm.snap"));
	assert_non_null(strstr(f->fake.mem_path, "/vm.mem"));
	assert_non_null(strstr(f->fake.snap_config, "\"drive_id\":\"rootfs\""));
	assert_null(strstr(f->fake.snap_config, "\"logger\""));
	/* The VMM's failure (a full disk) is the request's, the VM stays
	 * paused and resumable. */
	f->fake.fail_next = "cannot write /x/vm.mem: No space left on device";
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 400);
	fx_assert_fault(f, "Create snapshot error: cannot write /x/vm.mem: No space left on device");
	assert_int_equal(api_get_state(f->api), API_PAUSED);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Resumed\"}"), 204);
	/* Load once booted: Firecracker's post-boot text. */
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load",
				   "{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\"}"),
			 400);
	fx_assert_fault(f, "The requested operation is not supported after starting the microVM.");
}

/* f->dir's name, made by fn(target, at) (symlink or link), at f->dir/at. */
static void make_link(struct api_fixture *f, int (*fn)(const char *, const char *),
		      const char *target, const char *at)
{
	char from[128], to[128];

	snprintf(from, sizeof(from), "%s/%s", f->dir, target);
	snprintf(to, sizeof(to), "%s/%s", f->dir, at);
	assert_int_equal(fn(from, to), 0);
}

/* The state file is renamed over snapshot_path last: a mem_file_path
 * that names the same file in other words would lose the memory and
 * report success. Refused by what the paths name (the directory entry,
 * or the file when both exist), not by their text; different files in
 * one directory, or one name in two directories, are taken. */
static void test_create_same_file(void **state)
{
	struct api_fixture *f = *state;
	char path[128];
	const struct fx_bad cases[] = {
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/./s\"}",
		  "/./s` is the same file as the snapshot_path `" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"vm.snap\", \"mem_file_path\": \"./vm.snap\"}",
		  "invalid value for field `mem_file_path`: `./vm.snap` is the same file as the "
		  "snapshot_path `vm.snap`" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/d/s\", \"mem_file_path\": \"@/d/../d/s\"}",
		  "/d/../d/s` is the same file as the snapshot_path `" },
		/* Through a symbolic link to the directory. */
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/d/s\", \"mem_file_path\": \"@/dl/s\"}",
		  "/dl/s` is the same file as the snapshot_path `" },
		/* An existing file: a symbolic link to it, either way, or a
		 * hard link. */
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/file\", \"mem_file_path\": \"@/sym\"}",
		  "/sym` is the same file as the snapshot_path `" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/sym\", \"mem_file_path\": \"@/file\"}",
		  "/file` is the same file as the snapshot_path `" },
		{ "PUT", "/snapshot/create",
		  "{\"snapshot_path\": \"@/file\", \"mem_file_path\": \"@/hard\"}",
		  "/hard` is the same file as the snapshot_path `" },
	};

	fx_boot(f);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"), 204);
	snprintf(path, sizeof(path), "%s/d", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	make_link(f, symlink, "d", "dl");
	snprintf(path, sizeof(path), "%s/file", f->dir);
	fclose(fopen(path, "w"));
	make_link(f, symlink, "file", "sym");
	make_link(f, link, "file", "hard");
	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(f->fake.snapshot_creates, 0);
	assert_int_equal(api_get_state(f->api), API_PAUSED);

	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create",
				   "{\"snapshot_path\": \"@/d/s\", \"mem_file_path\": \"@/d/m\"}"),
			 204);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create",
				   "{\"snapshot_path\": \"@/d/s\", \"mem_file_path\": \"@/s\"}"),
			 204);
	assert_int_equal(f->fake.snapshot_creates, 2);
}

/* A fresh process's load of the last snapshot, with more of the body
 * (a vsock_override), or none: the status. */
static int load_again(struct api_fixture *f, const char *more)
{
	char body[256];

	fresh_api(f);
	snprintf(body, sizeof(body), "{\"snapshot_path\": \"@/vm.snap\", "
		 "\"mem_file_path\": \"@/vm.mem\"%s}", more);
	return fx_req_at(f, "PUT", "/snapshot/load", body);
}

/* The restored vsock's socket, as GET /vm/config shows it. */
static void assert_vsock_uds(struct api_fixture *f, const char *name)
{
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *v = fx_json(f), *vs = json_object_get(v, "vsock");
	const char *uds = json_string_value(json_object_get(vs, "uds_path"));

	assert_int_equal(json_integer_value(json_object_get(vs, "guest_cid")), 3);
	assert_non_null(uds);
	assert_string_equal(strrchr(uds, '/') + 1, name);
	json_decref(v);
}

/* A microVM with a vsock: the snapshot records the device (its
 * connections are host sockets no snapshot holds: the restored card
 * resets them), and a load binds its socket again, or another one
 * (Firecracker's vsock_override), which must not exist yet. */
static void test_vsock_round_trip(void **state)
{
	struct api_fixture *f = *state;
	char path[128];

	fx_configure(f);
	assert_int_equal(fx_req_at(f, "PUT", "/vsock",
				   "{\"guest_cid\": 3, \"uds_path\": \"@/v.sock\"}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	snapshot_paused(f);
	assert_non_null(strstr(f->fake.snap_config, "\"vsock\":{\"guest_cid\":3,"));

	assert_int_equal(load_again(f, ""), 204);
	assert_vsock_uds(f, "v.sock");
	/* The old process's socket is still there: refused, as
	 * Firecracker's bind fails, and nothing loaded. */
	snprintf(path, sizeof(path), "%s/v.sock", f->dir);
	fclose(fopen(path, "w"));
	int loads = f->fake.snapshot_loads;
	assert_int_equal(load_again(f, ""), 400);
	fx_assert_fault(f, "Address in use");
	assert_int_equal(f->fake.snapshot_loads, loads);
	assert_int_equal(api_get_state(f->api), API_NOT_STARTED);
	/* Elsewhere: the recorded path does not matter any more. */
	assert_int_equal(load_again(f, ", \"vsock_override\": {\"uds_path\": \"@/w.sock\"}"),
			 204);
	assert_vsock_uds(f, "w.sock");
	assert_int_equal(load_again(f, ", \"vsock_override\": {\"uds_path\": \"@/v.sock\"}"),
			 400);
	fx_assert_fault(f, "Address in use");
	unlink(path);
}

/* Firecracker 1.16's clock_realtime: off unless asked, a boolean. */
static void test_load_clock_realtime(void **state)
{
	struct api_fixture *f = *state;

	fx_boot(f);
	snapshot_paused(f);
	assert_int_equal(load_again(f, ""), 204);
	assert_false(f->fake.load_clock_realtime);
	assert_int_equal(load_again(f, ", \"clock_realtime\": true"), 204);
	assert_true(f->fake.load_clock_realtime);
	assert_int_equal(load_again(f, ", \"clock_realtime\": 1"), 400);
	fx_assert_fault(f, "clock_realtime");
}

/* vsock_override of a snapshot without one: refused, named; a snapshot
 * without one records none. */
static void test_vsock_override_without_vsock(void **state)
{
	struct api_fixture *f = *state;

	fx_boot(f);
	snapshot_paused(f);
	assert_null(strstr(f->fake.snap_config, "vsock"));
	assert_int_equal(load_again(f, ", \"vsock_override\": {\"uds_path\": \"@/w.sock\"}"),
			 400);
	fx_assert_fault(f, "vsock_override: the snapshot has no vsock device");
	assert_int_equal(load_again(f, ""), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *v = fx_json(f);
	assert_true(json_is_null(json_object_get(v, "vsock")));
	json_decref(v);
}

static void test_load_bodies(void **state)
{
	struct api_fixture *f = *state;
	const struct fx_bad cases[] = {
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\"}",
		  "missing field: either `mem_backend` or `mem_file_path` is required" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"@/m\"}}",
		  "too many fields: either `mem_backend` or `mem_file_path` exclusively is required" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", "
		  "\"mem_backend\": {\"backend_type\": \"Disk\", \"backend_path\": \"@/m\"}}",
		  "unknown variant `Disk` for field `mem_backend.backend_type`" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"network_overrides\": [{\"iface_id\": \"net1\", \"host_dev_name\": \"a/b\"}]}",
		  "network_overrides[0].host_dev_name" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"resume_vm\": \"yes\"}", "resume_vm" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"vsock_override\": {}}", "missing field `vsock_override.uds_path`" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"vsock_override\": {\"uds_path\": 7}}", "vsock_override.uds_path" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"vsock_override\": {\"uds_path\": \"@/d/\"}}",
		  "invalid value for field `vsock_override.uds_path`" },
		{ "PUT", "/snapshot/load", "{\"snapshot_path\": \"@/s\", \"mem_file_path\": \"@/m\", "
		  "\"vsock_override\": {\"uds_path\": \"@/v\", \"cid\": 4}}", "`vsock_override.cid`" },
	};

	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(f->fake.snapshot_loads, 0);
}

/* Create, then load into a new process: the machine is the snapshot's,
 * with the TAP overridden, paused; then resumed. */
static void test_round_trip(void **state)
{
	struct api_fixture *f = *state;
	json_t *before, *after;

	fx_boot(f);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	before = fx_json(f);
	snapshot_paused(f);

	fresh_api(f);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load",
				   "{\"snapshot_path\": \"@/vm.snap\", \"mem_backend\": "
				   "{\"backend_type\": \"File\", \"backend_path\": \"@/vm.mem\"}, "
				   "\"network_overrides\": [{\"iface_id\": \"net1\", "
				   "\"host_dev_name\": \"tap7\"}]}"), 204);
	assert_int_equal(f->fake.snapshot_loads, 1);
	assert_false(f->fake.load_resume);
	assert_true(fx_started(f));
	assert_int_equal(api_get_state(f->api), API_PAUSED);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	after = fx_json(f);
	json_object_set_new(json_array_get(json_object_get(before, "network-interfaces"), 0),
			    "host_dev_name", json_string("tap7"));
	assert_true(json_equal(json_object_get(before, "drives"), json_object_get(after, "drives")));
	assert_true(json_equal(json_object_get(before, "machine-config"),
			       json_object_get(after, "machine-config")));
	assert_true(json_equal(json_object_get(before, "network-interfaces"),
			       json_object_get(after, "network-interfaces")));
	assert_true(json_equal(json_object_get(before, "boot-source"),
			       json_object_get(after, "boot-source")));
	json_decref(before);
	json_decref(after);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Resumed\"}"), 204);
	/* Once loaded, a second load is a post-boot request. */
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load",
				   "{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\"}"),
			 400);
	fx_assert_fault(f, "not supported after starting the microVM");

	/* An override naming no interface of the snapshot; resume_vm. */
	fresh_api(f);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load",
				   "{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\", "
				   "\"network_overrides\": [{\"iface_id\": \"eth9\", "
				   "\"host_dev_name\": \"tap7\"}]}"), 400);
	fx_assert_fault(f, "network_overrides[0]: ");
	fx_assert_fault(f, "has no network interface `eth9`");
	assert_int_equal(api_get_state(f->api), API_NOT_STARTED);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load",
				   "{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\", "
				   "\"resume_vm\": true}"), 204);
	assert_true(f->fake.load_resume);
	assert_int_equal(api_get_state(f->api), API_RUNNING);
}

/* A snapshot of a VM without the device records no section key at all
 * (what older snapshots hold); then a fresh API, configured as
 * fx_configure does, for the VM with the device. */
static void without_section(struct api_fixture *f, const char *key)
{
	fx_boot(f);
	snapshot_paused(f);
	assert_null(strstr(f->fake.snap_config, key));
	fresh_api(f);
	fx_configure(f);
}

/* The entropy device and its limits come back with the snapshot; a
 * snapshot without one records no entropy section at all (what older
 * azotes wrote and read). */
static void test_entropy_round_trip(void **state)
{
	struct api_fixture *f = *state;
	json_t *v;

	without_section(f, "entropy");
	assert_int_equal(fx_req(f, "PUT", "/entropy", "{\"rate_limiter\": {\"ops\": "
				"{\"size\": 10, \"refill_time\": 1000}}}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	snapshot_paused(f);
	assert_int_equal(load_again(f, ""), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
		json_object_get(v, "entropy"), "rate_limiter"), "ops"), "size")), 10);
	json_decref(v);
}

/* The pmem devices come back in order, with their options and limits as
 * last set (a PATCH after boot too); a snapshot without one records no
 * pmem section. */
static void test_pmem_round_trip(void **state)
{
	struct api_fixture *f = *state;
	json_t *v, *list;

	without_section(f, "pmem");
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/a", "{\"id\": \"a\", \"path_on_host\": "
				   "\"@/pmem.img\"}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/b", "{\"id\": \"b\", \"path_on_host\": "
				   "\"@/ro.img\", \"read_only\": true}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req(f, "PATCH", "/pmem/a", "{\"id\": \"a\", \"rate_limiter\": "
				"{\"ops\": {\"size\": 7, \"refill_time\": 1000}}}"), 204);
	snapshot_paused(f);
	assert_int_equal(load_again(f, ""), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	list = json_object_get(v, "pmem");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "a");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
		json_array_get(list, 0), "rate_limiter"), "ops"), "size")), 7);
	assert_true(json_is_true(json_object_get(json_array_get(list, 1), "read_only")));
	json_decref(v);
}

/* The balloon comes back with its options and its target as last set (a
 * PATCH after boot is in the configuration the snapshot records), so the
 * restored VM gets its balloon card back the same; a snapshot without one
 * records no balloon section; a recorded target too large for the
 * recorded memory is refused as a PUT's would be. */
static void test_balloon_round_trip(void **state)
{
	struct api_fixture *f = *state;
	json_t *v, *b;

	without_section(f, "balloon");
	assert_int_equal(fx_req(f, "PUT", "/balloon", "{\"amount_mib\": 64, \"deflate_on_oom\": "
				"true, \"stats_polling_interval_s\": 3, "
				"\"free_page_reporting\": true}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req(f, "PATCH", "/balloon", "{\"amount_mib\": 200}"), 204);
	assert_int_equal(fx_req(f, "PATCH", "/balloon/statistics",
				"{\"stats_polling_interval_s\": 9}"), 204);
	snapshot_paused(f);
	assert_int_equal(load_again(f, ""), 204);
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_integer_value(json_object_get(v, "amount_mib")), 200);
	assert_true(json_is_true(json_object_get(v, "deflate_on_oom")));
	assert_int_equal(json_integer_value(json_object_get(v, "stats_polling_interval_s")), 9);
	assert_true(json_is_true(json_object_get(v, "free_page_reporting")));
	json_decref(v);
	/* And recorded again by the next snapshot. */
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Resumed\"}"), 204);
	snapshot_paused(f);
	v = json_loads(f->fake.snap_config, 0, NULL);
	b = json_object_get(v, "balloon");
	assert_int_equal(json_integer_value(json_object_get(b, "amount_mib")), 200);
	json_decref(v);

	/* A configuration whose balloon does not fit its memory. */
	v = json_loads(f->fake.snap_config, 0, NULL);
	json_object_set_new(json_object_get(v, "balloon"), "amount_mib", json_integer(257));
	char *s = json_dumps(v, JSON_COMPACT);
	snprintf(f->fake.snap_config, sizeof(f->fake.snap_config), "%s", s);
	free(s);
	json_decref(v);
	assert_int_equal(load_again(f, ""), 400);
	fx_assert_fault(f, "balloon: Balloon config error: Amount of pages requested is too "
			"large. (balloon.amount_mib: 257 MiB is more than the guest's 256 MiB)");
}

/* A fresh process's load of the recorded configuration with
 * azote.drives[0].uring set to mode, as a snapshot of a VM started with
 * --drive ...,uring=MODE records it: the load's status. */
static int load_with_uring(struct api_fixture *f, const char *mode)
{
	json_t *c = json_loads(f->fake.snap_config, 0, NULL);
	json_t *d = json_array_get(json_object_get(json_object_get(c, "azote"), "drives"), 0);
	char *s;

	assert_non_null(d);
	json_object_set_new(d, "uring", json_string(mode));
	s = json_dumps(c, JSON_COMPACT);
	assert_non_null(s);
	snprintf(f->fake.snap_config, sizeof(f->fake.snap_config), "%s", s);
	free(s);
	json_decref(c);
	return load_again(f, "");
}

/* What only azote's command line sets comes back with the snapshot: a
 * drive's io_uring mode, recorded again by the next snapshot; an unknown
 * mode is refused by name. */
static void test_azote_extras(void **state)
{
	struct api_fixture *f = *state;

	fx_boot(f);
	snapshot_paused(f);
	assert_null(strstr(f->fake.snap_config, "uring"));
	assert_int_equal(load_with_uring(f, "defer-taskrun"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 204);
	assert_non_null(strstr(f->fake.snap_config, "\"uring\":\"defer-taskrun\""));
	assert_int_equal(load_with_uring(f, "fast"), 400);
	fx_assert_fault(f, "azote.drives[0].uring `fast`: expected default, single-issuer or "
			"defer-taskrun");
}

/* A recorded configuration of API_SNAPSHOT_CONFIG_MAX bytes still parses
 * (a real one, padded with the whitespace JSON allows); one byte more is
 * refused by its size, before jansson spends ~80 bytes a byte on it. */
static void test_config_size_cap(void **state)
{
	struct api_fixture *f = *state;
	size_t len;
	char *buf;
	struct vm_config cfg;
	struct azerr e;

	fx_boot(f);
	snapshot_paused(f);
	len = strlen(f->fake.snap_config);
	buf = malloc(API_SNAPSHOT_CONFIG_MAX + 1);
	assert_non_null(buf);
	memcpy(buf, f->fake.snap_config, len);
	memset(buf + len, ' ', API_SNAPSHOT_CONFIG_MAX + 1 - len);

	vm_config_init(&cfg);
	assert_int_equal(api_snapshot_config_parse(buf, API_SNAPSHOT_CONFIG_MAX, "vm.snap", NULL,
						   &cfg, &e), 0);
	assert_int_equal(cfg.nr_drives, 1);
	vm_config_free(&cfg);

	vm_config_init(&cfg);
	assert_int_equal(api_snapshot_config_parse(buf, API_SNAPSHOT_CONFIG_MAX + 1, "vm.snap",
						   NULL, &cfg, &e), -1);
	assert_string_equal(e.msg, "vm.snap: its configuration is 1048577 bytes, "
			    "at most 1048576");
	vm_config_free(&cfg);
	free(buf);
}

/* Firecracker takes a load only in a fresh process: the logger and
 * metrics may be set first, nothing else. */
static void test_load_after_config(void **state)
{
	struct api_fixture *f = *state;
	static const char load[] =
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\"}";

	fx_boot(f);
	snapshot_paused(f);
	fresh_api(f);
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 128}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load", load), 400);
	fx_assert_fault(f, LOAD_AFTER_CONFIG);
	fresh_api(f);
	assert_int_equal(fx_req_at(f, "PUT", "/logger", "{\"log_path\": \"@/log\"}"), 204);
	/* The serial console is the process's too, and the load's machine
	 * takes it, as Firecracker's. */
	assert_int_equal(fx_req(f, "PUT", "/serial", "{\"serial_out_path\": \"/run/c.log\", "
				"\"rate_limiter\": {\"size\": 64, \"refill_time\": 10}}"), 204);
	/* The VMM's failure (a damaged file) leaves the process fresh. */
	f->fake.fail_next = "vm.snap: checksum mismatch";
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load", load), 400);
	fx_assert_fault(f, "Failed to restore from snapshot: vm.snap: checksum mismatch");
	assert_int_equal(api_get_state(f->api), API_NOT_STARTED);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load", load), 204);
	assert_string_equal(f->fake.serial_out, "/run/c.log");
	assert_true(f->fake.serial_limited);
	assert_int_equal(f->fake.serial_limit.size, 64);
	assert_int_equal(f->fake.serial_limit.refill_time_ms, 10);
	/* The logger stays the process's. */
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *cfg = fx_json(f);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(cfg, "logger"),
								 "log_path")), "/log"));
	json_decref(cfg);
}

/* Booted with track_dirty_pages, then paused. */
static void boot_tracking_paused(struct api_fixture *f)
{
	fx_configure(f);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{\"track_dirty_pages\": true}"),
			 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"), 204);
}

/* Diff snapshots need dirty page tracking: Firecracker's refusal
 * without it (before 1.13); with it, the type reaches the VMM. */
static void test_diff(void **state)
{
	struct api_fixture *f = *state;
	static const char diff[] =
		"{\"snapshot_type\": \"Diff\", \"snapshot_path\": \"@/vm.snap\", "
		"\"mem_file_path\": \"@/vm.diff\"}";

	fx_boot(f);
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", diff), 400);
	fx_assert_fault(f, "The requested operation is not supported: Diff snapshots are not "
			"allowed on uVMs with dirty page tracking disabled.");
	assert_int_equal(f->fake.snapshot_creates, 0);
	assert_int_equal(api_get_state(f->api), API_PAUSED);

	fresh_api(f);
	boot_tracking_paused(f);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", diff), 204);
	assert_int_equal(f->fake.snapshot_creates, 1);
	assert_int_equal(f->fake.snap_type, SNAPSHOT_DIFF);
	assert_non_null(strstr(f->fake.mem_path, "/vm.diff"));
	assert_non_null(strstr(f->fake.snap_config, "\"track_dirty_pages\":true"));
}

/* Firecracker's two memory backends reach the VMM as they were asked
 * for: the File backend's path as mem_file_path's, the Uffd backend's as
 * the socket of a page-fault handler. */
static void test_load_backends(void **state)
{
	struct api_fixture *f = *state;
	static const char *const loads[] = {
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\"}",
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_backend\": "
		"{\"backend_type\": \"File\", \"backend_path\": \"@/vm.mem\"}}",
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_backend\": "
		"{\"backend_type\": \"Uffd\", \"backend_path\": \"@/uffd.sock\"}}",
	};
	static const char *const paths[] = { "/vm.mem", "/vm.mem", "/uffd.sock" };
	static const bool uffd[] = { false, false, true };

	boot_tracking_paused(f);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 204);
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		fresh_api(f);
		assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load", loads[i]), 204);
		assert_non_null(strstr(f->fake.mem_path, paths[i]));
		assert_int_equal(f->fake.load_uffd, uffd[i]);
	}
}

/* machine-config.track_dirty_pages of the loaded VM. */
static bool loaded_tracks(struct api_fixture *f)
{
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *cfg = fx_json(f);
	json_t *t = json_object_get(json_object_get(cfg, "machine-config"), "track_dirty_pages");
	assert_true(json_is_boolean(t));
	bool on = json_is_true(t);
	json_decref(cfg);
	return on;
}

/* As Firecracker: a loaded VM tracks dirty pages only when the load asks
 * (track_dirty_pages, or its deprecated alias enable_diff_snapshots),
 * whatever the snapshotted machine did. */
static void test_load_tracking(void **state)
{
	struct api_fixture *f = *state;
	static const char *const loads[] = {
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\"}",
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\", "
		"\"track_dirty_pages\": true}",
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\", "
		"\"enable_diff_snapshots\": true}",
		"{\"snapshot_path\": \"@/vm.snap\", \"mem_file_path\": \"@/vm.mem\", "
		"\"enable_diff_snapshots\": false, \"track_dirty_pages\": false}",
	};
	static const bool tracks[] = { false, true, true, false };

	boot_tracking_paused(f);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create", create_body), 204);
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		fresh_api(f);
		assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load", loads[i]), 204);
		assert_int_equal(loaded_tracks(f), tracks[i]);
	}
	/* --restore has no such option: the snapshot's machine as recorded. */
	fresh_api(f);
	struct azerr e;
	char snap[512], mem[512];
	snprintf(snap, sizeof(snap), "%s", fx_path(f, "vm.snap"));
	snprintf(mem, sizeof(mem), "%s", fx_path(f, "vm.mem"));
	assert_int_equal(api_snapshot_load(f->api, snap, mem, true, &e), 0);
	assert_true(loaded_tracks(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_states, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_create_same_file, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_vsock_round_trip, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_vsock_override_without_vsock,
						api_fixture_setup, api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_clock_realtime, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_bodies, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_after_config, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_config_size_cap, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_azote_extras, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pmem_round_trip, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_entropy_round_trip, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_balloon_round_trip, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_diff, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_backends, api_fixture_setup,
						api_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_tracking, api_fixture_setup,
						api_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
