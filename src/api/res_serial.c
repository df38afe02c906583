/* serial: Firecracker's PUT /serial (before boot): where COM1's output
 * goes (serial_out_path, a file or FIFO; none: stdout) and a token bucket
 * on its bytes (rate_limiter: Firecracker's TokenBucket, not a
 * RateLimiter). A second PUT replaces the first, absent fields included. */
#include <stdlib.h>

#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"

static const struct jfield serial_fields[] = {
	{ "serial_out_path", JT_STRING, false, 0 },
	{ "rate_limiter", JT_OBJECT, false, 0 },
};

static int serial_check(const json_t *body, struct azerr *e)
{
	const char *path = jstr(body, "serial_out_path");

	return jcheck(body, "", JFIELDS(serial_fields), e) ||
	       (path && res_check_path_string(path, "serial_out_path", e)) ||
	       res_bucket_check(body, "", "rate_limiter", e) ? -1 : 0;
}

static int serial_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	struct serial_config s = { .out_path = NULL };

	if (res_strdup(&s.out_path, jstr(body, "serial_out_path"), e))
		return -1;
	s.has_limit = res_bucket(body, "rate_limiter", &s.limit);
	free(cfg->serial.out_path);
	cfg->serial = s;
	return 0;
}

const struct resource res_serial = { "serial", serial_check, serial_apply };
