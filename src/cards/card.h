/* What every card does first, before it opens anything of its own: drop
 * the fds its parent leaked (keeping its socket, stats page and control
 * channel), map the
 * stats page azote handed over, make a vanished front-end an error rather
 * than a SIGPIPE, and check the inherited socket. */
#ifndef AZOTE_CARDS_CARD_H
#define AZOTE_CARDS_CARD_H

#include "iface/card_stats.h"
#include "common/err.h"

/* sock_fd: --fd N or -1; stats_fd: --stats-fd N or -1; control_fd:
 * --control-fd N or -1 (checked to be a SOCK_SEQPACKET socket). *stats is
 * the mapped page, or NULL without one. */
int card_start(int sock_fd, int stats_fd, int control_fd, struct card_stats **stats,
	       struct azerr *e);

/* Gives back what card_start took that outlives it: the stats page's
 * mapping (stats may be NULL). Only while no worker counts into it. */
void card_stop(struct card_stats *stats);

#endif
