/* The virtio-balloon device a balloon card presents over vhost-user
 * (virtio 1.2 §5.5): two to four rings (virtio/virtio_balloon.h numbers
 * them), an 8-byte configuration space that azote owns, and one worker
 * thread that serves every ring (request.h) and the statistics timer
 * from its start in create to the card's end. The vhost-user thread hands
 * rings over with queue_start and takes them back with queue_stop, and
 * the control thread changes the statistics interval, both through one
 * command slot (docs/architecture.md, "How a card hands rings to its
 * workers"). */
#ifndef AZOTE_CARDS_BALLOON_DEVICE_H
#define AZOTE_CARDS_BALLOON_DEVICE_H

#include <stdint.h>

#include "cards/vhost/backend.h"
#include "iface/card_stats.h"

#define BALLOON_MAX_RINGS 4

struct balloon_worker;

struct balloon_device {
	struct vu_device vu;
	/* The driver's features once it chose (before that, those offered):
	 * they number its rings, as Linux's driver skips the rings of
	 * features it did not take. Vhost-user thread only. */
	uint64_t features;
	uint32_t actual;            /* the driver's last `actual`, for logs */
	struct balloon_worker *w;
};

/* Sets the device up offering balloon_features (VIRTIO_BALLOON_F_*, from
 * balloon_opts_features) and starts its worker, which asks for
 * statistics every stats_interval_s seconds (0: STATS_VQ must not be
 * offered), counting into stats (NULL: counted nowhere). */
int balloon_device_init(struct balloon_device *d, uint64_t balloon_features,
			unsigned stats_interval_s, struct card_balloon_stats *stats,
			struct azerr *e);

/* azote's CARD_CTL_SET_STATS_INTERVAL (1 s or more, on a device with
 * statistics: the caller checks): the held statistics buffer goes back to
 * the guest now, and the timer runs at the new interval. From any thread
 * but the worker's. */
void balloon_device_set_interval(struct balloon_device *d, unsigned seconds);

#endif
