/* Strict UTF-8, as Rust's str takes it (what Firecracker's parsers accept):
 * no overlong forms, no surrogates, nothing past U+10FFFF. One decoder for
 * every place that must refuse, split or escape text as Firecracker would. */
#ifndef AZOTE_COMMON_UTF8_H
#define AZOTE_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The code point at s[*i] (s holds len bytes, *i < len), *i moved past it;
 * -1, *i unmoved, when the bytes there are not UTF-8. */
int32_t utf8_next(const unsigned char *s, size_t len, size_t *i);

/* Whether the n bytes at s are UTF-8 throughout (a NUL is a character). */
bool utf8_valid(const char *s, size_t n);

#endif
