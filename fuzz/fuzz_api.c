/* libFuzzer target: the API's request handling (api_handle), paths and
 * JSON bodies, across the instance's states.
 *
 * Input: requests separated by NUL bytes, each "METHOD PATH\nBODY". Every
 * input starts from a fresh instance; the fake VMM stands in for the core.
 * The seeds use /proc/self/exe as kernel and disk image (it passes the
 * API's stat/access checks and nothing writes to it), so that they can
 * configure and boot a VM and the fuzzer go on from there. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/testing/fake_vmm.h"
#include "common/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Requests must not create files where the fuzzer says: logs and metrics
 * go to /dev/null. */
static int null_sink(const char *path, struct azerr *e)
{
	(void)path;
	(void)e;
	return open("/dev/null", O_WRONLY | O_CLOEXEC);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_output(-1, false, false, NULL, NULL);
	return 0;
}

static void one_request(struct api *api, const char *req, size_t len)
{
	char method[16] = "", path[1024] = "";
	const char *nl = memchr(req, '\n', len), *sp;
	struct api_response r;
	size_t line = nl ? (size_t)(nl - req) : len;

	sp = memchr(req, ' ', line);
	if (!sp || (size_t)(sp - req) >= sizeof(method) ||
	    line - (sp - req) - 1 >= sizeof(path))
		return;
	memcpy(method, req, sp - req);
	memcpy(path, sp + 1, line - (sp - req) - 1);
	api_handle(api, method, path, nl ? nl + 1 : "",
		   nl ? len - line - 1 : 0, &r);
	/* Every answer is JSON or empty, with one of the API's statuses. */
	if ((r.status != 200 && r.status != 204 && r.status != 400) ||
	    (r.status == 204) != !r.body)
		abort();
	api_response_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_vmm fake = { 0 };
	struct metrics metrics;
	struct api_params p = {
		.ops = &fake_vmm_ops, .ctx = &fake, .metrics = &metrics,
		.open_sink = null_sink, .metrics_period_ms = 3600000,
	};
	const char *req = (const char *)data, *end = req + size;
	struct azerr e;
	struct api *api;

	metrics_init(&metrics);
	api = api_new(&p, NULL, &e);
	while (req < end) {
		const char *nul = memchr(req, '\0', end - req);
		size_t len = nul ? (size_t)(nul - req) : (size_t)(end - req);

		one_request(api, req, len);
		req += len + 1;
	}
	api_free(api);
	metrics_destroy(&metrics);
	log_set_output(-1, false, false, NULL, NULL);
	log_set_level(LOG_WARN);
	return 0;
}
