/* Helpers for the snapshot tests of the device models: change one field of
 * a saved section, as a damaged or hostile snapshot file would, and check
 * that a load refuses it by name. */
#ifndef AZOTE_TESTS_STATE_FIXTURE_H
#define AZOTE_TESTS_STATE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "base/state.h"

/* Writes the width-byte little-endian value v at off in section (tag,
 * index), which must exist and be long enough; returns what was there. */
uint64_t state_poke(struct state_set *s, uint32_t tag, uint32_t index, size_t off,
		    unsigned width, uint64_t v);

/* Takes section (tag, index), which must exist, out of s, as in a file
 * without it. */
void state_drop(struct state_set *s, uint32_t tag, uint32_t index);

/* The load returned -1 and its message names what (a field, a section). */
void assert_refused(int ret, const struct azerr *e, const char *what);

#endif
