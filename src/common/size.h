/* Parsing of user-given sizes and numbers ("128M", "2G", "4096"). */
#ifndef AZOTE_COMMON_SIZE_H
#define AZOTE_COMMON_SIZE_H

#include <stdint.h>

/* Parses a size: decimal digits with an optional binary suffix K, M, G or T
 * (case-insensitive, an optional trailing "iB" or "B" accepted). A bare number
 * is in units of default_unit bytes (1 for bytes, 1 << 20 for MiB).
 * Rejects empty strings, signs, junk, and values that overflow 64 bits.
 * Returns 0 on success, -1 on a malformed or overflowing value. */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out);

/* Parses an unsigned decimal integer in [min, max]; -1 when malformed or
 * out of range. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
