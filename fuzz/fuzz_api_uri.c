/* libFuzzer target: the request target as Firecracker's HTTP server takes
 * it (api/uri.h). Input: the target's bytes (the server hands over a C
 * string; one with a NUL never gets here). A target taken names a part of
 * itself, "" or a path from a '/', and is UTF-8; one refused says why in
 * micro_http's words. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/uri.h"
#include "common/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *target = malloc(size + 1);
	const char *path = NULL;
	struct azerr e;
	size_t len;

	if (!target)
		return 0;
	memcpy(target, data, size);
	target[size] = '\0';
	len = strlen(target);
	if (api_uri_path(target, &path, &e) == 0) {
		if (!len || !utf8_valid(target, len) || path < target ||
		    path > target + len || (*path && *path != '/') ||
		    (*target == '/' && path != target))
			abort();
	} else if (path || strncmp(e.msg, "Invalid URI: ", 13)) {
		abort();
	}
	free(target);
	return 0;
}
