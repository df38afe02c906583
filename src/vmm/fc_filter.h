/* Firecracker's compiled seccomp filters (`--seccomp-filter FILE`): the
 * file seccompiler-bin writes from a JSON description, one classic-BPF
 * program per thread category, "vmm", "api" and "vcpu". Two encodings of
 * the same map (thread name -> program) are read, and told apart by trying
 * each, since a file of one is never exactly a file of the other:
 *
 * - Firecracker 1.0 to 1.14: bincode with fixed-width little-endian
 *   integers: u64 entry count; per entry a u64 name length, the name, a u64
 *   instruction count and the instructions, 8 bytes each.
 * - Firecracker 1.15 on: the `bitcode` crate's serde encoding (0.6), which
 *   stores the map's columns one after another, each packed (fc_bitcode.c).
 *
 * As Firecracker does, names are taken in lower case, the map must name
 * exactly the three categories, an empty program means "no filter for that
 * thread", and a file over 100000 bytes is refused before it is decoded. */
#ifndef AZOTE_VMM_FC_FILTER_H
#define AZOTE_VMM_FC_FILTER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum fc_category { FC_CAT_VMM, FC_CAT_API, FC_CAT_VCPU, FC_NR_CATEGORIES };

/* Firecracker's bound on a filter file, and the kernel's on a program. */
#define FC_FILTER_MAX_FILE 100000
#define FC_FILTER_MAX_INSNS 4096

struct fc_filters {
	const char *format;                     /* "bincode" or "bitcode" */
	struct sock_filter *prog[FC_NR_CATEGORIES];
	uint16_t len[FC_NR_CATEGORIES];         /* 0: no filter */
};

/* "vmm", "api", "vcpu". */
const char *fc_category_name(enum fc_category c);

/* Decodes a whole file's bytes into f (freed with fc_filters_free, also
 * after a failure). The message says what is wrong, not where the bytes
 * came from: the caller adds the path. */
int fc_filters_parse(const uint8_t *buf, size_t len, struct fc_filters *f,
		     struct azerr *e);

/* Reads and decodes the file at path; messages name it. */
int fc_filters_load(const char *path, struct fc_filters *f, struct azerr *e);

void fc_filters_free(struct fc_filters *f);

/* ---- for the two decoders ---- */

/* Where a decoder puts each (name, program) it finds: checks the name and
 * the program's size and keeps a copy. Each instruction is the u64 whose
 * little-endian bytes are a struct sock_filter, as Firecracker keeps them. */
int fc_filters_add(struct fc_filters *f, const char *name, size_t name_len,
		   const uint64_t *insns, size_t count, struct azerr *e);

/* The bytes not yet decoded. */
struct fc_reader {
	const uint8_t *p;
	size_t left;
};

/* The next n bytes, or NULL (and nothing taken) if fewer are left. */
static inline const uint8_t *fc_take(struct fc_reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (n > r->left)
		return NULL;
	r->p += n;
	r->left -= n;
	return p;
}

/* A little-endian unsigned integer of size bytes (1..8), unaligned. */
static inline uint64_t fc_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

int fc_bincode_decode(const uint8_t *buf, size_t len, struct fc_filters *f,
		      struct azerr *e);
int fc_bitcode_decode(const uint8_t *buf, size_t len, struct fc_filters *f,
		      struct azerr *e);

#endif
