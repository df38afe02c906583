#include "api/uri.h"

#include <string.h>

#include "common/utf8.h"

#define HTTP_SCHEME "http://"

int api_uri_path(const char *target, const char **path, struct azerr *e)
{
	size_t scheme = strlen(HTTP_SCHEME), len = strlen(target);
	const char *slash;

	if (!*target)
		return azerr_set(e, "Invalid URI: Empty URI not allowed.");
	if (!utf8_valid(target, len))
		return azerr_set(e, "Invalid URI: Cannot parse URI as UTF-8.");
	if (*target == '/') {
		*path = target;
	} else if (!strncmp(target, HTTP_SCHEME, scheme)) {
		/* Case matters: micro_http knows "http://" alone. */
		slash = strchr(target + scheme, '/');
		*path = slash ? slash : target + len;
	} else {
		*path = target + len;
	}
	return 0;
}
