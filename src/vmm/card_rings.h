/* A card's rings as a snapshot carries them: section STATE_CARD_RINGS
 * (base/state.h), index = device number. What a vhost-user back-end needs
 * to take a device's rings up where another one left them: the features
 * the driver chose, the protocol features the front-end used, and per
 * queue its size, guest physical ring addresses, whether it ran, and the
 * next available index (GET_VRING_BASE's answer, given back by
 * SET_VRING_BASE).
 *
 * The wire layout (little-endian, no padding, no pointers):
 *   u32 version (1)   u32 virtio device id   u32 started (0/1)
 *   u32 nr_queues     u64 driver features    u64 protocol features
 *   nr_queues times: u16 size  u16 last_avail  u32 enabled (0/1)
 *                    u64 desc  u64 avail  u64 used     (guest physical)
 *
 * A snapshot file is user input: card_rings_decode checks every field
 * against the device it is loaded into and names the device and field. */
#ifndef AZOTE_VMM_CARD_RINGS_H
#define AZOTE_VMM_CARD_RINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CARD_RINGS_VERSION    1
#define CARD_RINGS_MAX_QUEUES 32
#define CARD_RINGS_HDR_SIZE   32
#define CARD_RINGS_QUEUE_SIZE 32

struct card_ring {
	uint16_t size;
	uint16_t last_avail;        /* next avail entry the back-end takes */
	bool enabled;
	uint64_t desc, avail, used; /* guest physical addresses */
};

struct card_rings {
	uint32_t virtio_id;
	bool started;               /* the back-end ran the rings */
	unsigned nr_queues;
	uint64_t features;          /* the driver's, as the transport has them */
	uint64_t protocol_features; /* vhost-user, as negotiated */
	struct card_ring q[CARD_RINGS_MAX_QUEUES];
};

/* What the device a section is loaded into allows. */
struct card_rings_expect {
	const char *dev;            /* for messages: "virtio-blk drive0" */
	uint32_t virtio_id;
	unsigned nr_queues;
	unsigned queue_max_size;
};

/* Bytes the section of nr_queues queues takes. */
size_t card_rings_size(unsigned nr_queues);

/* Writes r into buf, card_rings_size(r->nr_queues) bytes. */
void card_rings_encode(const struct card_rings *r, unsigned char *buf);

/* Reads and checks a section: length, version, device id and queue count
 * as expected, flags 0 or 1; for a started device, each enabled queue's
 * size a power of 2 within the maximum and its ring parts aligned (§2.7:
 * 16, 2, 4) — before DRIVER_OK a driver may leave anything there, and
 * a device saved so must load. A started device may have no queue
 * enabled (DRIVER_OK with none). Whether the addresses are in guest RAM,
 * and whether the queues are the transport's, is the restorer's to check. */
int card_rings_decode(const void *data, size_t len, const struct card_rings_expect *x,
		      struct card_rings *r, struct azerr *e);

/* A device's configuration as azote shows it to the guest (vhost_dev's
 * cached copy), section STATE_CARD_CONFIG, index = device number: what a
 * new card cannot give back, such as a balloon's target (azote's, changed
 * by PATCH /balloon) and what its driver said it holds (actual).
 *
 *   u32 version (1)   u32 virtio device id   u32 size   size bytes
 *
 * A snapshot written before the section existed has none: the device then
 * shows what its new card and the recorded configuration give (refused
 * for a kind whose configuration the VM computes, device_kind.h's
 * config_fixed: it came after the section). */
#define CARD_CONFIG_VERSION  1
#define CARD_CONFIG_HDR_SIZE 12

size_t card_config_size(unsigned config_size);
void card_config_encode(uint32_t virtio_id, const void *config, unsigned config_size,
			unsigned char *buf);
/* Checks a section against the device (dev names it, virtio_id and
 * config_size are its own): length, version, device id, size; then copies
 * the bytes to config. */
int card_config_decode(const void *data, size_t len, const char *dev, uint32_t virtio_id,
		       unsigned config_size, void *config, struct azerr *e);

/* The queue pairs a net device's driver put in use (VQ_PAIRS_SET,
 * §5.1.6.5.5), which its card keeps and a new card must be told: section
 * STATE_CARD_NET_PAIRS, index = device number, only for a net device whose
 * driver negotiated MQ with CTRL_VQ and whose card ran its rings.
 *
 *   u32 version (1)   u32 pairs
 *
 * A snapshot without it (written before it existed) loads as before: the
 * new card serves one pair until the driver says otherwise. */
#define CARD_NET_PAIRS_VERSION 1
#define CARD_NET_PAIRS_SIZE    8

void card_net_pairs_encode(unsigned pairs, unsigned char buf[CARD_NET_PAIRS_SIZE]);
/* Checks a section against the device (dev names it; max_pairs, its
 * pairs): length, version, pairs 1 to max_pairs, into *pairs. */
int card_net_pairs_decode(const void *data, size_t len, const char *dev, unsigned max_pairs,
			  unsigned *pairs, struct azerr *e);

#endif
