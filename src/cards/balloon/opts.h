/* The balloon card's command line (see main.c): its own options here, the
 * common ones in cards/card_opts.c, so that each refusal's message can be
 * tested without starting a card (test_balloon_opts). The three options
 * decide the features the device offers (virtio/virtio_balloon.h); the
 * target size is azote's, in the device configuration. */
#ifndef AZOTE_CARDS_BALLOON_OPTS_H
#define AZOTE_CARDS_BALLOON_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "cards/card_opts.h"
#include "common/err.h"

struct balloon_opts {
	struct card_opts card;      /* the options every card takes */
	unsigned stats_interval_s;  /* --stats-interval: 0, no statistics ring */
	bool deflate_on_oom;        /* --deflate-on-oom */
	bool reporting;             /* --free-page-reporting */
};

/* Fills o from argv; CARD_OPTS_ERROR with e naming the option and value. */
enum card_opts_action balloon_opts_parse(int argc, char **argv, struct balloon_opts *o,
					 struct azerr *e);
void balloon_opts_usage(FILE *f);

/* The virtio features o makes the device offer beyond VERSION_1 and the
 * ring's (STATS_VQ, DEFLATE_ON_OOM, PAGE_REPORTING; never FREE_PAGE_HINT
 * nor PAGE_POISON). */
uint64_t balloon_opts_features(const struct balloon_opts *o);

#endif
