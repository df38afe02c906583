/* The net card's MMDS (Firecracker's metadata service, cards/net/mmds.h):
 * one stack for the whole card, shared by its queue pairs, set up and
 * replaced by azote's SET_MMDS on the control thread. A pair's transmit
 * path offers it the frames addressed to it before the TAP; its receive
 * path delivers its answers to the guest ahead of the TAP's frames. The
 * stack is not thread-safe: every call into it is under the lock. */
#ifndef AZOTE_CARDS_NET_MMDS_PORT_H
#define AZOTE_CARDS_NET_MMDS_PORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "cards/net/mmds.h"
#include "common/err.h"
#include "iface/card.h"
#include "iface/card_control.h"

/* Answers given back (net_mmds_give_back): one per pair at most. */
#define NET_MMDS_HELD CARD_NET_MAX_PAIRS

struct net_mmds {
	pthread_mutex_t lock;
	struct mmds *m;
	/* The MMDS address (network byte order), 0 while MMDS is off: read
	 * without the lock for every transmitted frame. */
	_Atomic uint32_t addr;
	/* Answers given back, oldest first. */
	struct {
		size_t len;
		uint8_t frame[MMDS_FRAME_MAX];
	} held[NET_MMDS_HELD];
	unsigned nr_held;
};

/* Makes the stack, off. Before the card's seccomp filter: the stack draws
 * its key from getrandom, and jansson seeds its hash tables, now. */
int net_mmds_init(struct net_mmds *nm, struct azerr *e);

/* SET_MMDS (iface/card_control.h): the request and its memfd checked
 * (card_ctl_mmds_map), then the stack given the document and configured.
 * -1 with e: refused (the stack keeps its settings, and its document
 * unless only the settings were refused). fds stay the caller's. */
int net_mmds_set(struct net_mmds *nm, const struct card_ctl_req *req, const int *fds,
		 unsigned nr_fds, struct azerr *e);

/* A frame the guest transmits, frame_len bytes in iov[0..n) (no virtio-net
 * header; csum_partial: its header has NEEDS_CSUM): true when MMDS took
 * it (it must not reach the TAP). Only a frame the stack may take
 * (mmds_frame_is_ours, on its first bytes) is copied, whole, into buf (cap
 * bytes), so that the guest cannot change it while the stack reads it. */
bool net_mmds_tx(struct net_mmds *nm, const struct iovec *iov, unsigned n,
		 size_t frame_len, bool csum_partial, uint8_t *buf, size_t cap);

/* The next answer for the guest into buf (cap >= MMDS_FRAME_MAX), its
 * length, 0 if none waits. Answers given back come first. */
size_t net_mmds_rx(struct net_mmds *nm, uint8_t *buf, size_t cap);

/* An answer net_mmds_rx gave that a pair could not deliver (its receive
 * ring was stopped under it): the stack counts it sent and never sends a
 * segment twice (mmds.h), so it is kept for whichever pair delivers
 * next, not dropped. */
void net_mmds_give_back(struct net_mmds *nm, const uint8_t *frame, size_t len);

/* Whether an answer waits. */
bool net_mmds_pending(struct net_mmds *nm);

#endif
