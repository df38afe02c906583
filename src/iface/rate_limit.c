#include "iface/rate_limit.h"

#include <stdio.h>
#include <string.h>

#include "common/size.h"

#define SYNTAX "size=N,refill_time=MS[,one_time_burst=N]"
#define SHORT_SYNTAX "SIZE/REFILL_MS[/ONE_TIME_BURST]"

enum { KEY_SIZE, KEY_REFILL, KEY_BURST, NR_KEYS };
static const char *const keys[NR_KEYS] = { "size", "refill_time", "one_time_burst" };

bool token_bucket_limits(const struct token_bucket *b)
{
	return b->size && b->refill_time_ms && b->refill_time_ms <= TOKEN_BUCKET_MAX_REFILL_MS;
}

/* The decimal number of len bytes at s (not NUL-terminated), 0 to max,
 * into *v. */
static bool number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	char num[24];

	/* More digits than num holds is out of range anyway. */
	if (len >= sizeof(num))
		return false;
	memcpy(num, s, len);
	num[len] = '\0';
	return !parse_uint(num, 0, max, v);
}

/* One KEY=VALUE item, len bytes at s (not NUL-terminated: arg is the
 * caller's and stays untouched), into v[key]. */
static int parse_item(const char *opt, const char *arg, const char *s, size_t len,
		      uint64_t v[NR_KEYS], bool seen[NR_KEYS], struct azerr *e)
{
	const char *eq = memchr(s, '=', len);
	int k;

	if (!eq)
		return azerr_set(e, "%s '%s': '%.*s' is not KEY=VALUE (" SYNTAX ")", opt,
				 arg, (int)len, s);
	size_t klen = (size_t)(eq - s), vlen = len - klen - 1;
	for (k = 0; k < NR_KEYS; k++)
		if (strlen(keys[k]) == klen && !memcmp(s, keys[k], klen))
			break;
	if (k == NR_KEYS)
		return azerr_set(e, "%s '%s': unknown key '%.*s' (size, refill_time, "
				 "one_time_burst)", opt, arg, (int)klen, s);
	if (seen[k])
		return azerr_set(e, "%s '%s': %s given twice", opt, arg, keys[k]);
	uint64_t max = k == KEY_REFILL ? TOKEN_BUCKET_MAX_REFILL_MS : UINT64_MAX;
	if (!number(eq + 1, vlen, max, &v[k]))
		return azerr_set(e, "%s '%s': %s '%.*s' must be a number from 0 to %llu",
				 opt, arg, keys[k], (int)vlen, eq + 1, (unsigned long long)max);
	seen[k] = true;
	return 0;
}

int token_bucket_parse(const char *opt, const char *arg, struct token_bucket *b,
		       struct azerr *e)
{
	uint64_t v[NR_KEYS] = { 0 };
	bool seen[NR_KEYS] = { false };
	const char *s = arg;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (parse_item(opt, arg, s, len, v, seen, e))
			return -1;
		if (!comma)
			break;
		s = comma + 1;
	}
	/* Both are required in Firecracker's JSON as well. */
	if (!seen[KEY_SIZE] || !seen[KEY_REFILL])
		return azerr_set(e, "%s '%s': size and refill_time are required (" SYNTAX ")",
				 opt, arg);
	*b = (struct token_bucket){
		.size = v[KEY_SIZE],
		.one_time_burst = v[KEY_BURST],
		.refill_time_ms = v[KEY_REFILL],
	};
	return 0;
}

int token_bucket_parse_short(const char *opt, const char *arg, struct token_bucket *b,
			     struct azerr *e)
{
	enum { SIZE, REFILL, BURST };
	uint64_t v[3] = { 0 };
	const char *s = arg;
	unsigned n = 0;

	for (;; n++) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);
		if (n > BURST ||
		    !number(s, len, n == REFILL ? TOKEN_BUCKET_MAX_REFILL_MS : UINT64_MAX, &v[n]))
			break;
		if (!slash) {
			if (n == SIZE)
				break;
			*b = (struct token_bucket){ .size = v[SIZE], .refill_time_ms = v[REFILL],
						    .one_time_burst = v[BURST] };
			return 0;
		}
		s = slash + 1;
	}
	return azerr_set(e, "%s'%s': expected " SHORT_SYNTAX ", decimal numbers, "
			 "REFILL_MS at most %llu", opt, arg,
			 (unsigned long long)TOKEN_BUCKET_MAX_REFILL_MS);
}

int rate_limiter_parse(struct rate_limiter *rl, bool ops, const char *opt,
		       const char *arg, struct azerr *e)
{
	if (token_bucket_parse(opt, arg, ops ? &rl->ops : &rl->bandwidth, e))
		return -1;
	*(ops ? &rl->has_ops : &rl->has_bandwidth) = true;
	return 0;
}

int token_bucket_format(const struct token_bucket *b, char *buf, size_t len)
{
	int n = snprintf(buf, len, "size=%llu,refill_time=%llu", (unsigned long long)b->size,
			 (unsigned long long)b->refill_time_ms);

	if (n >= 0 && (size_t)n < len && b->one_time_burst)
		n += snprintf(buf + n, len - (size_t)n, ",one_time_burst=%llu",
			      (unsigned long long)b->one_time_burst);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
