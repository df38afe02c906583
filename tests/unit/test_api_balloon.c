/* Firecracker's balloon through the API (src/api/op_balloon.c,
 * res_balloon.c): PUT /balloon's body and checks before boot, GET /balloon
 * and GET /vm/config's "balloon", PATCH /balloon and /balloon/statistics
 * after boot through the VMM, GET /balloon/statistics from what the VMM
 * reads, the refusals in each state with Firecracker's texts, and free
 * page hinting refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "test_api_util.h"

#define F struct api_fixture *f = *state

#define BALLOON "{\"amount_mib\": 64, \"deflate_on_oom\": true}"
#define START "{\"action_type\": \"InstanceStart\"}"

static json_int_t int_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* The body's fields one by one, as Firecracker's serde refuses them. */
static void test_put_errors(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PUT", "/balloon", "{\"deflate_on_oom\": true}", "missing field `amount_mib`" },
		{ "PUT", "/balloon", "{\"amount_mib\": 1}", "missing field `deflate_on_oom`" },
		{ "PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, \"x\": 1}",
		  "unknown field `x`" },
		{ "PUT", "/balloon", "{\"amount_mib\": -1, \"deflate_on_oom\": true}",
		  "amount_mib" },
		{ "PUT", "/balloon", "{\"amount_mib\": 4294967296, \"deflate_on_oom\": true}",
		  "amount_mib" },
		{ "PUT", "/balloon", "{\"amount_mib\": \"1\", \"deflate_on_oom\": true}",
		  "amount_mib" },
		{ "PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": 1}",
		  "deflate_on_oom" },
		{ "PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, "
		  "\"stats_polling_interval_s\": 65536}", "stats_polling_interval_s" },
		{ "PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, "
		  "\"free_page_reporting\": \"yes\"}", "free_page_reporting" },
		{ "PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, "
		  "\"free_page_hinting\": 0}", "free_page_hinting" },
		{ "PUT", "/balloon", "[]", "invalid type: an array, expected an object" },
		/* Hinting is Firecracker's developer preview: refused by name. */
		{ "PUT", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true, "
		  "\"free_page_hinting\": true}",
		  "The requested operation is not supported: azote does not implement free "
		  "page hinting (Firecracker's developer preview) (balloon.free_page_hinting: "
		  "true)" },
		/* The default machine has 128 MiB. */
		{ "PUT", "/balloon", "{\"amount_mib\": 129, \"deflate_on_oom\": false}",
		  "Balloon config error: Amount of pages requested is too large. "
		  "(balloon.amount_mib: 129 MiB is more than the guest's 128 MiB)" },
		{ "GET", "/balloon", NULL, "Balloon config error: No balloon device found." },
		{ "GET", "/balloon/other", NULL, "Invalid request method and/or path" },
		{ "PUT", "/balloon/statistics", "{}", "Invalid request method and/or path" },
		{ "GET", "/balloon/statistics/x", NULL, "Invalid request method and/or path" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
	/* Nothing refused was kept. */
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 400);
	/* Exactly the guest's memory is allowed. */
	assert_int_equal(fx_req(f, "PUT", "/balloon",
				"{\"amount_mib\": 128, \"deflate_on_oom\": false, "
				"\"free_page_hinting\": false}"), 204);
}

/* PUT, GET /balloon and GET /vm/config show Firecracker's Balloon; a
 * second PUT replaces the first; the memory may not shrink below it. */
static void test_put_get(void **state)
{
	F;
	json_t *v, *b;

	fx_configure(f);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_true(json_is_null(json_object_get(v, "balloon")));
	json_decref(v);
	assert_int_equal(fx_req(f, "PUT", "/balloon", BALLOON), 204);
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_object_size(v), 5);
	assert_int_equal(int_at(v, "amount_mib"), 64);
	assert_true(json_is_true(json_object_get(v, "deflate_on_oom")));
	assert_int_equal(int_at(v, "stats_polling_interval_s"), 0);
	assert_true(json_is_false(json_object_get(v, "free_page_hinting")));
	assert_true(json_is_false(json_object_get(v, "free_page_reporting")));
	json_decref(v);

	assert_int_equal(fx_req(f, "PUT", "/balloon",
				"{\"amount_mib\": 256, \"deflate_on_oom\": false, "
				"\"stats_polling_interval_s\": 65535, "
				"\"free_page_reporting\": true}"), 204);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	b = json_object_get(v, "balloon");
	assert_int_equal(int_at(b, "amount_mib"), 256);
	assert_true(json_is_false(json_object_get(b, "deflate_on_oom")));
	assert_int_equal(int_at(b, "stats_polling_interval_s"), 65535);
	assert_true(json_is_true(json_object_get(b, "free_page_reporting")));
	json_decref(v);

	/* Firecracker's IncompatibleBalloonSize, PUT and PATCH alike. */
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{\"mem_size_mib\": 255}"), 400);
	fx_assert_fault(f, "The memory size (MiB) is smaller than the previously set balloon "
			"device target size. (balloon.amount_mib: 256 MiB is more than the "
			"guest's 255 MiB)");
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 1, \"mem_size_mib\": 128}"), 400);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{\"mem_size_mib\": 256}"), 204);
	assert_int_equal(fx_req(f, "PATCH", "/machine-config", "{\"mem_size_mib\": 512}"), 204);
}

/* Firecracker's rpc_interface: PUT before boot only; PATCH and the
 * statistics after boot only; GET /balloon in both. */
static void test_states(void **state)
{
	static const struct fx_bad pre[] = {
		{ "PATCH", "/balloon", "{\"amount_mib\": 1}", "not supported before starting" },
		{ "PATCH", "/balloon/statistics", "{\"stats_polling_interval_s\": 1}",
		  "not supported before starting" },
		{ "GET", "/balloon/statistics", NULL, "not supported before starting" },
		/* The body's shape comes first, as Firecracker parses it first. */
		{ "PATCH", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true}",
		  "unknown field `deflate_on_oom`" },
		{ "PATCH", "/balloon", "{}", "missing field `amount_mib`" },
		{ "PATCH", "/balloon/statistics", "{\"stats_polling_interval_s\": 65536}",
		  "stats_polling_interval_s" },
		{ "PATCH", "/balloon", NULL, "Empty PATCH request." },
	};
	static const struct fx_bad post_without[] = {
		{ "PUT", "/balloon", BALLOON, "not supported after starting" },
		{ "GET", "/balloon", NULL,
		  "Internal VMM error: Failed perform action on device: Device not found" },
		{ "GET", "/balloon/statistics", NULL,
		  "Internal VMM error: Failed perform action on device: Device not found" },
		{ "PATCH", "/balloon", "{\"amount_mib\": 1}",
		  "Balloon update error: Failed perform action on device: Device not found" },
		{ "PATCH", "/balloon/statistics", "{\"stats_polling_interval_s\": 1}",
		  "Balloon update error: Failed perform action on device: Device not found" },
	};
	F;

	fx_configure(f);
	FX_EXPECT_FAULTS(f, pre);
	assert_int_equal(fx_req(f, "PUT", "/actions", START), 204);
	FX_EXPECT_FAULTS(f, post_without);
	assert_int_equal(f->fake.balloon_updates + f->fake.balloon_stats_updates +
			 f->fake.balloon_status_reads, 0);
}

/* After boot: the new target through the VMM, checked against the guest's
 * memory; kept for GET /balloon only once the VMM made it. */
static void test_patch_target(void **state)
{
	F;
	json_t *v;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/balloon", BALLOON), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", START), 204);
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 200);
	assert_int_equal(fx_req(f, "PATCH", "/balloon", "{\"amount_mib\": 100}"), 204);
	assert_int_equal(f->fake.balloon_updates, 1);
	assert_int_equal(f->fake.balloon_mib, 100);
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 200);
	v = fx_json(f);
	assert_int_equal(int_at(v, "amount_mib"), 100);
	json_decref(v);
	/* Firecracker's text names the amount asked for; azote's adds both. */
	assert_int_equal(fx_req(f, "PATCH", "/balloon", "{\"amount_mib\": 257}"), 400);
	fx_assert_fault(f, "Balloon update error: Balloon: Requested memory should be less than "
			"257MiB (balloon.amount_mib: 257 MiB is more than the guest's 256 MiB)");
	assert_int_equal(f->fake.balloon_updates, 1);
	/* The VMM refuses: the target stays. */
	f->fake.fail_next = "virtio-balloon balloon0: the back-end is gone";
	assert_int_equal(fx_req(f, "PATCH", "/balloon", "{\"amount_mib\": 0}"), 400);
	fx_assert_fault(f, "the back-end is gone");
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	v = fx_json(f);
	assert_int_equal(int_at(json_object_get(v, "balloon"), "amount_mib"), 100);
	json_decref(v);
	assert_int_equal(fx_req(f, "PATCH", "/balloon", "{\"amount_mib\": 256}"), 204);
	assert_int_equal(f->fake.balloon_mib, 256);
}

/* PATCH /balloon/statistics: the same interval changes nothing; turning
 * statistics on or off is refused; a new interval goes to the VMM. */
static void test_patch_statistics(void **state)
{
	F;
	json_t *v;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/balloon", "{\"amount_mib\": 0, \"deflate_on_oom\": "
				"false, \"stats_polling_interval_s\": 1}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", START), 204);
	assert_int_equal(fx_req(f, "PATCH", "/balloon/statistics",
				"{\"stats_polling_interval_s\": 1}"), 204);
	assert_int_equal(f->fake.balloon_stats_updates, 0);
	assert_int_equal(fx_req(f, "PATCH", "/balloon/statistics",
				"{\"stats_polling_interval_s\": 0}"), 400);
	fx_assert_fault(f, "Balloon update error: Balloon: Statistics cannot be enabled/disabled "
			"after activation. (stats_polling_interval_s: 1 to 0)");
	assert_int_equal(fx_req(f, "PATCH", "/balloon/statistics",
				"{\"stats_polling_interval_s\": 65535}"), 204);
	assert_int_equal(f->fake.balloon_stats_updates, 1);
	assert_int_equal(f->fake.balloon_interval, 65535);
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 200);
	v = fx_json(f);
	assert_int_equal(int_at(v, "stats_polling_interval_s"), 65535);
	json_decref(v);
	f->fake.fail_next = "virtio-balloon balloon0: the card refused: no";
	assert_int_equal(fx_req(f, "PATCH", "/balloon/statistics",
				"{\"stats_polling_interval_s\": 2}"), 400);
	assert_int_equal(fx_req(f, "GET", "/balloon", NULL), 200);
	v = fx_json(f);
	assert_int_equal(int_at(v, "stats_polling_interval_s"), 65535);
	json_decref(v);
}

/* Without statistics, GET and turning them on are refused. */
static void test_statistics_disabled(void **state)
{
	static const struct fx_bad cases[] = {
		{ "GET", "/balloon/statistics", NULL,
		  "Internal VMM error: Balloon: Received stats query when stats are disabled." },
		{ "PATCH", "/balloon/statistics", "{\"stats_polling_interval_s\": 5}",
		  "Statistics cannot be enabled/disabled after activation. "
		  "(stats_polling_interval_s: 0 to 5)" },
	};
	F;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/balloon", BALLOON), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", START), 204);
	FX_EXPECT_FAULTS(f, cases);
	assert_int_equal(f->fake.balloon_status_reads + f->fake.balloon_stats_updates, 0);
}

/* GET /balloon/statistics: the configuration's pages and MiB, and each
 * statistic the guest gave under Firecracker's name, the others left out. */
static void test_statistics(void **state)
{
	static const char *const names[] = {
		"swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
		"total_memory", "available_memory", "disk_caches", "hugetlb_allocations",
		"hugetlb_failures", "oom_kill", "alloc_stall", "async_scan", "direct_scan",
		"async_reclaim", "direct_reclaim",
	};
	F;
	json_t *v;

	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/balloon", "{\"amount_mib\": 100, \"deflate_on_oom\": "
				"false, \"stats_polling_interval_s\": 5}"), 204);
	assert_int_equal(fx_req(f, "PUT", "/actions", START), 204);
	/* Nothing from the guest yet: the four required fields only. */
	f->fake.balloon = (struct balloon_status){ .target_pages = 25600, .actual_pages = 511 };
	assert_int_equal(fx_req(f, "GET", "/balloon/statistics", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_object_size(v), 4);
	assert_int_equal(int_at(v, "target_pages"), 25600);
	assert_int_equal(int_at(v, "actual_pages"), 511);
	assert_int_equal(int_at(v, "target_mib"), 100);
	assert_int_equal(int_at(v, "actual_mib"), 1);
	json_decref(v);
	/* Three statistics seen. */
	f->fake.balloon.stat_seen = 1u << VIRTIO_BALLOON_S_SWAP_IN |
				    1u << VIRTIO_BALLOON_S_MEMFREE |
				    1u << VIRTIO_BALLOON_S_DIRECT_RECLAIM;
	f->fake.balloon.stat[VIRTIO_BALLOON_S_SWAP_IN] = 7;
	f->fake.balloon.stat[VIRTIO_BALLOON_S_MEMFREE] = 1ULL << 40;
	f->fake.balloon.stat[VIRTIO_BALLOON_S_DIRECT_RECLAIM] = 3;
	f->fake.balloon.stat[VIRTIO_BALLOON_S_MEMTOT] = 99;  /* not seen: not shown */
	assert_int_equal(fx_req(f, "GET", "/balloon/statistics", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_object_size(v), 7);
	assert_int_equal(int_at(v, "swap_in"), 7);
	assert_int_equal(int_at(v, "free_memory"), 1LL << 40);
	assert_int_equal(int_at(v, "direct_reclaim"), 3);
	assert_null(json_object_get(v, "total_memory"));
	json_decref(v);
	/* Every tag by its name. */
	f->fake.balloon.stat_seen = (1u << VIRTIO_BALLOON_S_NR) - 1;
	for (unsigned t = 0; t < VIRTIO_BALLOON_S_NR; t++)
		f->fake.balloon.stat[t] = 1000 + t;
	f->fake.balloon.stat[VIRTIO_BALLOON_S_OOM_KILL] = UINT64_MAX;
	assert_int_equal(fx_req(f, "GET", "/balloon/statistics", NULL), 200);
	v = fx_json(f);
	assert_int_equal(json_object_size(v), 4 + VIRTIO_BALLOON_S_NR);
	for (unsigned t = 0; t < VIRTIO_BALLOON_S_NR; t++)
		if (t != VIRTIO_BALLOON_S_OOM_KILL)
			assert_int_equal(int_at(v, names[t]), 1000 + t);
	assert_int_equal(int_at(v, "oom_kill"), INT64_MAX);
	json_decref(v);
	/* The VMM cannot read them. */
	f->fake.fail_next = "virtio-balloon balloon0: no statistics page";
	assert_int_equal(fx_req(f, "GET", "/balloon/statistics", NULL), 400);
	fx_assert_fault(f, "no statistics page");
}

/* Free page hinting: refused by name on every one of its paths, with or
 * without a body, before boot and after. */
static void test_hinting(void **state)
{
	static const struct fx_bad cases[] = {
		{ "PATCH", "/balloon/hinting/start", "{}", "does not implement free page hinting" },
		{ "PATCH", "/balloon/hinting/start", NULL, "does not implement free page hinting" },
		{ "PATCH", "/balloon/hinting/stop", NULL, "(/balloon/hinting/stop)" },
		{ "GET", "/balloon/hinting/status", NULL, "(/balloon/hinting/status)" },
		{ "GET", "/balloon/hinting", NULL, "does not implement free page hinting" },
		{ "PATCH", "/balloon/hintingx", "{}", "Invalid request method and/or path" },
	};
	F;

	FX_EXPECT_FAULTS(f, cases);
	fx_boot(f);
	FX_EXPECT_FAULTS(f, cases);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, api_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_put_errors),
		T(test_put_get),
		T(test_states),
		T(test_patch_target),
		T(test_patch_statistics),
		T(test_statistics_disabled),
		T(test_statistics),
		T(test_hinting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
