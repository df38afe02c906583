/* For the command-line fuzz targets: the input as an argv, its arguments
 * separated by NUL bytes, after a program name. */
#ifndef AZOTE_FUZZ_ARGV_H
#define AZOTE_FUZZ_ARGV_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ARGV_MAX 64

/* Fills argv (FUZZ_ARGV_MAX + 2 entries) with pointers into *buf, a
 * NUL-terminated copy of data the caller frees; returns argc, -1 when out
 * of memory. */
static inline int fuzz_argv(const uint8_t *data, size_t size, char **buf, char **argv)
{
	int argc = 0;
	char *p;

	*buf = malloc(size + 1);
	if (!*buf)
		return -1;
	memcpy(*buf, data, size);
	(*buf)[size] = '\0';
	argv[argc++] = "prog";
	for (p = *buf; argc <= FUZZ_ARGV_MAX && p <= *buf + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	return argc;
}

#endif
