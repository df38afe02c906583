/* The limits of the cards' options, written once: each card enforces its
 * own, and azote checks its --drive and --net items against the same
 * numbers before it starts a card, so that a value one side takes the
 * other never refuses. */
#ifndef AZOTE_CARDS_LIMITS_H
#define AZOTE_CARDS_LIMITS_H

/* azote-card-blk --queues: request queues, one worker each. */
#define CARD_BLK_MAX_QUEUES 16
/* azote-card-blk --poll-us: how long a worker spins for the next request. */
#define CARD_BLK_MAX_POLL_US 1000
/* azote-card-net --queues: queue pairs, one TAP queue each. */
#define CARD_NET_MAX_PAIRS 8

#endif
