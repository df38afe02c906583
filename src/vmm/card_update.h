/* What azote changes in a running card: Firecracker's PATCH of a drive
 * (its file, its rate limiter) or of a network interface (its rate
 * limiters) after boot, a net card's MMDS, a lazy restore's end, and a net
 * card's queue pairs in use around a snapshot, sent over the card's
 * control channel (iface/card_control.h). A device served by someone
 * else's vhost-user process has no such channel: its changes are refused.
 *
 * Called on the main thread (the API's requests, the event loop), while
 * the guest runs, or is paused for a snapshot. */
#ifndef AZOTE_VMM_CARD_UPDATE_H
#define AZOTE_VMM_CARD_UPDATE_H

#include <stdbool.h>

#include "iface/rate_limit.h"
#include "vmm/vm_config.h"
#include "vmm/vhost_dev.h"

/* rl[i] replaces the card's limiter i (block: requests; net: rx, tx);
 * NULL leaves it as it is. */
int card_update_limits(struct vhost_dev *d, const struct rate_limiter *const *rl,
		       unsigned n, struct azerr *e);

/* The block card behind d serves path from now on, opened as read_only
 * says (and a second time O_DIRECT when direct). Requests in flight finish
 * on the old image; the guest sees the new capacity through a
 * configuration change interrupt (virtio 1.2 §5.2.4, §2.5.1). */
int card_update_image(struct vhost_dev *d, const char *path, bool read_only, bool direct,
		      struct azerr *e);

/* The net card behind d serves MMDS with settings s and the document
 * json (NUL-terminated JSON) from now on. */
int card_update_mmds(struct vhost_dev *d, const struct mmds_settings *s, const char *json,
		     struct azerr *e);

/* The queue pairs the driver of the net card behind d uses (VQ_PAIRS_SET,
 * which the card keeps), pairs 0; or pairs 1 to max_pairs (the device's)
 * put in use, as a snapshot's restore tells a new card. Only while the
 * driver's features have multiqueue with the control queue. Returns the
 * count in use, which the card's reply must give as 1 to max_pairs (and
 * as pairs when set); -1 with e. */
int card_update_net_pairs(struct vhost_dev *d, unsigned pairs, unsigned max_pairs,
			  struct azerr *e);

/* The balloon card behind d asks the guest for statistics every
 * interval_s seconds (1 to CARD_BALLOON_MAX_STATS_INTERVAL) from now on,
 * and at once (Firecracker's PATCH /balloon/statistics). */
int card_update_stats_interval(struct vhost_dev *d, unsigned interval_s, struct azerr *e);

/* The balloon behind d gets amount_mib as its target (Firecracker's PATCH
 * /balloon): num_pages in the configuration azote keeps and the guest
 * reads, then a configuration change interrupt once its driver runs (a
 * driver not started yet reads the new target when it starts). Nothing
 * goes to the card, which reads num_pages from no one. */
void card_update_balloon_target(struct vhost_dev *d, uint32_t amount_mib);

/* On a lazy restore whose prefetch has put all of guest RAM in the memfd:
 * the card behind d ends the pager that served its own mapping. */
int card_update_mem_loaded(struct vhost_dev *d, struct azerr *e);

#endif
