/* The net card's command line (see main.c): parsed and checked here, so
 * that each refusal's message can be tested without starting a card. */
#ifndef AZOTE_CARDS_NET_OPTS_H
#define AZOTE_CARDS_NET_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "jail/confine.h"
#include "jail/seccomp.h"

struct net_opts {
	const char *socket;         /* --socket PATH, or */
	int fd;                     /* --fd N (-1: none) */
	int stats_fd;               /* --stats-fd N: azote's counters page, or -1 */
	const char *tap;
	uint8_t mac[MAC_LEN];
	bool has_mac;
	unsigned queues;            /* queue pairs, 1 by default */
	unsigned mtu;               /* 0: not offered */
	enum jail_seccomp_mode seccomp;
	bool confine;               /* --user given: confine to it (jail/confine.h) */
	struct jail_identity user;
	enum log_level log_level;
};

enum net_opts_action { NET_OPTS_RUN, NET_OPTS_HELP, NET_OPTS_ERROR };

/* Fills o from argv; NET_OPTS_ERROR with e naming the option and value. */
enum net_opts_action net_opts_parse(int argc, char **argv, struct net_opts *o,
				    struct azerr *e);
void net_opts_usage(FILE *f);

#endif
