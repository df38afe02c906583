/* What every card does first, before it opens anything of its own: drop
 * the fds its parent leaked (keeping its socket, stats page, control
 * channel and, on a lazy restore, the memory file), map the
 * stats page azote handed over, make a vanished front-end an error rather
 * than a SIGPIPE, and check the inherited socket. */
#ifndef AZOTE_CARDS_CARD_H
#define AZOTE_CARDS_CARD_H

#include "cards/card_opts.h"
#include "iface/card_stats.h"
#include "common/err.h"

/* o's fds: --fd N or -1; --stats-fd N or -1; --control-fd N or -1
 * (checked to be a SOCK_SEQPACKET socket); --lazy-mem-fd,
 * --page-relay-fd and --uffd-dev-fd, kept for card_main. *stats is the mapped page, or NULL
 * without one. */
int card_start(const struct card_opts *o, struct card_stats **stats, struct azerr *e);

/* Gives back what card_start took that outlives it: the stats page's
 * mapping (stats may be NULL). Only while no worker counts into it. */
void card_stop(struct card_stats *stats);

#endif
