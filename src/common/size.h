/* Parsing of user-given sizes and numbers ("128M", "2G", "4096"). */
#ifndef AZOTE_COMMON_SIZE_H
#define AZOTE_COMMON_SIZE_H

#include <stddef.h>
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

/* Parses the len bytes at s as Rust's str::parse::<u32>() does, for what
 * Firecracker's parsers accept: an optional '+', then decimal digits (at
 * least one), at most 4294967295. -1 when malformed or out of range. */
int parse_u32_rust(const char *s, size_t len, uint32_t *out);

#endif
