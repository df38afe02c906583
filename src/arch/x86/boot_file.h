/* Reading the kernel and initrd files the user named. */
#ifndef AZOTE_ARCH_X86_BOOT_FILE_H
#define AZOTE_ARCH_X86_BOOT_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Reads all of path into a malloc'd buffer (free it) if it is at most max
 * bytes; what names the file's role in messages ("kernel", "initrd"). */
int boot_file_read(const char *path, const char *what, uint64_t max,
		   uint8_t **buf, size_t *len, struct azerr *e);

/* The size of path, for placing it before reading it. */
int boot_file_size(const char *path, const char *what, uint64_t *size,
		   struct azerr *e);

/* Reads exactly size bytes of path into dst. */
int boot_file_read_into(const char *path, const char *what, void *dst,
			uint64_t size, struct azerr *e);

#endif
