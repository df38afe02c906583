/* The pmem card's command line (see main.c): its own options here, the
 * common ones in cards/card_opts.c, so that each refusal's message can be
 * tested without starting a card (test_pmem_opts). */
#ifndef AZOTE_CARDS_PMEM_OPTS_H
#define AZOTE_CARDS_PMEM_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "cards/card_opts.h"
#include "common/err.h"
#include "iface/rate_limit.h"

struct pmem_opts {
	struct card_opts card;      /* the options every card takes */
	const char *file;           /* --file PATH: required */
	bool ro;                    /* --ro */
	struct rate_limiter limit;  /* --bw-limit, --ops-limit */
};

/* Fills o from argv; CARD_OPTS_ERROR with e naming the option and value. */
enum card_opts_action pmem_opts_parse(int argc, char **argv, struct pmem_opts *o,
				      struct azerr *e);
void pmem_opts_usage(FILE *f);

#endif
