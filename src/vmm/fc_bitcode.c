/* Firecracker 1.15+'s filter files: the `bitcode` crate's serde encoding
 * (version 0.6) of a map from thread name to a vector of u64 instructions.
 * Read from the crate's source (src/serde, length.rs, str.rs, pack.rs,
 * pack_ints.rs); its format has no document of its own.
 *
 * bitcode stores a value column by column, each column whole before the
 * next, in the order serde first meets each type:
 *   1. the map's lengths (one: the number of entries),
 *   2. the keys: their lengths, then all their bytes back to back,
 *   3. the values' lengths (instructions per filter),
 *   4. every instruction of every filter, as one column of u64.
 * A column of lengths is a column of bytes, 255 meaning "the real length
 * follows in a column of integers after it". A column of bytes longer than
 * two starts with a packing byte: values stored whole, or several to a byte
 * in base 16, 6, 4, 3 or 2 (least significant first), optionally as offsets
 * from a minimum that follows. A column of u64 (not empty) starts with a
 * packing byte too: 8, 4 or 2 bytes each, or as a column of bytes, again
 * optionally offset from a u64 minimum. */
#include "vmm/fc_filter.h"

#include <stdlib.h>

/* More entries than categories is refused before any column is sized by
 * it: such a file names a foreign thread or one twice. */
#define MAX_ENTRIES FC_NR_CATEGORIES

/* A byte column of n values, values[] must hold n. */
static int unpack_bytes(struct fc_reader *r, size_t n, uint8_t *values,
			struct azerr *e)
{
	static const uint8_t bases[] = { 0, 16, 6, 4, 3, 2 };
	static const uint8_t per_byte[] = { 1, 2, 3, 4, 5, 8 };
	const uint8_t *p;

	if (n <= 2) { /* packing would not make it smaller */
		if (!(p = fc_take(r, n)))
			return azerr_set(e, "the file ends inside a column of %zu bytes", n);
		for (size_t i = 0; i < n; i++)
			values[i] = p[i];
		return 0;
	}
	if (!(p = fc_take(r, 1)))
		return azerr_set(e, "the file ends before a column's packing byte");

	unsigned packing = (*p + 1u) / 2, offset = *p & 1;
	uint8_t min = 0;

	if (packing >= sizeof(bases))
		return azerr_set(e, "byte column packing %u is not bitcode's", *p);
	if (offset) {
		if (!(p = fc_take(r, 1)))
			return azerr_set(e, "the file ends before a column's minimum");
		min = *p;
	}

	unsigned base = bases[packing], k = per_byte[packing];

	if (!(p = fc_take(r, (n + k - 1) / k)))
		return azerr_set(e, "the file ends inside a packed column of %zu bytes", n);
	for (size_t i = 0; i < n; i++) {
		unsigned v = p[i / k];

		if (base) /* digit i % k of the byte, least significant first */
			for (unsigned d = i % k; d > 0; d--)
				v /= base;
		values[i] = (uint8_t)((base ? v % base : v) + min);
	}
	return 0;
}

/* A u64 column of n values. */
static int unpack_u64s(struct fc_reader *r, size_t n, uint64_t *values,
		       struct azerr *e)
{
	const uint8_t *p;

	if (n == 0)
		return 0;
	if (!(p = fc_take(r, 1)))
		return azerr_set(e, "the file ends before an integer column's packing byte");

	/* 1: 8 bytes each, 2: 4, 3: 2, 4: a byte column. */
	unsigned packing = (*p + 1u) / 2 + 1, offset = *p & 1;
	uint64_t min = 0;

	if (packing > 4)
		return azerr_set(e, "integer column packing %u is not bitcode's", *p);
	if (offset) {
		if (!(p = fc_take(r, 8)))
			return azerr_set(e, "the file ends before an integer column's minimum");
		min = fc_le(p, 8);
	}
	if (packing == 4) {
		uint8_t *bytes = malloc(n);

		if (!bytes)
			return azerr_set(e, "out of memory");
		int rc = unpack_bytes(r, n, bytes, e);

		for (size_t i = 0; rc == 0 && i < n; i++)
			values[i] = bytes[i] + min;
		free(bytes);
		return rc;
	}

	unsigned size = 8u >> (packing - 1);

	if (n > r->left / size || !(p = fc_take(r, n * size)))
		return azerr_set(e, "the file ends inside a column of %zu integers", n);
	for (size_t i = 0; i < n; i++)
		values[i] = fc_le(p + i * size, size) + min;
	return 0;
}

/* A column of n lengths into len[], each at most max (else an error that
 * calls them units); *sum gets their sum. */
static int unpack_lengths(struct fc_reader *r, size_t n, uint64_t max,
			  uint64_t *len, uint64_t *sum, const char *units,
			  struct azerr *e)
{
	uint8_t small[MAX_ENTRIES];
	uint64_t large[MAX_ENTRIES];
	size_t nr_large = 0;

	if (unpack_bytes(r, n, small, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		nr_large += small[i] == 255;
	if (unpack_u64s(r, nr_large, large, e) < 0)
		return -1;
	*sum = 0;
	for (size_t i = 0, l = 0; i < n; i++) {
		len[i] = small[i] == 255 ? large[l++] : small[i];
		if (len[i] > max)
			return azerr_set(e, "%llu %s, more than %llu",
					 (unsigned long long)len[i], units,
					 (unsigned long long)max);
		*sum += len[i];
	}
	return 0;
}

int fc_bitcode_decode(const uint8_t *buf, size_t len, struct fc_filters *f,
		      struct azerr *e)
{
	struct fc_reader r = { buf, len };
	uint64_t n, total, name_len[MAX_ENTRIES], count[MAX_ENTRIES], name_bytes;
	const uint8_t *names;

	if (unpack_lengths(&r, 1, MAX_ENTRIES, &n, &total,
			   "filters (Firecracker's have one per thread category)", e) < 0)
		return -1;
	/* Names longer than the file cannot be in it. */
	if (unpack_lengths(&r, n, len, name_len, &name_bytes,
			   "bytes in a thread name", e) < 0)
		return -1;
	if (!(names = fc_take(&r, name_bytes)))
		return azerr_set(e, "the file ends inside the thread names");
	if (unpack_lengths(&r, n, FC_FILTER_MAX_INSNS, count, &total,
			   "instructions in a filter", e) < 0)
		return -1;

	uint64_t *insns = malloc((total ? total : 1) * sizeof(*insns));
	int rc = -1;

	if (!insns)
		return azerr_set(e, "out of memory");
	if (unpack_u64s(&r, total, insns, e) == 0) {
		rc = 0;
		for (uint64_t i = 0, at = 0, first = 0; rc == 0 && i < n; i++) {
			rc = fc_filters_add(f, (const char *)names + at, name_len[i],
					    insns + first, count[i], e);
			at += name_len[i];
			first += count[i];
		}
	}
	free(insns);
	if (rc == 0 && r.left)
		return azerr_set(e, "%zu bytes after the last filter", r.left);
	return rc;
}
