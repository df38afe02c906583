/* The block card's command line (see main.c): its own options here, the
 * common ones in cards/card_opts.c, so that each refusal's message can be
 * tested without starting a card. */
#ifndef AZOTE_CARDS_BLK_OPTS_H
#define AZOTE_CARDS_BLK_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "cards/card_opts.h"
#include "common/err.h"
#include "iface/blk_uring.h"
#include "iface/rate_limit.h"

/* Spinning for the next request: QEMU's iothreads poll up to 32 µs by
 * default; past a millisecond the spinning costs more than a wake-up. */
#define BLK_POLL_US_DEFAULT 32

struct blk_opts {
	struct card_opts card;  /* the options every card takes */
	const char *image;
	bool ro, direct;
	unsigned queues;        /* 1 by default */
	unsigned poll_us;
	enum blk_uring_mode uring;  /* --uring */
	struct rate_limiter limit;  /* --bw-limit, --ops-limit */
};

/* Fills o from argv; CARD_OPTS_ERROR with e naming the option and value. */
enum card_opts_action blk_opts_parse(int argc, char **argv, struct blk_opts *o,
				     struct azerr *e);
void blk_opts_usage(FILE *f);

#endif
