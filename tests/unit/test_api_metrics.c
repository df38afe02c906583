/* Unit tests for the metrics writer (src/api/metrics.c) and for PUT
 * /logger and PUT /metrics (src/api/sinks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/sandbox.h"
#include "test_api_util.h"

#define F struct api_fixture *f = *state

/* Line n (from 0) of a file, parsed; NULL when there is no such line. */
static json_t *json_line(const char *path, int n)
{
	char line[8192];
	json_t *v = NULL;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	for (int i = 0; i <= n; i++)
		if (!fgets(line, sizeof(line), fp))
			goto out;
	assert_int_equal(line[strlen(line) - 1], '\n');
	v = json_loads(line, 0, NULL);
	assert_non_null(v);
out:
	fclose(fp);
	return v;
}

static long long get(json_t *v, const char *group, const char *name)
{
	json_t *g = json_object_get(v, group);

	assert_non_null(g);
	assert_non_null(json_object_get(g, name));
	return json_integer_value(json_object_get(g, name));
}

/* Each line holds what happened since the one before (Firecracker's
 * deltas), per device and summed. */
static void test_metrics_lines(void **state)
{
	F;
	const char *path = fx_path(f, "m.json");
	json_t *v;

	fx_configure(f);
	assert_int_equal(fx_reqf(f, "PUT", "/drives/data",
				 "{\"drive_id\": \"data\", \"path_on_host\": "
				 "\"%s\", \"is_root_device\": false, "
				 "\"is_read_only\": true}",
				 fx_path(f, "disk2.img")), 204);
	assert_int_equal(fx_req_at(f, "PUT", "/pmem/pm", "{\"id\": \"pm\", \"path_on_host\": "
				   "\"@/pmem.img\"}"), 204);
	assert_int_equal(fx_reqf(f, "PUT", "/metrics",
				 "{\"metrics_path\": \"%s\"}", path), 204);
	assert_int_equal(f->sink_opens, 1);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"InstanceStart\"}"), 204);

	metric_inc(&f->metrics.vcpu.exit_io_out);
	metric_add(&f->metrics.vcpu.exit_mmio_write, 5);
	metric_add(&f->metrics.block[0].read_bytes, 4096);
	metric_store(&f->metrics.block[1].read_bytes, 1000);
	metric_inc(&f->metrics.net[0].tx_packets_count);
	metric_store(&f->metrics.entropy.entropy_bytes, 64);
	metric_store(&f->metrics.balloon.inflate_count, 3);
	metric_store(&f->metrics.pmem[0].queue_event_count, 2);
	metric_store(&f->metrics.balloon.free_page_report_freed, 1 << 20);
	/* A place that logs in a loop: its lines past the limit held back. */
	log_set_output(-1, false, false, NULL, NULL);
	for (int i = 0; i < LOG_SITE_BURST + 3; i++)
		log_warn("again");
	log_set_output(2, true, false, NULL, NULL);
	assert_true(log_held_back() >= 3);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"FlushMetrics\"}"), 204);
	v = json_line(path, 0);
	assert_int_equal(get(v, "logger", "rate_limited_log_count"), log_held_back());
	assert_true(json_integer_value(json_object_get(v, "utc_timestamp_ms")) >
		    1600000000000LL);
	assert_int_equal(get(v, "vcpu", "exit_io_out"), 1);
	assert_int_equal(get(v, "vcpu", "exit_mmio_write"), 5);
	assert_int_equal(get(v, "vcpu", "exit_io_in"), 0);
	assert_int_equal(get(v, "block_rootfs", "read_bytes"), 4096);
	assert_int_equal(get(v, "block_data", "read_bytes"), 1000);
	assert_int_equal(get(v, "block", "read_bytes"), 5096);
	assert_int_equal(get(v, "net_net1", "tx_packets_count"), 1);
	assert_int_equal(get(v, "net", "tx_packets_count"), 1);
	/* Firecracker's single entropy group, by its names. */
	assert_int_equal(get(v, "entropy", "entropy_bytes"), 64);
	assert_int_equal(get(v, "entropy", "entropy_event_count"), 0);
	assert_int_equal(get(v, "entropy", "entropy_rate_limiter_throttled"), 0);
	assert_int_equal(json_object_size(json_object_get(v, "entropy")), 5);
	/* Firecracker's balloon group, every one of its twelve names. */
	static const char *const balloon_names[] = {
		"activate_fails", "inflate_count", "stats_updates_count", "stats_update_fails",
		"deflate_count", "event_fails", "free_page_report_count",
		"free_page_report_freed", "free_page_report_fails", "free_page_hint_count",
		"free_page_hint_freed", "free_page_hint_fails",
	};
	for (size_t i = 0; i < sizeof(balloon_names) / sizeof(balloon_names[0]); i++)
		assert_non_null(json_object_get(json_object_get(v, "balloon"), balloon_names[i]));
	assert_int_equal(json_object_size(json_object_get(v, "balloon")), 12);
	assert_int_equal(get(v, "balloon", "inflate_count"), 3);
	assert_int_equal(get(v, "balloon", "free_page_report_freed"), 1 << 20);
	assert_int_equal(get(v, "balloon", "deflate_count"), 0);
	/* Firecracker's pmem groups, per device and summed, by its six names. */
	assert_int_equal(get(v, "pmem_pm", "queue_event_count"), 2);
	assert_int_equal(get(v, "pmem", "queue_event_count"), 2);
	assert_int_equal(get(v, "pmem", "rate_limiter_throttled_events"), 0);
	assert_int_equal(json_object_size(json_object_get(v, "pmem_pm")), 6);
	assert_int_equal(json_object_size(json_object_get(v, "pmem")), 6);
	/* All requests so far, this one included, none failed. */
	assert_int_equal(get(v, "api_server", "requests"), 9);
	assert_int_equal(get(v, "api_server", "request_fails"), 0);
	json_decref(v);

	/* A cumulative source moving from 1000 to 1500 shows 500. */
	metric_store(&f->metrics.block[1].read_bytes, 1500);
	assert_int_equal(fx_req(f, "GET", "/nope", NULL), 400);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"FlushMetrics\"}"), 204);
	v = json_line(path, 1);
	assert_int_equal(get(v, "vcpu", "exit_io_out"), 0);
	assert_int_equal(get(v, "block_data", "read_bytes"), 500);
	assert_int_equal(get(v, "block_rootfs", "read_bytes"), 0);
	assert_int_equal(get(v, "api_server", "requests"), 2);
	assert_int_equal(get(v, "api_server", "request_fails"), 1);
	assert_int_equal(get(v, "logger", "rate_limited_log_count"), 0);
	json_decref(v);
}

static void test_metrics_once_only(void **state)
{
	F;

	assert_int_equal(fx_req(f, "PUT", "/metrics",
				"{\"metrics_path\": \"/elsewhere/m\"}"), 400);
	fx_assert_fault(f, "test: refusing to open /elsewhere/m");
	assert_int_equal(fx_reqf(f, "PUT", "/metrics",
				 "{\"metrics_path\": \"%s\"}",
				 fx_path(f, "m1")), 204);
	assert_int_equal(fx_reqf(f, "PUT", "/metrics",
				 "{\"metrics_path\": \"%s\"}",
				 fx_path(f, "m2")), 400);
	fx_assert_fault(f, "Reinitialization of metrics not allowed.");
	assert_int_equal(f->sink_opens, 1);
	assert_int_equal(access(fx_path(f, "m2"), F_OK), -1);
	assert_int_equal(fx_req(f, "GET", "/vm/config", NULL), 200);
	assert_non_null(strstr(f->r.body, "m1\"}"));
}

/* Counters kept by the core (per-vCPU exit counts) are copied in by a
 * collector just before each line; the lines the cards' logs held back
 * join azote's own in the logger group. */
static void collect_exits(void *ctx, struct metrics *m)
{
	uint64_t *total = ctx;

	*total += 7;
	metric_store(&m->vcpu.exit_hlt, *total);
	m->cards_log_held_back = 1000;
}

static void test_metrics_collector(void **state)
{
	F;
	const char *path = fx_path(f, "c.json");
	uint64_t total = 0;
	struct azerr e;
	json_t *v;

	assert_int_equal(fx_reqf(f, "PUT", "/metrics",
				 "{\"metrics_path\": \"%s\"}", path), 204);
	metrics_set_collector(&f->metrics, collect_exits, &total);
	assert_int_equal(metrics_flush(&f->metrics, &e), 0);
	assert_int_equal(metrics_flush(&f->metrics, &e), 0);
	v = json_line(path, 1);
	assert_int_equal(get(v, "vcpu", "exit_hlt"), 7);  /* 14 - 7 */
	json_decref(v);
	v = json_line(path, 0);
	assert_int_equal(get(v, "logger", "rate_limited_log_count"), log_held_back() + 1000);
	json_decref(v);
	assert_int_equal(total, 14);
}

/* FlushMetrics without a metrics file succeeds and writes nothing, as in
 * Firecracker. */
static void test_flush_without_sink(void **state)
{
	F;
	struct azerr e;

	fx_boot(f);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"FlushMetrics\"}"), 204);
	assert_int_equal(metrics_flush(&f->metrics, &e), 0);
	assert_false(metrics_has_sink(&f->metrics));
}

/* The periodic writer's sandbox hook: where it ran; then azote's own
 * list for the writer (a call outside it would kill this test), or a
 * failure. */
static char hook_thread[16];
static int hook_fails;

static int sandbox_hook(struct azerr *e)
{
	pthread_getname_np(pthread_self(), hook_thread, sizeof(hook_thread));
	if (hook_fails)
		return azerr_set(e, "no sandbox for you");
#ifdef __SANITIZE_ADDRESS__
	/* ASan unmaps a thread's alternate signal stack as it ends
	 * (sigaltstack), which no list allows (docs/security.md): log. */
	vmm_sandbox_set_mode(JAIL_SECCOMP_LOG);
#endif
	return vmm_sandbox_enter(VMM_ROLE_METRICS, NULL, e);
}

/* Boots with a sink and a 50 ms period; the second line the writer
 * produces within 5 s, or NULL. */
static json_t *periodic_line(struct api_fixture *f)
{
	struct api_params p = {
		.ops = &fake_vmm_ops, .ctx = &f->fake, .metrics = &f->metrics,
		.metrics_period_ms = 50,
	};
	const char *path = fx_path(f, "periodic.json");
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	json_t *v = NULL;
	struct azerr e;

	api_free(f->api);
	f->api = api_new(&p, NULL, &e);
	assert_int_equal(fx_reqf(f, "PUT", "/metrics",
				 "{\"metrics_path\": \"%s\"}", path), 204);
	fx_boot(f);
	for (int i = 0; i < 250 && !(v = json_line(path, 2)); i++)
		nanosleep(&ts, NULL);
	return v;
}

/* Once the VM runs, lines come without being asked for, from a thread
 * named "metrics" that entered azote's seccomp list for it first. */
static void test_metrics_periodic(void **state)
{
	F;
	json_t *v;

	hook_fails = 0;
	hook_thread[0] = '\0';
	metrics_set_sandbox(&f->metrics, sandbox_hook);
	v = periodic_line(f);
	assert_non_null(v);
	assert_non_null(json_object_get(v, "vcpu"));
	json_decref(v);
	assert_string_equal(hook_thread, "metrics");
}

/* A writer that could not be sandboxed writes nothing. */
static void test_metrics_unsandboxed(void **state)
{
	F;
	const char *path = fx_path(f, "periodic.json");
	struct stat st;

	hook_fails = 1;
	metrics_set_sandbox(&f->metrics, sandbox_hook);
	assert_null(periodic_line(f));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

/* A FIFO that nobody reads fills up; writing then fails instead of
 * blocking the writer. */
static void test_metrics_full_fifo(void **state)
{
	F;
	const char *path = fx_path(f, "fifo");
	struct metrics m;
	struct azerr e;
	int rfd, wfd, ret = 0;

	assert_int_equal(mkfifo(path, 0600), 0);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	wfd = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(wfd >= 0);
	metrics_init(&m);
	assert_int_equal(metrics_set_sink(&m, wfd, &e), 0);
	for (int i = 0; i < 10000 && !ret; i++)
		ret = metrics_flush(&m, &e);
	assert_int_equal(ret, -1);
	assert_non_null(strstr(e.msg, "Cannot write the metrics"));
	metrics_destroy(&m);
	close(rfd);
	(void)f;
}

/* A metrics FIFO nobody reads yet is taken, as Firecracker takes it; the
 * reader that comes later gets the lines. */
static void test_metrics_fifo_without_reader(void **state)
{
	F;
	const char *path = fx_path(f, "later.fifo");
	char buf[4096];
	int rfd;

	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(fx_reqf(f, "PUT", "/metrics",
				 "{\"metrics_path\": \"%s\"}", path), 204);
	fx_boot(f);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"FlushMetrics\"}"), 204);
	ssize_t n = read(rfd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"utc_timestamp_ms\""));
	close(rfd);
}

static void test_logger(void **state)
{
	F;
	const char *path = fx_path(f, "log");
	char text[4096] = "";
	FILE *fp;

	assert_int_equal(fx_reqf(f, "PUT", "/logger",
				 "{\"log_path\": \"%s\", \"level\": \"warning\", "
				 "\"show_level\": true, \"show_log_origin\": true}",
				 path), 204);
	log_warn("shown %d", 1);
	log_info("hidden by the level");
	/* Reconfigured before boot: the module filter keeps src/api only. */
	assert_int_equal(fx_reqf(f, "PUT", "/logger",
				 "{\"log_path\": \"%s\", \"level\": \"Debug\", "
				 "\"module\": \"api\"}", path), 204);
	log_info("hidden by the module filter");
	fx_req(f, "GET", "/nope", NULL);  /* logged from src/api/api.c */
	assert_int_equal(fx_req(f, "PUT", "/logger",
				"{\"level\": \"Off\"}"), 204);
	log_error("hidden: logging is off");

	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_true(fread(text, 1, sizeof(text) - 1, fp) > 0);
	fclose(fp);
	/* Firecracker's format: local time to the nanosecond, then
	 * [instance:thread:LEVEL:file:line]. */
	char when[32], thread[16], *line2;
	int file_line;
	assert_int_equal(sscanf(text, "%31s [test-vm:%15[^:]:WARN:tests/unit/"
				"test_api_metrics.c:%d] shown 1\n", when, thread, &file_line), 3);
	assert_int_equal(strlen(when), 29);     /* 2026-12-04T06:52:49.123456789 */
	assert_true(when[4] == '-' && when[10] == 'T' && when[19] == '.');
	assert_true(file_line > 0);
	assert_null(strstr(text, "hidden"));
	/* Without show_level and show_log_origin: instance and thread only. */
	line2 = strchr(text, '\n');
	assert_non_null(line2);
	assert_non_null(strstr(line2, " [test-vm:"));
	assert_non_null(strstr(line2, "] API request failed: Invalid request method "
			       "and/or path: GET /nope.\n"));
	assert_null(strstr(line2, ":INFO"));

	assert_int_equal(fx_req(f, "PUT", "/logger",
				"{\"level\": \"Chatty\"}"), 400);
	fx_assert_fault(f, "unknown variant `Chatty` for field `level`, expected "
			"one of `Error`, `Warning`, `Info`, `Debug`, `Trace`, "
			"`Off`");
	assert_int_equal(fx_req(f, "PUT", "/logger",
				"{\"module\": \"../etc\\n\"}"), 400);
	fx_assert_fault(f, "field `module`");
	assert_int_equal(fx_req(f, "PUT", "/logger",
				"{\"log_path\": \"\"}"), 400);
	fx_assert_fault(f, "field `log_path` cannot be empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, \
					      api_fixture_teardown)
		T(test_metrics_lines),
		T(test_metrics_once_only),
		T(test_metrics_collector),
		T(test_flush_without_sink),
		T(test_metrics_periodic),
		T(test_metrics_unsandboxed),
		T(test_metrics_full_fifo),
		T(test_metrics_fifo_without_reader),
		T(test_logger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
