/* Firecracker 1.0-1.14's filter files: bincode with fixed-width
 * little-endian integers (seccompiler's BINCODE_CONFIG). A map is its u64
 * entry count, then each key and value; a string and a vector are a u64
 * length and their items; an instruction is 8 bytes. */
#include "vmm/fc_filter.h"

#include <stdlib.h>

static int take_u64(struct fc_reader *r, uint64_t *v, const char *what,
		    struct azerr *e)
{
	const uint8_t *p = fc_take(r, 8);

	if (!p)
		return azerr_set(e, "the file ends inside %s", what);
	*v = fc_le(p, 8);
	return 0;
}

static int entry(struct fc_reader *r, struct fc_filters *f, struct azerr *e)
{
	uint64_t name_len, count;
	const uint8_t *name, *code;

	if (take_u64(r, &name_len, "a thread name's length", e) < 0)
		return -1;
	if (name_len > r->left || !(name = fc_take(r, name_len)))
		return azerr_set(e, "a thread name of %llu bytes runs past the end",
				 (unsigned long long)name_len);
	if (take_u64(r, &count, "a filter's length", e) < 0)
		return -1;
	if (count > r->left / 8 || !(code = fc_take(r, count * 8)))
		return azerr_set(e, "a filter of %llu instructions runs past the end",
				 (unsigned long long)count);
	/* Too long for the copy below: fc_filters_add refuses it (after
	 * checking the name) without reading an instruction. */
	if (count > FC_FILTER_MAX_INSNS)
		return fc_filters_add(f, (const char *)name, name_len, NULL, count, e);

	uint64_t insns[FC_FILTER_MAX_INSNS];

	for (uint64_t i = 0; i < count; i++)
		insns[i] = fc_le(code + 8 * i, 8);
	return fc_filters_add(f, (const char *)name, name_len, insns, count, e);
}

int fc_bincode_decode(const uint8_t *buf, size_t len, struct fc_filters *f,
		      struct azerr *e)
{
	struct fc_reader r = { buf, len };
	uint64_t n;

	if (take_u64(&r, &n, "the number of filters", e) < 0)
		return -1;
	/* Each entry takes 16 bytes at least. */
	if (n > r.left / 16)
		return azerr_set(e, "%llu filters do not fit in %zu bytes",
				 (unsigned long long)n, len);
	for (uint64_t i = 0; i < n; i++)
		if (entry(&r, f, e) < 0)
			return -1;
	if (r.left)
		return azerr_set(e, "%zu bytes after the last filter", r.left);
	return 0;
}
