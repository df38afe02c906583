/* The options every card takes, as azote passes them (vhost_dev.c,
 * start_card): where the front-end is (--socket PATH or --fd N), azote's
 * counters page (--stats-fd), its control channel (--control-fd,
 * iface/card_control.h), the sandbox (--seccomp, --user) and
 * --log-level. Parsed once here for both cards; each card's own options
 * (cards/blk/opts.c, cards/net/opts.c) go through the same loop. */
#ifndef AZOTE_CARDS_CARD_OPTS_H
#define AZOTE_CARDS_CARD_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "common/err.h"
#include "common/log.h"
#include "iface/card.h"
#include "iface/card_control.h"
#include "jail/confine.h"
#include "jail/seccomp.h"

struct card_opts {
	const char *socket;   /* --socket PATH, or */
	int fd;               /* --fd N (-1: none) */
	int stats_fd;         /* --stats-fd N: azote's counters page, or -1 */
	int control_fd;       /* --control-fd N: azote's updates, or -1 */
	int lazy_mem_fd;      /* --lazy-mem-fd N: the memory file to page in from, or -1 */
	int page_relay_fd;    /* --page-relay-fd N: or azote's page relay, or -1 */
	int uffd_dev_fd;      /* --uffd-dev-fd N: /dev/userfaultfd, or -1 */
	enum jail_seccomp_mode seccomp;
	bool confine;         /* --user given: confine to it (jail/confine.h) */
	struct jail_identity user;
	enum log_level log_level;
};

/* The help of the options every card takes, for the cards' usage texts:
 * where the front-end is, azote's counters page, a lazy restore's pages,
 * the filter and the log (each card says what --control-fd and --user
 * mean for it), and the exit statuses (card_main.h's CARD_EXIT_*). */
#define CARD_OPTS_USAGE_FRONT_END							\
	"  --socket PATH  listen on PATH, serving one front-end at a time\n"		\
	"  --fd N         serve the connected socket N, exit when it closes\n"
#define CARD_OPTS_USAGE_STATS_FD							\
	"  --stats-fd N   azote's counters page (a memfd) to count into\n"
#define CARD_OPTS_USAGE_RESTORE								\
	"  --lazy-mem-fd N  a snapshot's memory file to page guest RAM in from\n"	\
	"               (a lazy restore), with /dev/userfaultfd on --uffd-dev-fd\n"	\
	"  --page-relay-fd N  or azote's page relay for those pages\n"
#define CARD_OPTS_USAGE_SECCOMP_LOG							\
	"  --seccomp MODE  the system call filter: kill (default), log or off\n"	\
	"  --log-level L  error, warning (default), info or debug\n"
#define CARD_OPTS_USAGE_EXIT								\
	"Exit status: 0 after --help, or once the front-end of --fd has gone;\n"	\
	"1 when start-up or serving fails; 2 when the command line is refused.\n"
/* The synopsis's line for a lazy restore, after its indentation. */
#define CARD_OPTS_SYNOPSIS_RESTORE "[--lazy-mem-fd N [--uffd-dev-fd N] | --page-relay-fd N]\n"

/* The end of the help of a card that opens nothing (the entropy and
 * balloon cards: confined from the start) or a file (pmem). */
#define CARD_OPTS_USAGE_RESTORE_JAIL_LOG						\
	CARD_OPTS_USAGE_RESTORE								\
	"  --user UID[:GID]  once started, move into namespaces of its own with\n"	\
	"               an empty root and run as UID:GID without capabilities\n"	\
	"               (needs root)\n"						\
	CARD_OPTS_USAGE_SECCOMP_LOG CARD_OPTS_USAGE_EXIT

/* The common options' entries, for the card's getopt_long table. */
#define CARD_OPTS_LONGOPTS							\
	{ CARD_OPT_SOCKET, required_argument, NULL, 's' },				\
	{ CARD_OPT_FD, required_argument, NULL, 'f' },					\
	{ CARD_OPT_STATS_FD, required_argument, NULL, 'T' },				\
	{ CARD_OPT_CONTROL_FD, required_argument, NULL, 'C' },				\
	{ CARD_OPT_LAZY_MEM_FD, required_argument, NULL, 'L' },				\
	{ CARD_OPT_PAGE_RELAY_FD, required_argument, NULL, 'R' },			\
	{ CARD_OPT_UFFD_DEV_FD, required_argument, NULL, 'Y' },				\
	{ CARD_OPT_SECCOMP, required_argument, NULL, 'S' },				\
	{ CARD_OPT_USER, required_argument, NULL, 'u' },				\
	{ CARD_OPT_LOG_LEVEL, required_argument, NULL, 'l' },				\
	{ CARD_OPT_HELP, no_argument, NULL, 'h' }

enum card_opts_action { CARD_OPTS_RUN, CARD_OPTS_HELP, CARD_OPTS_ERROR };

/* Runs getopt_long over argv with longopts (CARD_OPTS_LONGOPTS and the
 * card's own, NULL-terminated): the common options land in common (set to
 * their defaults first), every other one goes to own(c, optarg, card, e),
 * which returns -1 with e on a bad value. Then nothing may follow, and
 * exactly one of --socket and --fd must have said where the front-end is. */
enum card_opts_action card_opts_parse(int argc, char **argv, const struct option *longopts,
				      struct card_opts *common,
				      int (*own)(int c, const char *arg, void *card,
						 struct azerr *e),
				      void *card, struct azerr *e);

#endif
