/* The start-up every card goes through, written once (card_main.c): its
 * command line, card_start, the resource it serves (an image, a TAP),
 * confinement, its device and workers (and, with --control-fd, a thread
 * for azote's control requests), the seccomp filter over them all, then
 * the vhost-user front-end. A card's main.c is a struct card_kind
 * and the few hooks it names; everything in between, with the order, the
 * messages and the exit statuses, is the same for every card. */
#ifndef AZOTE_CARDS_CARD_MAIN_H
#define AZOTE_CARDS_CARD_MAIN_H

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "cards/card_opts.h"
#include "cards/limiter.h"
#include "cards/vhost/backend.h"
#include "common/err.h"
#include "iface/card_control.h"
#include "iface/card_stats.h"
#include "jail/seccomp.h"

/* What a card's process exits with. */
#define CARD_EXIT_OK     0  /* --help, or the front-end went away */
#define CARD_EXIT_FAILED 1  /* a step of start-up, or accept, failed */
#define CARD_EXIT_USAGE  2  /* the command line was refused */

struct card_kind {
	const char *name;   /* the program ("azote-card-blk"): the log's prefix */
	void *card;         /* the card's own state, handed to every hook */

	/* Fills the card's options from argv (the card's opts.c, which runs
	 * card_opts_parse with its own options) and points *common at the
	 * options every card takes among them. */
	enum card_opts_action (*parse)(int argc, char **argv, void *card,
				       const struct card_opts **common, struct azerr *e);
	void (*usage)(FILE *f);
	/* What the card's threads call beyond the base list and what every
	 * card adds to it (card_main.c's card_wide). */
	const struct jail_filter *filter;

	/* Opens what the card serves, from the filesystem, before the card
	 * confines itself. On failure it leaves nothing open. NULL, with
	 * destroy: the card serves nothing it must open (the entropy card's
	 * getrandom(2) is a system call). */
	int (*open)(void *card, struct azerr *e);
	/* The device on it, with its workers started (they must exist before
	 * the filter: see docs/architecture.md). stats: azote's counters page,
	 * or NULL. NULL with e on failure, which may leave workers running. */
	struct vu_device *(*create)(void *card, struct card_stats *stats,
				    struct azerr *e);
	/* What is served, for the "serving ..., seccomp: N rules" line. */
	void (*describe)(void *card, char *buf, size_t size);
	/* Closes what open opened. Called only when a later step fails before
	 * create: from create on, the workers use it for the card's life. */
	void (*destroy)(void *card);
	/* What azote's SET_LIMITS replaces, in the request's order (block:
	 * its requests; net: rx, then tx). */
	struct card_limiter *limiters[2];
	unsigned nr_limiters;
	/* Any other request from azote's control channel
	 * (iface/card_control.h): fills rep (zeroed: success); -1 with e.
	 * fds (nr_fds) are the hook's to keep or close. Runs on the card's
	 * control thread, while the vhost-user thread and the workers run.
	 * NULL: only SET_LIMITS is taken. */
	int (*control)(void *card, const struct card_ctl_req *req, const int *fds,
		       unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e);
};

/* Runs the card k describes; returns its exit status (CARD_EXIT_*). */
int card_main(int argc, char **argv, const struct card_kind *k);

#endif
