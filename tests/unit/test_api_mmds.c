/* The API's MMDS (src/api/op_mmds.c, res_mmds.c): PUT /mmds/config, PUT,
 * PATCH and GET /mmds before and after boot, with Firecracker's statuses
 * and messages; GET /vm/config; snapshots; what the VMM is handed after
 * boot (the config file's mmds-config: test_api_config.c). Through api_handle with the fake VMM. */
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

#define NOT_INIT "MMDS error: The MMDS data store is not initialized."

/* Two interfaces, net1 (fx_configure's) and net2. */
static void configure_two(struct api_fixture *f)
{
	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/net2",
				"{\"iface_id\": \"net2\", \"host_dev_name\": \"tap1\"}"), 204);
}

static void assert_body(struct api_fixture *f, int status, const char *body)
{
	assert_int_equal(f->r.status, status);
	assert_string_equal(f->r.body, body);
}

/* method (PUT or PATCH) /mmds with body succeeds, and GET /mmds then
 * reads want. */
static void change(struct api_fixture *f, const char *method, const char *body,
		   const char *want)
{
	assert_int_equal(fx_req(f, method, "/mmds", body), 204);
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, want);
}

static void test_config(void **state)
{
	F;

	configure_two(f);
	assert_int_equal(fx_req(f, "PUT", "/mmds/config",
				"{\"network_interfaces\": [\"net2\"], \"version\": \"V2\", "
				"\"ipv4_address\": \"169.254.170.2\", \"imds_compat\": true}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *v = fx_json(f), *m = json_object_get(v, "mmds-config");
	char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"imds_compat\":true,\"ipv4_address\":\"169.254.170.2\","
			    "\"network_interfaces\":[\"net2\"],\"version\":\"V2\"}");
	free(s);
	json_decref(v);
	/* Defaults: V1 at 169.254.169.254; the list replaces the last. */
	assert_int_equal(fx_req(f, "PUT", "/mmds/config",
				"{\"network_interfaces\": [\"net1\", \"net2\"]}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	m = json_object_get(v, "mmds-config");
	s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"imds_compat\":false,\"ipv4_address\":\"169.254.169.254\","
			    "\"network_interfaces\":[\"net1\",\"net2\"],\"version\":\"V1\"}");
	free(s);
	json_decref(v);
	/* A new PUT of an interface is a new device, without MMDS (as
	 * Firecracker's); with none left, GET /vm/config shows null. */
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/net1",
				"{\"iface_id\": \"net1\", \"host_dev_name\": \"tap0\"}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/net2",
				"{\"iface_id\": \"net2\", \"host_dev_name\": \"tap1\"}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_true(json_is_null(json_object_get(v, "mmds-config")));
	json_decref(v);
}

static void test_config_errors(void **state)
{
	F;
	static const struct fx_bad bad[] = {
		{ "PUT", "/mmds/config", "{\"version\": \"V2\"}",
		  "missing field `network_interfaces`" },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [], \"version\": \"V3\"}",
		  "unknown variant `V3`" },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [], \"x\": 1}",
		  "unknown field `x`" },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [1]}",
		  "`network_interfaces[0]`: expected a string" },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [], \"ipv4_address\": \"\"}",
		  "`ipv4_address`: `` is not an IPv4 address" },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [], "
		  "\"ipv4_address\": \"169.254.169.0254\"}", "is not an IPv4 address" },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [\"net1\"], "
		  "\"ipv4_address\": \"10.0.0.1\"}",
		  "MMMDS config error: The MMDS IPv4 address is not link local." },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [\"net1\"], "
		  "\"ipv4_address\": \"169.254.0.1\"}", "is not link local." },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [\"net1\"], "
		  "\"ipv4_address\": \"169.254.255.1\"}", "is not link local." },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": []}",
		  "MMMDS config error: The list of network interface IDs that allow "
		  "forwarding MMDS requests is empty." },
		{ "PUT", "/mmds/config", "{\"network_interfaces\": [\"net1\", \"eth9\"]}",
		  "MMMDS config error: The list of network interface IDs provided contains "
		  "at least one ID that does not correspond to any existing network "
		  "interface." },
		{ "PUT", "/mmds/other", "{}", "Invalid request method and/or path" },
	};

	fx_configure(f);
	FX_EXPECT_FAULTS(f, bad);
	/* Nothing was kept from the refused ones. */
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *v = fx_json(f);
	assert_true(json_is_null(json_object_get(v, "mmds-config")));
	json_decref(v);
	/* Before boot only. */
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req(f, "PUT", "/mmds/config",
				"{\"network_interfaces\": [\"net1\"]}"), 400);
	fx_assert_fault(f, "The requested operation is not supported after starting the "
			"microVM.");
}

/* Before boot the data store is there whenever asked for. */
static void test_data_before_boot(void **state)
{
	F;

	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{}");
	assert_int_equal(fx_req(f, "PATCH", "/mmds", "{\"a\": 1}"), 400);
	fx_assert_fault(f, NOT_INIT);
	/* serde_json's order and spacing: keys sorted, nothing between. */
	change(f, "PUT", "{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-1\", "
	       "\"reservation-id\": \"r-1\"}}, \"b\": [1, 2]}",
	       "{\"b\":[1,2],\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1\","
	       "\"reservation-id\":\"r-1\"}}}");
	/* RFC 7396: objects merge, null removes, anything else replaces. */
	change(f, "PATCH", "{\"latest\": {\"meta-data\": {\"ami-id\": null, \"n\": {\"x\": "
	       "null, \"y\": 2}}}, \"b\": {\"c\": true}, \"gone\": null}",
	       "{\"b\":{\"c\":true},\"latest\":{\"meta-data\":{\"n\":{\"y\":2},"
	       "\"reservation-id\":\"r-1\"}}}");
	/* Any JSON value, as serde_json's Value; null reads back as {}. */
	change(f, "PUT", "\"text\"", "\"text\"");
	change(f, "PATCH", "{\"k\": \"v\"}", "{\"k\":\"v\"}");
	change(f, "PUT", "null", "{}");
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"a\": "), 400);
	fx_assert_fault(f, "An error occurred when deserializing the json body of a request");
	assert_int_equal(f->fake.mmds_updates, 0);
}

/* --metadata: the file's document as a PUT before boot; what is not JSON
 * (Firecracker panics on it) or too large is refused, naming the file. */
static void test_metadata_file(void **state)
{
	F;
	struct azerr e;
	const char *path = fx_path(f, "meta.json");
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs("{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-9\"}}}\n", fp);
	fclose(fp);
	assert_int_equal(api_mmds_load_file(f->api, path, &e), 0);
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-9\"}}}");
	fp = fopen(path, "w");
	fputs("{\"latest\": ", fp);
	fclose(fp);
	assert_int_equal(api_mmds_load_file(f->api, path, &e), -1);
	assert_non_null(strstr(e.msg, "meta.json: MMDS error: metadata provided not valid json"));
	fp = fopen(path, "w");
	fprintf(fp, "{\"k\": \"%060d\"}", 0);
	fclose(fp);
	api_free(f->api);
	struct api_params p = { .ops = &fake_vmm_ops, .ctx = &f->fake, .metrics = &f->metrics,
				.mmds_size_limit = 32 };
	f->api = api_new(&p, NULL, &e);
	assert_non_null(f->api);
	assert_int_equal(api_mmds_load_file(f->api, path, &e), -1);
	assert_non_null(strstr(e.msg, "MMDS limit exceeded error"));
	assert_int_equal(api_mmds_load_file(f->api, fx_path(f, "none.json"), &e), -1);
	assert_non_null(strstr(e.msg, "none.json"));
}

/* The limit counts the compact serialization, and refuses with 413. */
static void test_limit(void **state)
{
	F;
	struct api_params p = {
		.ops = &fake_vmm_ops, .ctx = &f->fake, .metrics = &f->metrics,
		.mmds_size_limit = 20,
	};
	struct api *keep = f->api;
	struct azerr e;

	f->api = api_new(&p, NULL, &e);
	assert_non_null(f->api);
	/* {"k":"0123456789ab"} is 20 bytes: fits; spaces do not count. */
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{ \"k\" : \"0123456789ab\" }"), 204);
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"k\":\"0123456789abc\"}"), 413);
	assert_non_null(strstr(f->r.body, "MMDS limit exceeded error: The MMDS patch request "
			       "doesn't fit."));
	assert_int_equal(fx_req(f, "PATCH", "/mmds", "{\"j\": 1}"), 413);
	/* Refused changes leave the document as it was. */
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{\"k\":\"0123456789ab\"}");
	api_free(f->api);
	f->api = keep;
	/* Without one: Firecracker's default, the body limit's 51200. */
	char *big = malloc(51200 + 64);
	assert_non_null(big);
	int n = sprintf(big, "{\"k\":\"");
	memset(big + n, 'x', 51200 - n - 2);
	strcpy(big + 51200 - 2, "\"}");
	assert_int_equal(fx_req(f, "PUT", "/mmds", big), 204);
	assert_int_equal(fx_req(f, "PATCH", "/mmds", "{\"a\": 1}"), 413);
	free(big);
}

/* After boot: only through interfaces that answer MMDS, and each change
 * goes to the VMM (the cards) before it is kept. */
static void test_after_boot(void **state)
{
	F;

	configure_two(f);
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"a\": 1}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/mmds/config",
				"{\"network_interfaces\": [\"net2\"], \"version\": \"V2\"}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(f->fake.mmds_updates, 0);
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{\"a\":1}");
	assert_int_equal(fx_req(f, "PATCH", "/mmds", "{\"b\": {\"c\": \"d\"}}"), 204);
	assert_int_equal(f->fake.mmds_updates, 1);
	assert_string_equal(f->fake.mmds_json, "{\"a\":1,\"b\":{\"c\":\"d\"}}");
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"x\": []}"), 204);
	assert_int_equal(f->fake.mmds_updates, 2);
	assert_string_equal(f->fake.mmds_json, "{\"x\":[]}");
	/* A card that refuses: the document stays the old one. */
	f->fake.fail_next = "net2: the card refused: no";
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"y\": 2}"), 400);
	fx_assert_fault(f, "net2: the card refused: no");
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{\"x\":[]}");
}

static void test_after_boot_without_config(void **state)
{
	F;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"a\": 1}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}"),
			 204);
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 400);
	fx_assert_fault(f, NOT_INIT);
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"a\": 2}"), 400);
	fx_assert_fault(f, NOT_INIT);
	assert_int_equal(fx_req(f, "PATCH", "/mmds", "{\"a\": 2}"), 400);
	fx_assert_fault(f, NOT_INIT);
	assert_int_equal(f->fake.mmds_updates, 0);
}

/* Configured but never given data: GET answers {}, PATCH has nothing to
 * patch. */
static void test_after_boot_without_data(void **state)
{
	F;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/mmds/config",
				"{\"network_interfaces\": [\"net1\"]}"), 204);
	fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}");
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{}");
	assert_int_equal(fx_req(f, "PATCH", "/mmds", "{\"a\": 2}"), 400);
	fx_assert_fault(f, NOT_INIT);
}

/* A snapshot keeps the settings and not the document (Firecracker's
 * "Snapshotting considerations"): the restored VM answers MMDS with {}. */
static void test_snapshot(void **state)
{
	F;
	struct api_params p = { .ops = &fake_vmm_ops, .ctx = &f->fake, .metrics = &f->metrics };
	struct azerr e;

	configure_two(f);
	assert_int_equal(fx_req(f, "PUT", "/mmds/config",
				"{\"network_interfaces\": [\"net2\"], \"version\": \"V2\", "
				"\"ipv4_address\": \"169.254.1.1\"}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"secret\": \"s\"}"), 204);
	fx_req(f, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}");
	assert_int_equal(fx_req(f, "PATCH", "/vm", "{\"state\": \"Paused\"}"), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/create",
				   "{\"snapshot_type\": \"Full\", \"snapshot_path\": \"@/vm.snap\", "
				   "\"mem_file_path\": \"@/vm.mem\"}"), 204);
	assert_null(strstr(f->fake.snap_config, "secret"));
	api_free(f->api);
	f->api = api_new(&p, NULL, &e);
	assert_non_null(f->api);
	assert_int_equal(fx_req_at(f, "PUT", "/snapshot/load",
				   "{\"snapshot_path\": \"@/vm.snap\", "
				   "\"mem_file_path\": \"@/vm.mem\"}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	json_t *v = fx_json(f);
	char *m = json_dumps(json_object_get(v, "mmds-config"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(m, "{\"imds_compat\":false,\"ipv4_address\":\"169.254.1.1\","
			    "\"network_interfaces\":[\"net2\"],\"version\":\"V2\"}");
	free(m);
	json_decref(v);
	assert_int_equal(fx_req(f, "GET", "/mmds", NULL), 200);
	assert_body(f, 200, "{}");
	assert_int_equal(fx_req(f, "PUT", "/mmds", "{\"new\": 1}"), 204);
	assert_string_equal(f->fake.mmds_json, "{\"new\":1}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, api_fixture_teardown)
		T(test_config),
		T(test_config_errors),
		T(test_data_before_boot),
		T(test_metadata_file),
		T(test_limit),
		T(test_after_boot),
		T(test_after_boot_without_config),
		T(test_after_boot_without_data),
		T(test_snapshot),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
