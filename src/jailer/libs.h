/* The shared libraries a program loads, so that the jailer can bind them
 * (read-only) into a chroot where nothing else of the host is: azote links
 * libmicrohttpd and its TLS stack dynamically, and a chroot holding only
 * the executable (all Firecracker's jailer provides, enough for its static
 * binary) cannot run it. The dynamic loader itself says which files it
 * would map (`ld.so --list`), from ld.so.cache and the program's RUNPATH,
 * exactly as it will at exec; the jailer only reads what it prints, and
 * checks each file it names. */
#ifndef AZOTE_JAILER_LIBS_H
#define AZOTE_JAILER_LIBS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define LIBS_MAX 64

/* A set of absolute paths, each once. */
struct path_set {
	char *path[LIBS_MAX];
	unsigned n;
};

/* The program interpreter (PT_INTERP) of the ELF image buf[0..len):
 * 1 with it copied into out, 0 for a static executable (none), -1 when buf
 * is not a well-formed 64-bit little-endian ELF or the name does not fit. */
int elf_interp(const uint8_t *buf, size_t len, char *out, size_t outlen);

/* Adds each file the loader's list output names (lines "NAME => PATH
 * (ADDR)" and "PATH (ADDR)"; the vDSO, which has no file, is skipped) to
 * set. A library the loader did not find is an error naming it. */
int libs_parse_list(const char *text, struct path_set *set, struct azerr *e);

/* Adds the interpreter and the libraries of the executable exe to set
 * (nothing for a static executable). The loader must be a root-owned file
 * others cannot write; it runs as root without capabilities (out of reach
 * of other uids), with an empty environment, libs_list_timeout_ms at most.
 * Each file it lists must be an ELF shared object of root's that only
 * root can write. */
int libs_of(const char *exe, struct path_set *set, struct azerr *e);

/* How long the loader may take to list one program's libraries before it
 * is killed and libs_of fails (10 s; a variable so that a test need not
 * wait that long). */
extern unsigned libs_list_timeout_ms;

/* Adds path[0..n) unless set holds it already. */
int path_set_add(struct path_set *set, const char *path, size_t n, struct azerr *e);
void path_set_free(struct path_set *set);

#endif
