/* The vsock card's command line (see main.c): its own options here, the
 * common ones in cards/card_opts.c, so that each refusal's message can be
 * tested without starting a card (test_vsock_opts). */
#ifndef AZOTE_CARDS_VSOCK_OPTS_H
#define AZOTE_CARDS_VSOCK_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "cards/card_opts.h"
#include "common/err.h"

struct vsock_opts {
	struct card_opts card;      /* the options every card takes */
	uint64_t cid;               /* --cid: the guest's address */
	const char *uds;            /* --uds: the host's Unix socket */
};

/* Fills o from argv; CARD_OPTS_ERROR with e naming the option and value. */
enum card_opts_action vsock_opts_parse(int argc, char **argv, struct vsock_opts *o,
				       struct azerr *e);
void vsock_opts_usage(FILE *f);

#endif
