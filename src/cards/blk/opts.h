/* The block card's command line (see main.c): parsed and checked here, as
 * the net card's is (cards/net/opts.h), so that each refusal's message can
 * be tested without starting a card. */
#ifndef AZOTE_CARDS_BLK_OPTS_H
#define AZOTE_CARDS_BLK_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "jail/confine.h"
#include "jail/seccomp.h"

/* Spinning for the next request: QEMU's iothreads poll up to 32 µs by
 * default; past a millisecond the spinning costs more than a wake-up. */
#define BLK_POLL_US_DEFAULT 32

struct blk_opts {
	const char *socket;   /* --socket PATH, or */
	int fd;               /* --fd N (-1: none) */
	const char *image;
	bool ro, direct;
	unsigned queues;      /* 1 by default */
	unsigned poll_us;
	int stats_fd;         /* azote's counters page, or -1 */
	enum jail_seccomp_mode seccomp;
	bool confine;         /* --user given: confine to it (jail/confine.h) */
	struct jail_identity user;
	enum log_level log_level;
};

enum blk_opts_action { BLK_OPTS_RUN, BLK_OPTS_HELP, BLK_OPTS_ERROR };

/* Fills o from argv; BLK_OPTS_ERROR with e naming the option and value. */
enum blk_opts_action blk_opts_parse(int argc, char **argv, struct blk_opts *o,
				    struct azerr *e);
void blk_opts_usage(FILE *f);

#endif
