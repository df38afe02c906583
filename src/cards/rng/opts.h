/* The entropy card's command line (see main.c): its own options here, the
 * common ones in cards/card_opts.c, so that each refusal's message can be
 * tested without starting a card (test_rng_opts). */
#ifndef AZOTE_CARDS_RNG_OPTS_H
#define AZOTE_CARDS_RNG_OPTS_H

#include <stdio.h>

#include "cards/card_opts.h"
#include "common/err.h"
#include "iface/rate_limit.h"

struct rng_opts {
	struct card_opts card;      /* the options every card takes */
	struct rate_limiter limit;  /* --bw-limit, --ops-limit */
};

/* Fills o from argv; CARD_OPTS_ERROR with e naming the option and value. */
enum card_opts_action rng_opts_parse(int argc, char **argv, struct rng_opts *o,
				     struct azerr *e);
void rng_opts_usage(FILE *f);

#endif
