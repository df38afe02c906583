/* Shared by the API unit tests: an API in front of the fake VMM, a
 * scratch directory holding a kernel, an initrd and disk images, and
 * request / assertion helpers. */
#ifndef AZOTE_TESTS_TEST_API_UTIL_H
#define AZOTE_TESTS_TEST_API_UTIL_H

#include <jansson.h>

#include "api/api.h"
#include "api/testing/fake_vmm.h"

struct api_fixture {
	struct fake_vmm fake;
	struct metrics metrics;
	struct api *api;
	struct api_response r;
	char dir[64];
	unsigned sink_opens;
};

/* cmocka setup / teardown: *state becomes the fixture. */
int api_fixture_setup(void **state);
int api_fixture_teardown(void **state);

/* A file in the scratch directory ("kernel", "initrd", "disk.img",
 * "disk2.img", "ro.img", "pmem.img" of 3 MiB, "empty.img"); the result stays valid for 8 further calls. */
const char *fx_path(struct api_fixture *f, const char *name);

/* Sends a request; returns the status. The response stays in f->r until
 * the next request. body: NULL for none. */
int fx_req(struct api_fixture *f, const char *method, const char *path,
	   const char *body);
/* The same with a printf-formatted body. */
int fx_reqf(struct api_fixture *f, const char *method, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* fx_req with each '@' in body replaced by the scratch directory. */
int fx_req_at(struct api_fixture *f, const char *method, const char *path,
	      const char *body);

/* The last response was a 400 whose fault_message contains want. */
void fx_assert_fault(struct api_fixture *f, const char *want);

/* A request that must fail: fx_req_at, then fx_assert_fault. */
struct fx_bad {
	const char *method, *path, *body, *want;
};
void fx_expect_faults(struct api_fixture *f, const struct fx_bad *cases,
		      size_t n);
#define FX_EXPECT_FAULTS(f, cases) \
	fx_expect_faults(f, cases, sizeof(cases) / sizeof((cases)[0]))
/* The last response body parsed as JSON (caller decrefs). */
json_t *fx_json(struct api_fixture *f);

/* Whether api_started_fd has been signalled (consumes the signal). */
bool fx_started(struct api_fixture *f);

/* The getting-started configuration: boot source, 2 vCPUs / 256 MiB, a
 * root drive and one network interface; asserts each step succeeded. */
void fx_configure(struct api_fixture *f);
/* fx_configure, then InstanceStart. */
void fx_boot(struct api_fixture *f);

#endif
