/* The net card's command line (see main.c): its own options here, the
 * common ones in cards/card_opts.c, so that each refusal's message can be
 * tested without starting a card. */
#ifndef AZOTE_CARDS_NET_OPTS_H
#define AZOTE_CARDS_NET_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cards/card_opts.h"
#include "common/err.h"
#include "common/netaddr.h"
#include "iface/rate_limit.h"

struct net_opts {
	struct card_opts card;      /* the options every card takes */
	const char *tap;
	uint8_t mac[MAC_LEN];
	bool has_mac;
	unsigned queues;            /* queue pairs, 1 by default */
	unsigned mtu;               /* 0: not offered */
	/* --rx-bw-limit ... --tx-ops-limit: Firecracker's rx_rate_limiter
	 * (frames the guest receives) and tx_rate_limiter (it sends). */
	struct rate_limiter rx_limit, tx_limit;
};

/* Fills o from argv; CARD_OPTS_ERROR with e naming the option and value. */
enum card_opts_action net_opts_parse(int argc, char **argv, struct net_opts *o,
				     struct azerr *e);
void net_opts_usage(FILE *f);

#endif
