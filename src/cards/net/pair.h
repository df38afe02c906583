/* One queue pair's worker: a thread that owns one TAP queue (fd) and the
 * pair's receive and transmit rings; pair 0's also serves the control
 * ring when the card answers it. It waits in poll() on the ring kicks,
 * the TAP and its command eventfd:
 *  - transmit: takes every available chain (a batch per wake-up), checks
 *    it and writes the frame to the TAP straight from guest memory;
 *  - receive: reads a frame from the TAP and places it in receive buffers.
 *    When the driver has none it keeps the frame, stops reading the TAP
 *    (the kernel queues, then drops, what comes meanwhile) and waits for
 *    the receive kick: no frame read is ever lost for want of buffers;
 *  - notifications follow EVENT_IDX both ways (virtq_notify/rearm);
 *  - rate limits: a transmit chain the limiter refuses stays on the ring,
 *    a frame read that it refuses is kept and the TAP left unread, until
 *    the time the limiter named (the poll timeout), as Firecracker does;
 *  - MMDS (mmds_port.h), once azote set it: a transmitted frame addressed
 *    to it goes to the card's stack instead of the TAP, and the stack's
 *    answers are received ahead of the TAP's frames, by an active pair,
 *    kept like a TAP frame until the driver gives buffers. Neither is
 *    rate limited (Firecracker's are not).
 *
 * Workers are created before the sandbox closes and idle until the
 * vhost-user server gives them rings. */
#ifndef AZOTE_CARDS_NET_PAIR_H
#define AZOTE_CARDS_NET_PAIR_H

#include <stdbool.h>

#include "cards/limiter.h"
#include "cards/net/hdr.h"
#include "cards/net/mmds_port.h"
#include "iface/card_stats.h"
#include "common/err.h"
#include "cards/virtio/virtqueue.h"

enum net_qkind { NET_RXQ, NET_TXQ, NET_CTRLQ, NET_NR_QKINDS };

/* What the workers share with their device. mode and ctrl_mq change only
 * while no ring runs. */
struct net_pair_env {
	const char *tap_name;
	bool multi_queue;           /* TAP queues can be detached */
	unsigned max_pairs;
	const struct net_mode *mode;
	bool ctrl_mq;               /* MQ negotiated with the control ring ours */
	struct card_net_stats *stats;  /* azote's counters page, or NULL */
	/* The card's two limiters, shared by its pairs as Firecracker's
	 * device has one each way: receive (frames from the TAP to the
	 * guest) and transmit. */
	struct card_limiter *rx_limit, *tx_limit;
	struct net_mmds *mmds;      /* the card's MMDS, or NULL */
	/* A control request set the pairs in use (called on pair 0's worker,
	 * which it must not make requests to). */
	void (*set_pairs)(void *ctx, unsigned pairs);
	void *ctx;
};

struct net_stats {
	uint64_t rx_frames, rx_bytes, rx_dropped;
	uint64_t tx_frames, tx_bytes, tx_dropped;
};

struct net_pair;

struct net_pair *net_pair_create(unsigned idx, int tapfd,
				 const struct net_pair_env *env, struct azerr *e);

/* Gives ring q of kind k to the worker (NULL: takes it back) and returns
 * once the worker has made the change: a ring taken back is no longer
 * touched and every chain taken from it is completed. Neither this nor
 * net_pair_set_active may be called by p's own worker. */
void net_pair_set_queue(struct net_pair *p, enum net_qkind k, struct virtq *q);

/* Whether the driver uses this pair (multiqueue): an unused pair's TAP
 * queue is detached so that the kernel steers no frames to it. Returns
 * once applied. */
void net_pair_set_active(struct net_pair *p, bool active);

#endif
