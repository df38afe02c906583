/* File descriptor hygiene for sandboxed processes: a card must hold only
 * what it serves with, whatever its parent leaked into it. */
#ifndef AZOTE_CARDS_FDS_H
#define AZOTE_CARDS_FDS_H

#include "common/err.h"

/* Closes every fd above 2 except the n listed in keep, and points stdin
 * and stdout at /dev/null (stderr stays: it carries the log; a closed
 * one is pointed there too). Call first thing, before the process opens
 * anything of its own. */
int jail_close_fds(const int *keep, unsigned n, struct azerr *e);

#endif
