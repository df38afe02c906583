/* String helpers, formatting and the serial console. */
#ifndef PROBE_LIB_H
#define PROBE_LIB_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* CRC-32 of len bytes continuing from crc (0 to start), the value
 * zlib.crc32 gives: crc32(crc32(0, a, n), b, m) is that of a then b. */
u32 crc32(u32 crc, const void *buf, size_t len);
/* Parses a decimal (or 0x-prefixed hex) number filling all of s..s+len. */
bool parse_u64(const char *s, size_t len, u64 *out);

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int snprintf(char *buf, size_t cap, const char *fmt, ...) PRINTF(3, 4);

void console_init(void);
/* One formatted line (or part of one) to COM1, atomically w.r.t. other
 * CPUs. Safe at CPL 0 and CPL 3. */
void printk(const char *fmt, ...) PRINTF(1, 2);
/* The NUL-terminated strings parts[0..nr) back to back, as one piece of
 * output (printk's lines are at most 511 bytes; this has no limit). */
void console_write(const char *const *parts, unsigned nr);
void console_break_lock(void);

#endif
