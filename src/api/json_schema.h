/* Checking JSON request bodies against a declared shape, the way
 * Firecracker's deserializer does: unknown fields, wrong types, missing
 * required fields and out-of-range integers are refused with a message that
 * names the field (as "parent.child" inside nested objects). JSON null
 * counts as absent for optional fields. */
#ifndef AZOTE_API_JSON_SCHEMA_H
#define AZOTE_API_JSON_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum jtype { JT_STRING, JT_BOOL, JT_UINT, JT_OBJECT, JT_ARRAY };

struct jfield {
	const char *name;
	enum jtype type;
	bool required;
	uint64_t max;  /* JT_UINT: the largest value accepted */
};

#define JFIELDS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* Parses a whole buffer as one JSON value, of any type (trailing data,
 * duplicate keys and NUL characters are refused). On error, e says what and where
 * ("... at line L column C"). */
json_t *jparse(const char *buf, size_t len, struct azerr *e);

/* Checks that v is an object with only the declared fields, each of its
 * type, every required one present. where: the path of v for messages ("" at
 * the top). */
int jcheck(const json_t *v, const char *where, const struct jfield *f,
	   size_t n, struct azerr *e);

/* Accessors for a checked object. Absent or null members give NULL / def. */
bool jhas(const json_t *o, const char *name);
const char *jstr(const json_t *o, const char *name);
bool jbool(const json_t *o, const char *name, bool def);
uint64_t juint(const json_t *o, const char *name, uint64_t def);

/* Maps a string member to its index in names (exact, or ignoring case when
 * nocase). Absent: def. Unknown: -1 with "unknown variant `x` for field `f`,
 * expected one of `A`, `B`". */
int jenum(const json_t *o, const char *where, const char *name,
	  const char *const *names, size_t n, bool nocase, int def,
	  struct azerr *e);

/* A JSON string of s; bytes of s that are not valid UTF-8 (a file name
 * from the command line, a path in a request line) become '?', so that
 * the result is never NULL for want of valid text. NULL only when out of
 * memory. */
json_t *jstring_lossy(const char *s);

/* "prefix.name", or "name" when prefix is empty, into buf. */
const char *jpath(char *buf, size_t size, const char *prefix,
		  const char *name);

#endif
