#include "common/size.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int parse_digits(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!s || parse_digits(&s, &v) || *s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_u32_rust(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i = len && s[0] == '+';

	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	uint64_t v, unit;

	if (!s || parse_digits(&s, &v))
		return -1;
	switch (toupper((unsigned char)*s)) {
	case '\0': unit = default_unit; break;
	case 'B': unit = 1; break;
	case 'K': unit = 1ULL << 10; break;
	case 'M': unit = 1ULL << 20; break;
	case 'G': unit = 1ULL << 30; break;
	case 'T': unit = 1ULL << 40; break;
	default: return -1;
	}
	if (*s) {
		s++;
		/* Accept "M", "MB", "MiB" alike; all are binary units here. */
		if (unit != 1 && (!strcasecmp(s, "iB") || !strcasecmp(s, "B")))
			s += strlen(s);
		if (*s)
			return -1;
	}
	if (unit && v > UINT64_MAX / unit)
		return -1;
	*out = v * unit;
	return 0;
}
