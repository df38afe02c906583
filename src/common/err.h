/* A human-readable error, filled by the code that detects the problem and
 * printed by the code that decides what to do about it. Messages name the
 * file, field or value at fault so that a user can act on them. */
#ifndef AZOTE_COMMON_ERR_H
#define AZOTE_COMMON_ERR_H

#include <stddef.h>

struct azerr {
	char msg[512];
};

/* Formats the message into e (if e is not NULL) and returns -1, so that
 * callers can write `return azerr_set(e, "...")`. */
int azerr_set(struct azerr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
