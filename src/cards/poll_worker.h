/* One worker thread for a card whose work on its rings is synchronous (the
 * entropy and balloon cards): it poll()s a command eventfd, a timerfd and
 * the kick fd of every ring it serves, and runs the card's hooks on what
 * it finds. The card keeps only what differs: what it does with a ring's
 * chains, on its timer, when a ring starts or stops, and its own state.
 *
 * The contract, by thread:
 *  - poll_worker_start: the card's create, before the seccomp filter. It
 *    returns once the thread has run, so that thread start-up (its name,
 *    its stack) is over before the filter arrives (docs/architecture.md,
 *    "How a card hands rings to its workers").
 *  - poll_worker_send: any thread but the worker's (the vhost-user
 *    thread's queue_start and queue_stop, a control thread's own
 *    commands). The command goes into one slot under the worker's lock,
 *    the eventfd is written, and the sender waits on a condition variable
 *    until the worker has taken it; a second mutex lets one sender at a
 *    time into the slot. So once a STOP returns, the worker has let go of
 *    the ring and run the stop hook: what queue_stop promises.
 *  - the hooks and poll_worker_arm_timer: the worker thread only. start,
 *    stop and command run under the lock, while their sender waits; serve
 *    and timer run outside it.
 * Which rings are served (their virtq, a dead kick fd, work left over) is
 * the worker's alone: a hook is handed the virtq it is about. */
#ifndef AZOTE_CARDS_POLL_WORKER_H
#define AZOTE_CARDS_POLL_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "cards/virtio/virtqueue.h"
#include "common/err.h"

/* The most rings one worker serves (the balloon's four). */
#define POLL_WORKER_MAX_RINGS 4

enum poll_worker_op {
	POLL_WORKER_NONE,   /* the slot is free (the worker took the command) */
	POLL_WORKER_START,  /* serve ring idx, q, from now on */
	POLL_WORKER_STOP,   /* let ring idx go */
	POLL_WORKER_OWN,    /* the first of the card's own commands */
};

struct poll_worker_cmd {
	int op;             /* enum poll_worker_op, or the card's own */
	unsigned idx;       /* START, STOP: the ring, below the worker's count */
	struct virtq *q;    /* START: the ring handed over */
	uint64_t arg;       /* START and the card's own: the card's to read */
};

struct poll_worker;

/* What the card does; card is poll_worker_start's. Only serve is required. */
struct poll_worker_ops {
	/* Serves ring idx (a kick, a pass left over, a fresh start): whether
	 * work is left that no fd will announce (the worker then polls without
	 * waiting and calls again). */
	bool (*serve)(void *card, unsigned idx, struct virtq *q);
	/* The timerfd fired: whether every served ring is to be served again
	 * (a request the timer held back). */
	bool (*timer)(void *card);
	/* Ring idx was handed over with START's arg; the worker serves it once
	 * after this, for kicks it missed. */
	void (*start)(void *card, unsigned idx, struct virtq *q, uint64_t arg);
	/* Ring idx is let go right after (q: NULL if it was not served):
	 * whatever the card holds of it goes back now. */
	void (*stop)(void *card, unsigned idx, struct virtq *q);
	/* A command of the card's own (op POLL_WORKER_OWN or above). */
	void (*command)(void *card, const struct poll_worker_cmd *c);
};

/* Starts the worker, "<name>-w", for nr_rings rings (at most
 * POLL_WORKER_MAX_RINGS) with the card's hooks; name also begins every
 * message ("rng": "rng: poll: ..."). NULL with e on failure, nothing left
 * behind. The card's state must be set up before: the worker may call a
 * hook as soon as a command or its timer comes. */
struct poll_worker *poll_worker_start(const char *name, unsigned nr_rings,
				      const struct poll_worker_ops *ops, void *card,
				      struct azerr *e);

/* Puts c in the command slot and returns once the worker has taken it
 * (START and STOP with idx below nr_rings). Not from the worker. */
void poll_worker_send(struct poll_worker *w, const struct poll_worker_cmd *c);

/* Fires the timer in ns, then every interval_ns (0: once); ns 0 disarms
 * it. From the worker's hooks only. */
void poll_worker_arm_timer(struct poll_worker *w, uint64_t ns, uint64_t interval_ns);

#endif
