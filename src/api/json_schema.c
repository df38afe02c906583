#include "api/json_schema.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether the integer literal s[len] (digits, maybe a leading '-') is
 * outside jansson's json_int_t, -2^63 to 2^63 - 1. */
static bool int_overflows(const char *s, size_t len)
{
	bool neg = *s == '-';
	const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
	size_t n = len - neg;

	s += neg;
	return n > 19 || (n == 19 && memcmp(s, lim, 19) > 0);
}

#define SCAN_DEPTH 16

/* The path ("a.b[2].c") in buf of the first integer literal outside
 * json_int_t, which jansson refuses as a whole parse error without saying
 * which field it was; and the literal. Only a literal that starts before
 * stop, where jansson stopped: it took everything before it as JSON, so
 * what is read here is well formed. False when there is none (another
 * overflow, 1e400), or it lies deeper than SCAN_DEPTH. */
static bool find_big_int(const char *buf, size_t len, size_t stop, char *path,
			 size_t size, char *lit, size_t lit_size)
{
	struct { bool obj; const char *key; size_t key_len; size_t index; } st[SCAN_DEPTH];
	int depth = -1;
	bool want_key = false;

	for (size_t i = 0; i < len && i < stop; i++) {
		char c = buf[i];
		size_t start = i, used = 0;

		switch (c) {
		case '{':
		case '[':
			if (++depth >= SCAN_DEPTH)
				return false;
			st[depth].obj = c == '{';
			st[depth].key = NULL;
			st[depth].key_len = st[depth].index = 0;
			want_key = c == '{';
			break;
		case '}':
		case ']':
			if (depth-- < 0)
				return false;
			break;
		case ',':
			if (depth >= 0 && st[depth].obj)
				want_key = true;
			else if (depth >= 0)
				st[depth].index++;
			break;
		case '"':
			for (i++; i < len && buf[i] != '"'; i++)
				i += buf[i] == '\\';
			if (i >= len)
				return false;
			if (depth >= 0 && want_key) {
				st[depth].key = buf + start + 1;
				st[depth].key_len = i - start - 1;
				want_key = false;
			}
			break;
		case '-':
		case '0' ... '9':
			while (i + 1 < len && buf[i + 1] && strchr("0123456789+-.eE", buf[i + 1]))
				i++;
			if (memchr(buf + start, '.', i + 1 - start) ||
			    memchr(buf + start, 'e', i + 1 - start) ||
			    memchr(buf + start, 'E', i + 1 - start) ||
			    !int_overflows(buf + start, i + 1 - start))
				break;
			snprintf(lit, lit_size, "%.*s", (int)(i + 1 - start), buf + start);
			path[0] = 0;
			for (int d = 0; d <= depth && used < size; d++)
				used += st[d].obj ?
					snprintf(path + used, size - used, "%s%.*s", d ? "." : "",
						 (int)(st[d].key_len > 64 ? 64 : st[d].key_len),
						 st[d].key ? st[d].key : "") :
					snprintf(path + used, size - used, "[%zu]", st[d].index);
			return true;
		default:
			break;
		}
	}
	return false;
}

json_t *jparse(const char *buf, size_t len, struct azerr *e)
{
	json_error_t je;
	json_t *v;
	char path[160], lit[32];

	/* Any value at the top, as serde_json takes it (an MMDS document may
	 * be a string); bodies with a shape then say what they expected. */
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (v)
		return v;
	/* An integer jansson cannot hold (serde_json's u64 fields take up
	 * to 2^64 - 1; jansson's integers end at 2^63 - 1): named, as a
	 * value out of range is. */
	if (json_error_code(&je) == json_error_numeric_overflow &&
	    find_big_int(buf, len, (size_t)je.position, path, sizeof(path), lit,
			 sizeof(lit))) {
		if (path[0])
			azerr_set(e, "invalid value for field `%s`: integer `%s` is outside "
				  "-2^63 to 2^63 - 1 at line %d column %d", path, lit,
				  je.line, je.column);
		else
			azerr_set(e, "invalid value: integer `%s` is outside -2^63 to 2^63 - 1 "
				  "at line %d column %d", lit, je.line, je.column);
		return NULL;
	}
	azerr_set(e, "%s at line %d column %d", je.text, je.line, je.column);
	return NULL;
}

json_t *jstring_lossy(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v)
		return v;
	copy = strdup(s);
	if (!copy)
		return NULL;
	/* jansson's check failed somewhere; plain ASCII always passes. */
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

const char *jpath(char *buf, size_t size, const char *prefix,
		  const char *name)
{
	snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", name);
	return buf;
}

static const char *kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "an object";
	case JSON_ARRAY:   return "an array";
	case JSON_STRING:  return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL:    return "a float";
	case JSON_TRUE:
	case JSON_FALSE:   return "a boolean";
	case JSON_NULL:    return "null";
	}
	return "?";
}

static const char *const expected[] = {
	[JT_STRING] = "a string",
	[JT_BOOL] = "a boolean",
	[JT_UINT] = "a non-negative integer",
	[JT_OBJECT] = "an object",
	[JT_ARRAY] = "an array",
};

static bool type_ok(const json_t *v, enum jtype t)
{
	switch (t) {
	case JT_STRING: return json_is_string(v);
	case JT_BOOL:   return json_is_boolean(v);
	case JT_UINT:   return json_is_integer(v);
	case JT_OBJECT: return json_is_object(v);
	case JT_ARRAY:  return json_is_array(v);
	}
	return false;
}

static int unknown_field(const char *where, const char *key,
			 const struct jfield *f, size_t n, struct azerr *e)
{
	char list[384] = "", path[160];
	size_t used = 0;

	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s`%s`",
				 i ? ", " : "", f[i].name);
	return azerr_set(e, "unknown field `%s`, expected one of %s",
			 jpath(path, sizeof(path), where, key), list);
}

static int check_member(const json_t *v, const char *where,
			const struct jfield *f, struct azerr *e)
{
	char path[160];
	json_int_t i;

	jpath(path, sizeof(path), where, f->name);
	if (json_is_null(v) && !f->required)
		return 0;
	if (!type_ok(v, f->type))
		return azerr_set(e, "invalid type for field `%s`: %s, expected %s",
				 path, kind(v), expected[f->type]);
	if (f->type == JT_STRING &&
	    strlen(json_string_value(v)) != json_string_length(v))
		return azerr_set(e, "field `%s` contains a NUL character", path);
	if (f->type == JT_UINT) {
		i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > f->max)
			return azerr_set(e, "invalid value for field `%s`: "
					 "integer `%lld`, expected 0 to %" PRIu64,
					 path, (long long)i, f->max);
	}
	return 0;
}

int jcheck(const json_t *v, const char *where, const struct jfield *f,
	   size_t n, struct azerr *e)
{
	const char *key;
	json_t *member;
	char path[160];
	size_t i;

	if (!json_is_object(v)) {
		if (*where)
			return azerr_set(e, "invalid type for field `%s`: %s, "
					 "expected an object", where, kind(v));
		return azerr_set(e, "invalid type: %s, expected an object",
				 kind(v));
	}
	json_object_foreach((json_t *)v, key, member) {
		for (i = 0; i < n && strcmp(key, f[i].name); i++)
			;
		if (i == n)
			return unknown_field(where, key, f, n, e);
		if (check_member(member, where, &f[i], e))
			return -1;
	}
	for (i = 0; i < n; i++)
		if (f[i].required && !json_object_get(v, f[i].name))
			return azerr_set(e, "missing field `%s`",
					 jpath(path, sizeof(path), where,
					       f[i].name));
	return 0;
}

bool jhas(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return v && !json_is_null(v);
}

const char *jstr(const json_t *o, const char *name)
{
	return jhas(o, name) ? json_string_value(json_object_get(o, name)) :
			       NULL;
}

bool jbool(const json_t *o, const char *name, bool def)
{
	return jhas(o, name) ? json_is_true(json_object_get(o, name)) : def;
}

uint64_t juint(const json_t *o, const char *name, uint64_t def)
{
	return jhas(o, name) ?
		(uint64_t)json_integer_value(json_object_get(o, name)) : def;
}

int jenum(const json_t *o, const char *where, const char *name,
	  const char *const *names, size_t n, bool nocase, int def,
	  struct azerr *e)
{
	const char *s = jstr(o, name);
	char list[256] = "", path[160];
	size_t used = 0;

	if (!s)
		return def;
	for (size_t i = 0; i < n; i++)
		if (nocase ? !strcasecmp(s, names[i]) : !strcmp(s, names[i]))
			return (int)i;
	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s`%s`",
				 i ? ", " : "", names[i]);
	azerr_set(e, "unknown variant `%.64s` for field `%s`, expected one of %s",
		  s, jpath(path, sizeof(path), where, name), list);
	return -1;
}
