#include "common/utf8.h"

int32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	/* A sequence of n + 1 bytes: its first byte's form, the smallest
	 * code point it may carry. */
	static const struct { unsigned char mask, lead; uint32_t min; } forms[] = {
		{ 0x80, 0x00, 0 }, { 0xe0, 0xc0, 0x80 }, { 0xf0, 0xe0, 0x800 },
		{ 0xf8, 0xf0, 0x10000 },
	};
	unsigned n = 0;
	uint32_t cp;

	while (n < 4 && (s[*i] & forms[n].mask) != forms[n].lead)
		n++;
	if (n == 4 || len - *i <= n)
		return -1;
	cp = s[*i] & (unsigned char)~forms[n].mask;
	for (unsigned k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + k] & 0x3fu);
	}
	if (cp < forms[n].min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return (int32_t)cp;
}

bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n)
		if (utf8_next((const unsigned char *)s, n, &i) < 0)
			return false;
	return true;
}
