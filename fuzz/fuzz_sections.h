/* A fuzz input's edits to a state set that the real savers filled, as a
 * hostile or damaged snapshot file may hold it (fuzz_x86_state,
 * fuzz_vhost_devs): the input is a list of records, each
 *
 *   op, section, offset (2 bytes, little-endian), n, then n bytes
 *
 * where op's low 2 bits say what is done to section (its place in the
 * set, modulo the set's count): 0 XOR the bytes into it at offset (made
 * longer, zero-filled, if they reach past its end); 1 make it offset
 * bytes long (cut, or zero-filled); 2 take it out; 3 give it index
 * offset (unless the set has that tag and index already: the file's
 * decoder refuses twins). A record with op's bit 7 set is the caller's
 * (other: guest memory), not the set's; a short last record is dropped.
 * Each record makes one edit, so that a few records damage several
 * sections at once, and an input of none loads the valid set. */
#ifndef AZOTE_FUZZ_SECTIONS_H
#define AZOTE_FUZZ_SECTIONS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/state.h"

/* Section sec made len bytes long, what is added zero. */
static inline void fuzz_section_resize(struct state_section *sec, size_t len)
{
	unsigned char *p = realloc(sec->data, len ? len : 1);

	if (!p)
		abort();
	if (len > sec->len)
		memset(p + sec->len, 0, len - sec->len);
	sec->data = p;
	sec->len = len;
}

typedef void fuzz_other_fn(void *ctx, uint8_t sel, uint16_t off, const uint8_t *bytes,
			   size_t n);

static inline void fuzz_sections_edit(struct state_set *s, const uint8_t *data, size_t size,
				      fuzz_other_fn *other, void *ctx)
{
	size_t at = 0;

	while (at + 5 <= size && at + 5 + data[at + 4] <= size) {
		uint8_t op = data[at], sel = data[at + 1];
		uint16_t off = (uint16_t)(data[at + 2] | data[at + 3] << 8);
		const uint8_t *bytes = data + at + 5;
		size_t n = data[at + 4];

		at += 5 + n;
		if (op & 0x80) {
			if (other)
				other(ctx, sel, off, bytes, n);
			continue;
		}
		if (!s->n)
			continue;
		struct state_section *sec = &s->v[sel % s->n];
		switch (op & 3) {
		case 0:
			if ((size_t)off + n > sec->len)
				fuzz_section_resize(sec, (size_t)off + n);
			for (size_t i = 0; i < n; i++)
				sec->data[off + i] ^= bytes[i];
			break;
		case 1:
			fuzz_section_resize(sec, off);
			break;
		case 2:
			free(sec->data);
			*sec = s->v[--s->n];
			break;
		case 3:
			if (!state_find(s, sec->tag, off))
				sec->index = off;
			break;
		}
	}
}

#endif
