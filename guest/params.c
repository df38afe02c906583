/* probe.KEY=VALUE parameters from the kernel command line. Other words
 * (console=..., anything a user adds for their own reasons) are ignored;
 * a probe.* key the selected test does not know is an error, so a typo
 * cannot silently run a default. */
#include "lib.h"
#include "probe.h"

#define MAX_PARAMS 32
#define PREFIX "probe."

struct param {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

static struct param params[MAX_PARAMS];
static unsigned nr_params;
static char error[160];
static char values[MAX_PARAMS][128];
static const char *cmdline = "";

void params_init(const char *c)
{
	cmdline = c;
	while (*c) {
		const char *w = c, *eq;

		while (*c && *c != ' ')
			c++;
		if (strncmp(w, PREFIX, sizeof(PREFIX) - 1) == 0) {
			w += sizeof(PREFIX) - 1;
			for (eq = w; eq < c && *eq != '='; eq++)
				;
			if (nr_params == MAX_PARAMS) {
				snprintf(error, sizeof(error), "param_error=too_many");
			} else {
				struct param *p = &params[nr_params++];

				p->key = w;
				p->key_len = (size_t)(eq - w);
				p->val = eq < c ? eq + 1 : c;
				p->val_len = (size_t)(c - p->val);
			}
		}
		while (*c == ' ')
			c++;
	}
}

static const struct param *find(const char *key)
{
	size_t n = strlen(key);

	for (unsigned i = nr_params; i-- > 0;)   /* last one wins */
		if (params[i].key_len == n && !strncmp(params[i].key, key, n))
			return &params[i];
	return NULL;
}

const char *param_str(const char *key, const char *def)
{
	const struct param *p = find(key);
	char *v;

	if (!p)
		return def;
	v = values[p - params];
	if (p->val_len >= sizeof(values[0])) {
		snprintf(error, sizeof(error), "param_error=too_long key=%s", key);
		return def;
	}
	memcpy(v, p->val, p->val_len);
	v[p->val_len] = '\0';
	return v;
}

u64 param_u64(const char *key, u64 def, u64 min, u64 max)
{
	const struct param *p = find(key);
	size_t len;
	u64 v, mul = 1;

	if (!p)
		return def;
	len = p->val_len;
	if (len) {
		switch (p->val[len - 1]) {
		case 'K': mul = 1024; len--; break;
		case 'M': mul = 1024 * 1024; len--; break;
		case 'G': mul = 1024 * 1024 * 1024; len--; break;
		}
	}
	if (!parse_u64(p->val, len, &v) || v > max / mul || v * mul < min) {
		snprintf(error, sizeof(error),
			 "param_error=bad_value key=%s min=%lu max=%lu", key,
			 (unsigned long)min, (unsigned long)max);
		return def;
	}
	return v * mul;
}

const char *params_error(const char *const *known)
{
	if (error[0])
		return error;
	for (unsigned i = 0; i < nr_params; i++) {
		const struct param *p = &params[i];
		bool ok = false;

		for (const char *const *k = known; *k && !ok; k++)
			ok = strlen(*k) == p->key_len &&
			     !strncmp(*k, p->key, p->key_len);
		if (!ok) {
			char key[48];
			size_t n = MIN(p->key_len, sizeof(key) - 1);

			memcpy(key, p->key, n);
			key[n] = '\0';
			snprintf(error, sizeof(error), "param_error=unknown key=%s", key);
			return error;
		}
	}
	return NULL;
}

bool cmdline_next(const char *key, const char **pos, const char **val,
		  size_t *len)
{
	size_t n = strlen(key);
	const char *c = *pos ? *pos : cmdline;

	while (*c) {
		const char *w = c, *end;

		while (*c && *c != ' ')
			c++;
		end = c;
		while (*c == ' ')
			c++;
		if ((size_t)(end - w) >= n && !strncmp(w, key, n) &&
		    (w + n == end || w[n] == '=')) {
			*val = w + n == end ? end : w + n + 1;
			*len = (size_t)(end - *val);
			*pos = c;
			return true;
		}
	}
	*pos = c;
	return false;
}
