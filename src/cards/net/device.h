/* The virtio-net device a net card presents over vhost-user: features,
 * configuration space, which vring is which queue, and the queue pair
 * workers that do the work. */
#ifndef AZOTE_CARDS_NET_DEVICE_H
#define AZOTE_CARDS_NET_DEVICE_H

#include <pthread.h>

#include "cards/net/hdr.h"
#include "cards/net/pair.h"
#include "cards/net/tap.h"
#include "iface/card_stats.h"
#include "common/netaddr.h"
#include "cards/vhost/backend.h"

/* Receive and transmit rings per pair, plus the control ring. */
#define NET_MAX_RINGS (2 * NET_MAX_PAIRS + 1)
/* The config space served: mac, status, max_virtqueue_pairs, mtu. */
#define NET_CONFIG_SIZE 12

struct net_ring_role {
	unsigned pair;
	enum net_qkind kind;
};

struct net_device {
	struct tap tap;             /* opened by the caller, tap.nr pairs */
	unsigned nr_pairs;
	uint8_t mac[MAC_LEN];
	unsigned mtu;               /* offered with VIRTIO_NET_F_MTU; 0: not */
	uint64_t features;          /* the driver's */
	struct net_mode mode;       /* what they mean for the data path */
	struct net_pair_env env;
	/* The pairs the driver uses when the control queue is ours
	 * (env.ctrl_mq, §5.1.6.5.5): 1 for a new driver, then what
	 * VQ_PAIRS_SET chose, or azote's NET_PAIRS on a restore. Under
	 * pairs_lock with env.ctrl_mq, which also keeps each change applied
	 * to the workers whole: pair 0's worker (the control ring), the
	 * control thread (azote) and the vhost-user thread make them. */
	pthread_mutex_t pairs_lock;
	unsigned pairs_in_use;
	struct card_limiter rx_limit, tx_limit;
	struct net_mmds mmds;       /* off until azote's SET_MMDS */
	struct net_pair *pairs[NET_MAX_PAIRS];
	struct net_ring_role role[NET_MAX_RINGS];  /* of each running ring */
	struct vu_device vu;
};

/* Sets up the device on d->tap (one pair per TAP queue) and starts the
 * workers. mtu: 0 or NET_MIN_MTU..NET_MAX_MTU; stats: azote's counters,
 * or NULL; rx, tx: the rate limiters' buckets (NULL: no limit). */
int net_device_init(struct net_device *d, const uint8_t mac[MAC_LEN],
		    unsigned mtu, struct card_net_stats *stats,
		    const struct rate_limiter *rx, const struct rate_limiter *tx,
		    struct azerr *e);

/* azote's NET_PAIRS (iface/card_control.h), on the control thread: want
 * 1 to nr_pairs puts that many pairs in use, as the driver's VQ_PAIRS_SET
 * would (a snapshot's restore carries the count to a new card); 0 only
 * asks. Returns the pairs in use; -1 with e while the driver's features
 * have no multiqueue with the control queue. */
int net_device_pairs(struct net_device *d, unsigned want, struct azerr *e);

/* The virtio features offered for nr_pairs pairs and an MTU (0: none). */
uint64_t net_device_features(unsigned nr_pairs, unsigned mtu);

/* The config space as the driver reads it. */
void net_device_config(const struct net_device *d, struct virtio_net_config *c);

/* Which queue vring idx is for a driver with these features (§5.1.2: the
 * control queue follows the pairs in use, so its index depends on MQ).
 * -1 if the driver has no such queue. */
int net_ring_role(unsigned idx, uint64_t features, unsigned nr_pairs,
		  struct net_ring_role *r);

#endif
