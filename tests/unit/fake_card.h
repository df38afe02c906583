/* The card side of vmm/vhost_dev.c, for test_vhost_devs_state and
 * fuzz_vhost_devs, which link no vhost-user and start no process:
 * vhost_dev_start_rings and vhost_dev_stop_rings keep the device's
 * bookkeeping as the real ones do and record what the card was asked, the
 * transport's backend ops (fake_card_be_ops, ctx the vhost_dev) do what
 * vd_start and vd_stop do, and card_update_net_pairs answers as a net
 * card's control channel would. Also what a guest's driver does to a
 * device through its transport's registers. */
#ifndef AZOTE_TESTS_FAKE_CARD_H
#define AZOTE_TESTS_FAKE_CARD_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_dev.h"
#include "vmm/vhost_dev.h"

#define FAKE_CARD_QUEUES 8

/* What the card was asked and what it answers. */
struct fake_card {
	int starts, stops;
	uint16_t started_at[FAKE_CARD_QUEUES]; /* SET_VRING_BASE of the last start */
	uint16_t stop_at[FAKE_CARD_QUEUES];    /* GET_VRING_BASE's answer */
	int refuse_queue;                      /* a start fails at this queue; -1: none */
	bool stop_fails;
	/* A net card's NET_PAIRS: the pairs in use, the requests made (the
	 * last one's count and maximum, and the ring stops and starts
	 * before it), and whether it refuses them. */
	unsigned pairs, pairs_calls, pairs_asked, pairs_max;
	int stops_before_pairs, starts_before_pairs;
	bool pairs_refused;
};

/* The card behind d: each user of the fake says where it keeps them. */
struct fake_card *fake_card_of(struct vhost_dev *d);

extern const struct virtio_backend_ops fake_card_be_ops;

/* A card that refuses nothing, with one pair in use. */
void fake_card_init(struct fake_card *c);

/* d, of kind k in vm, with vd as its transport's common state: nr_queues
 * of up to 256 entries, the card offering features, the configuration
 * 0x5a bytes. 0, or -1 with e. */
int fake_card_dev_init(struct vhost_dev *d, struct virtio_dev *vd, struct vm *vm,
		       const struct device_kind *k, unsigned nr_queues, uint64_t features,
		       struct azerr *e);

/* The driver: up to FEATURES_OK with every feature the card offers. */
void fake_driver_negotiate(struct virtio_dev *vd, uint64_t features);
/* Queue q of 64 entries enabled, its rings at desc, +0x1000, +0x2000. */
void fake_driver_enable_queue(struct virtio_dev *vd, unsigned q, uint64_t desc);

#endif
