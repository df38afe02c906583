/* What the host-only test drivers need to handle a card they start
 * themselves the way azote does: spawning it over a socketpair, and
 * looking at what it holds once sandboxed. */
#ifndef AZOTE_TESTS_HOST_DRV_CARD_H
#define AZOTE_TESTS_HOST_DRV_CARD_H

#include <stdbool.h>
#include <sys/types.h>

#include "drv_ring.h"
#include "iface/card_stats.h"
#include "vmm/vhost_frontend.h"

/* Starts argv[0] as azote does (jail_spawn_card: its end of a socketpair
 * as fd 3; an argument "{fd}" becomes "3", "{stats}" a new stats page as
 * fd 4, "{ctl}" a new control channel as fd 5, argv itself left as it
 * is), leaking an inheritable stray fd into it, as a careless parent
 * would, so that tests can check the card closed it. *sock gets our end.
 * Returns the pid; exits on failure. A second card takes the place of the
 * first in drv_card_stats and drv_card_control. */
pid_t drv_spawn_card(char **argv, int *sock);

/* The stats page handed to the card ("{stats}"), or NULL. */
const struct card_stats *drv_card_stats(void);
/* Our end of its control channel ("{ctl}"), or -1. */
int drv_card_control(void);

/* The card's command line in a driver's arguments: what follows "--",
 * where args is cut, leaving the tests; NULL without "--". */
char **drv_card_argv(char **args);

/* Connects fe to the back-end a driver's command line names: card
 * (drv_card_argv's, started with drv_spawn_card), else socket_path.
 * Returns the card's pid, 0 with a socket; exits on failure. */
pid_t drv_connect(struct vu_frontend *fe, char **card, const char *socket_path,
		  int timeout_ms);

/* Counts the fds of process pid (*total) and returns how many fail
 * allowed(fd, link target); each of those is printed. */
unsigned drv_card_bad_fds(pid_t pid, bool (*allowed)(int fd, const char *target),
			  unsigned *total);

/* Ring q as vu_fe_vring_start takes it: its size, addresses and fds,
 * from avail index 0, no log. */
struct vu_fe_vring drv_fe_vring(const struct drv_vq *q);

/* SET_MEM_TABLE with m's three regions (drv_ring.h's layout). */
int drv_set_mem_table(struct vu_frontend *fe, const struct drv_mem *m, struct azerr *e);

/* True if process pid runs under a seccomp filter. */
bool drv_card_seccomp(pid_t pid);

#endif
