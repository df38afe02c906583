#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "common/log.h"
#include "test_api_util.h"

static struct api_fixture *current;

/* Requests may only create files inside the scratch directory; there,
 * they are opened as azote opens them. */
static int test_open_sink(const char *path, struct azerr *e)
{
	int fd;

	if (strncmp(path, current->dir, strlen(current->dir)))
		return azerr_set(e, "test: refusing to open %s", path);
	fd = sinks_open(path, e);
	if (fd < 0)
		return -1;
	current->sink_opens++;
	return fd;
}

static void make_file(struct api_fixture *f, const char *name, size_t size)
{
	int fd = open(fx_path(f, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

int api_fixture_setup(void **state)
{
	struct api_fixture *f = calloc(1, sizeof(*f));
	struct api_params p = { .ops = &fake_vmm_ops };
	struct azerr e;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/azote-api-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	current = f;
	make_file(f, "kernel", 4096);
	make_file(f, "initrd", 4096);
	make_file(f, "disk.img", 1 << 20);
	make_file(f, "disk2.img", 1 << 20);
	make_file(f, "ro.img", 1 << 20);
	make_file(f, "pmem.img", 3 << 20);
	make_file(f, "empty.img", 0);
	metrics_init(&f->metrics);
	p.ctx = &f->fake;
	p.metrics = &f->metrics;
	p.open_sink = test_open_sink;
	p.instance_id = "test-vm";
	f->api = api_new(&p, NULL, &e);
	assert_non_null(f->api);
	*state = f;
	return 0;
}

int api_fixture_teardown(void **state)
{
	struct api_fixture *f = *state;
	char cmd[128];

	api_response_free(&f->r);
	api_free(f->api);
	metrics_destroy(&f->metrics);
	/* Tests that configure the logger leave it pointing into dir. */
	log_set_output(2, true, false, NULL, NULL);
	log_set_level(LOG_WARN);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

const char *fx_path(struct api_fixture *f, const char *name)
{
	static char bufs[9][128];
	static unsigned next;
	char *b = bufs[next++ % 9];

	snprintf(b, sizeof(bufs[0]), "%s/%s", f->dir, name);
	return b;
}

int fx_req(struct api_fixture *f, const char *method, const char *path,
	   const char *body)
{
	api_response_free(&f->r);
	api_handle(f->api, method, path, body ? body : "",
		   body ? strlen(body) : 0, &f->r);
	return f->r.status;
}

int fx_reqf(struct api_fixture *f, const char *method, const char *path,
	    const char *fmt, ...)
{
	char body[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return fx_req(f, method, path, body);
}

int fx_req_at(struct api_fixture *f, const char *method, const char *path,
	      const char *body)
{
	char buf[4096];
	size_t n = 0;

	if (!body)
		return fx_req(f, method, path, NULL);
	for (const char *c = body; *c && n < sizeof(buf) - 64; c++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s",
			      *c == '@' ? f->dir : (char[]){ *c, 0 });
	return fx_req(f, method, path, buf);
}

void fx_expect_faults(struct api_fixture *f, const struct fx_bad *cases,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fx_req_at(f, cases[i].method, cases[i].path, cases[i].body);
		fx_assert_fault(f, cases[i].want);
	}
}

json_t *fx_json(struct api_fixture *f)
{
	json_t *v;

	assert_non_null(f->r.body);
	v = json_loads(f->r.body, 0, NULL);
	assert_non_null(v);
	return v;
}

void fx_assert_fault(struct api_fixture *f, const char *want)
{
	json_t *v;
	const char *msg;

	if (f->r.status != 400 || !f->r.body || !strstr(f->r.body, want))
		fail_msg("want 400 with \"%s\", got %d %s", want, f->r.status,
			 f->r.body ? f->r.body : "(no body)");
	v = fx_json(f);
	/* Firecracker's error shape: exactly one member, fault_message. */
	assert_int_equal(json_object_size(v), 1);
	msg = json_string_value(json_object_get(v, "fault_message"));
	assert_non_null(msg);
	assert_non_null(strstr(msg, want));
	json_decref(v);
}

bool fx_started(struct api_fixture *f)
{
	uint64_t n;

	return read(api_started_fd(f->api), &n, sizeof(n)) == sizeof(n) &&
	       n == 1;
}

void fx_configure(struct api_fixture *f)
{
	assert_int_equal(fx_reqf(f, "PUT", "/boot-source",
				 "{\"kernel_image_path\": \"%s\", "
				 "\"boot_args\": \"console=ttyS0\"}",
				 fx_path(f, "kernel")), 204);
	assert_int_equal(fx_req(f, "PUT", "/machine-config",
				"{\"vcpu_count\": 2, \"mem_size_mib\": 256}"),
			 204);
	assert_int_equal(fx_reqf(f, "PUT", "/drives/rootfs",
				 "{\"drive_id\": \"rootfs\", "
				 "\"path_on_host\": \"%s\", "
				 "\"is_root_device\": true, "
				 "\"is_read_only\": false}",
				 fx_path(f, "disk.img")), 204);
	assert_int_equal(fx_req(f, "PUT", "/network-interfaces/net1",
				"{\"iface_id\": \"net1\", "
				"\"guest_mac\": \"06:00:AC:10:00:02\", "
				"\"host_dev_name\": \"tap0\"}"), 204);
}

void fx_boot(struct api_fixture *f)
{
	fx_configure(f);
	assert_int_equal(fx_req(f, "PUT", "/actions",
				"{\"action_type\": \"InstanceStart\"}"), 204);
}
