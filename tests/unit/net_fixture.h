/* A device-side virtq over the host driver's test memory (tests/host/
 * drv_ring.h): the driver half posts buffers as a guest would, the device
 * half is the card's own code. Regions as in drv_ring.h, so buffers can
 * straddle a region boundary and live above 4 GiB. */
#ifndef AZOTE_TESTS_UNIT_NET_FIXTURE_H
#define AZOTE_TESTS_UNIT_NET_FIXTURE_H

#include "../host/drv_ring.h"
#include "cards/virtio/gmem.h"
#include "cards/virtio/virtqueue.h"
#include "virtio/virtio.h"

/* The ring features a modern guest's driver takes (the entropy and
 * balloon tests' rings). */
#define NET_FX_RING_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) |			\
			      VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |		\
			      VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

struct net_fx {
	struct drv_mem mem;
	struct drv_vq dq;           /* driver side */
	struct gmem gm;
	struct virtq q;             /* device side */
	uint64_t buf;               /* 1 MiB of low memory for buffers */
};

/* Sets up a ring of num entries with the given virtio features (EVENT_IDX
 * and INDIRECT_DESC matter). Returns 0 or fails the test. */
void net_fx_init(struct net_fx *f, unsigned num, uint64_t features);
void net_fx_fini(struct net_fx *f);

/* Posts one buffer of len bytes at gpa, device-writable or not; returns
 * its head. */
int net_fx_post(struct net_fx *f, uint64_t gpa, uint32_t len, bool write);
/* Posts one device-writable buffer of len bytes at gpa; returns its head. */
int net_fx_post_rx(struct net_fx *f, uint64_t gpa, uint32_t len);

/* The next completion, which must be head's: its used length. */
uint32_t net_fx_used(struct net_fx *f, int head);
/* Fails the test if a completion is left. */
void net_fx_no_more_used(struct net_fx *f);

#endif
