/* Starting a card the way azote does: over a fresh socketpair whose card
 * end becomes fd 3 in the child (pass "--fd 3" in argv), also when the
 * socketpair itself landed on fd 3. The card closes any other fd it
 * inherits, but callers should still create theirs close-on-exec. The card
 * ends when its socket hangs up, which the kernel ensures when azote ends
 * in any way; its stdin is /dev/null and its stdout is its stderr. */
#ifndef AZOTE_VMM_CARD_SPAWN_H
#define AZOTE_VMM_CARD_SPAWN_H

#include <sys/types.h>

#include "common/err.h"

#define JAIL_CARD_FD  3
#define JAIL_EXTRA_FD 4
#define JAIL_MAX_EXTRA 4

/* Runs argv[0] (a path) with argv; extra[i], if >= 0, becomes the card's
 * fd JAIL_EXTRA_FD + i (its stats page, its control channel, a lazy restore's memory
 * file and /dev/userfaultfd). On success
 * returns the child's pid and stores our end of the socketpair
 * (close-on-exec) in *sock; on failure, including an exec that fails in
 * the child, returns -1 with e naming the program and the reason. */
pid_t jail_spawn_card(char *const argv[], const int *extra, unsigned nr_extra, int *sock,
		      struct azerr *e);

#endif
