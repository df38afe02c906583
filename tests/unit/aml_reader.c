#include "aml_reader.h"

#include <stdio.h>
#include <string.h>

struct reader {
	const uint8_t *start, *p;
	struct aml_tree *t;
	char err[160];
};

static bool fail(struct reader *r, const char *what)
{
	if (!r->err[0])
		snprintf(r->err, sizeof(r->err), "%s at offset %td", what, r->p - r->start);
	return false;
}

static bool byte(struct reader *r, const uint8_t *end, uint8_t *b)
{
	if (r->p >= end)
		return fail(r, "unexpected end");
	*b = *r->p++;
	return true;
}

static bool le(struct reader *r, const uint8_t *end, int bytes, uint64_t *v)
{
	uint8_t b;

	*v = 0;
	for (int i = 0; i < bytes; i++) {
		if (!byte(r, end, &b))
			return false;
		*v |= (uint64_t)b << (8 * i);
	}
	return true;
}

/* PkgLength (20.2.4): sets *pkg_end from where the PkgLength started. */
static bool pkg_length(struct reader *r, const uint8_t *end, const uint8_t **pkg_end)
{
	const uint8_t *at = r->p;
	uint8_t lead, b;
	size_t follow, len;

	if (!byte(r, end, &lead))
		return false;
	follow = lead >> 6;
	if (!follow) {
		len = lead & 0x3f;
	} else {
		if (lead & 0x30)
			return fail(r, "PkgLength lead byte has bits 5-4 set");
		len = lead & 0x0f;
		for (size_t i = 0; i < follow; i++) {
			if (!byte(r, end, &b))
				return false;
			len |= (size_t)b << (4 + 8 * i);
		}
	}
	*pkg_end = at + len;
	if (*pkg_end > end || *pkg_end < r->p)
		return fail(r, "PkgLength runs past its parent");
	return true;
}

static bool seg_ok(const uint8_t *s)
{
	for (int i = 0; i < 4; i++) {
		bool alpha = (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_';
		if (!alpha && (i == 0 || s[i] < '0' || s[i] > '9'))
			return false;
	}
	return true;
}

/* NameString (20.2.2), made absolute against scope. */
static bool name_string(struct reader *r, const uint8_t *end, const char *scope,
			char *out, size_t cap)
{
	uint8_t b;
	size_t n = 1;

	snprintf(out, cap, "%s", scope);
	if (r->p < end && *r->p == '\\') {
		r->p++;
		snprintf(out, cap, "\\");
	}
	if (!byte(r, end, &b))
		return false;
	if (b == 0x00)
		return true;                    /* NullName */
	if (b == 0x2e) {
		n = 2;
	} else if (b == 0x2f) {
		if (!byte(r, end, &b))
			return false;
		n = b;
	} else {
		r->p--;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(out);
		if (end - r->p < 4 || !seg_ok(r->p))
			return fail(r, "bad NameSeg");
		if (len + 6 > cap)
			return fail(r, "name too long for the reader");
		snprintf(out + len, cap - len, "%s%.4s", strcmp(out, "\\") ? "." : "",
			 (const char *)r->p);
		r->p += 4;
	}
	return true;
}

static bool integer(struct reader *r, const uint8_t *end, uint64_t *v)
{
	uint8_t op;

	if (!byte(r, end, &op))
		return false;
	switch (op) {
	case 0x00: *v = 0; return true;
	case 0x01: *v = 1; return true;
	case 0xff: *v = ~0ULL; return true;
	case 0x0a: return le(r, end, 1, v);
	case 0x0b: return le(r, end, 2, v);
	case 0x0c: return le(r, end, 4, v);
	case 0x0e: return le(r, end, 8, v);
	}
	r->p--;
	return fail(r, "not an integer");
}

/* DataRefObject of a Name: an integer, a string or a buffer. */
static bool value(struct reader *r, const uint8_t *end, struct aml_named *o)
{
	const uint8_t *pkg_end, *nul;
	uint64_t size;

	if (r->p < end && *r->p == 0x0d) {
		r->p++;
		nul = memchr(r->p, 0, (size_t)(end - r->p));
		if (!nul)
			return fail(r, "string without NUL");
		o->kind = AMLV_STRING;
		o->string = (const char *)r->p;
		r->p = nul + 1;
		return true;
	}
	if (r->p < end && *r->p == 0x11) {
		r->p++;
		if (!pkg_length(r, end, &pkg_end) || !integer(r, pkg_end, &size))
			return false;
		if (size != (uint64_t)(pkg_end - r->p))
			return fail(r, "BufferSize differs from the ByteList");
		o->kind = AMLV_BUFFER;
		o->buffer = r->p;
		o->buffer_len = (size_t)size;
		r->p = pkg_end;
		return true;
	}
	if (r->p < end && *r->p == 0x12) {
		uint8_t n;
		r->p++;
		if (!pkg_length(r, end, &pkg_end) || !byte(r, pkg_end, &n))
			return false;
		if (n > AML_READER_PACKAGE_MAX)
			return fail(r, "package too long for the reader");
		o->kind = AMLV_PACKAGE;
		o->package_len = n;
		for (size_t i = 0; i < n; i++)
			if (!integer(r, pkg_end, &o->package[i]))
				return false;
		if (r->p != pkg_end)
			return fail(r, "NumElements differs from the PackageElementList");
		return true;
	}
	o->kind = AMLV_INT;
	return integer(r, end, &o->integer);
}

/* If (LEqual (ArgN, integer)) { Notify (name, integer) ... } (20.2.5.3,
 * 20.2.5.4), the If opcode read. */
static bool if_block(struct reader *r, const uint8_t *end, struct aml_method *m)
{
	const uint8_t *if_end;
	uint8_t op, arg;
	uint64_t equals;

	if (!pkg_length(r, end, &if_end) || !byte(r, if_end, &op))
		return false;
	if (op != 0x93)
		return fail(r, "an If whose predicate is not LEqual");
	if (!byte(r, if_end, &arg) || arg < 0x68 || arg > 0x6e)
		return fail(r, "an LEqual whose first operand is not an Arg");
	if (!integer(r, if_end, &equals))
		return false;
	while (r->p < if_end) {
		if (!byte(r, if_end, &op))
			return false;
		if (op != 0x86)
			return fail(r, "an If holding something other than Notify");
		if (m->nr_rules == AML_READER_RULES)
			return fail(r, "too many Notify for the reader");
		typeof(m->rules[0]) *rule = &m->rules[m->nr_rules++];
		rule->arg = arg - 0x68u;
		rule->equals = equals;
		if (!name_string(r, if_end, "\\", rule->target, sizeof(rule->target)) ||
		    !integer(r, if_end, &rule->value))
			return false;
	}
	return true;
}

/* Method (20.2.5.2), its opcode read: PkgLength, NameString, MethodFlags,
 * then If blocks. */
static bool method(struct reader *r, const uint8_t *end, const char *scope)
{
	const uint8_t *pkg_end;
	uint8_t flags, op;

	if (r->t->nr_methods == AML_READER_METHODS)
		return fail(r, "too many methods for the reader");
	struct aml_method *m = &r->t->methods[r->t->nr_methods++];
	memset(m, 0, sizeof(*m));
	if (!pkg_length(r, end, &pkg_end) ||
	    !name_string(r, pkg_end, scope, m->path, sizeof(m->path)) ||
	    !byte(r, pkg_end, &flags))
		return false;
	m->nargs = flags & 7;
	m->serialized = flags & 8;
	while (r->p < pkg_end) {
		if (!byte(r, pkg_end, &op))
			return false;
		if (op != 0xa0)
			return fail(r, "a method holding something other than If");
		if (!if_block(r, pkg_end, m))
			return false;
	}
	return true;
}

static bool term_list(struct reader *r, const uint8_t *end, const char *scope)
{
	char path[64];
	const uint8_t *pkg_end;
	uint8_t op;

	while (r->p < end) {
		if (!byte(r, end, &op))
			return false;
		if (op == 0x08) {                         /* Name */
			if (r->t->nr == AML_READER_MAX)
				return fail(r, "too many names for the reader");
			struct aml_named *o = &r->t->names[r->t->nr++];
			memset(o, 0, sizeof(*o));
			if (!name_string(r, end, scope, o->path, sizeof(o->path)) ||
			    !value(r, end, o))
				return false;
			continue;
		}
		if (op == 0x14) {                         /* Method */
			if (!method(r, end, scope))
				return false;
			continue;
		}
		bool device = op == 0x5b && r->p < end && r->p[0] == 0x82;
		if (op != 0x10 && !device) {
			r->p--;
			return fail(r, "an opcode the reader does not know");
		}
		if (device)
			r->p++;
		if (!pkg_length(r, end, &pkg_end) ||
		    !name_string(r, pkg_end, scope, path, sizeof(path)))
			return false;
		if (device) {
			if (r->t->nr_devices == AML_READER_MAX)
				return fail(r, "too many devices for the reader");
			snprintf(r->t->devices[r->t->nr_devices++], 64, "%s", path);
		}
		if (!term_list(r, pkg_end, path))
			return false;
	}
	return true;
}

const char *aml_read(const uint8_t *aml, size_t len, struct aml_tree *t)
{
	static struct reader r;

	memset(&r, 0, sizeof(r));
	memset(t, 0, sizeof(*t));
	r.start = r.p = aml;
	r.t = t;
	return term_list(&r, aml + len, "\\") ? NULL : r.err;
}

const struct aml_method *aml_find_method(const struct aml_tree *t, const char *dev,
					 const char *name)
{
	char path[80];

	snprintf(path, sizeof(path), "%s.%s", dev, name);
	for (size_t i = 0; i < t->nr_methods; i++)
		if (!strcmp(t->methods[i].path, path))
			return &t->methods[i];
	return NULL;
}

const struct aml_named *aml_find(const struct aml_tree *t, const char *dev,
				 const char *name)
{
	char path[80];

	snprintf(path, sizeof(path), "%s.%s", dev, name);
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->names[i].path, path))
			return &t->names[i];
	return NULL;
}

int aml_resources(const uint8_t *buf, size_t len, struct aml_rd *out, int max)
{
	size_t i = 0;
	int n = 0;
	uint8_t sum = 0;

	for (size_t k = 0; k < len; k++)
		sum = (uint8_t)(sum + buf[k]);
	while (i < len) {
		uint8_t tag = buf[i];
		size_t body_len, head;
		uint8_t type;
		if (tag & 0x80) {                 /* large item */
			if (i + 3 > len)
				return -1;
			type = tag;
			body_len = buf[i + 1] | (size_t)buf[i + 2] << 8;
			head = 3;
		} else {
			type = (tag >> 3) & 0x0f;
			body_len = tag & 0x07;
			head = 1;
		}
		if (i + head + body_len > len)
			return -1;
		if (type == 0x0f)                 /* End Tag: last, sum 0 */
			return i + head + body_len == len && sum == 0 ? n : -1;
		if (n == max)
			return -1;
		out[n++] = (struct aml_rd){ .type = type, .body = buf + i + head,
					    .len = body_len };
		i += head + body_len;
	}
	return -1;
}
