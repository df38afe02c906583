/* The control channel: what azote asks of a running card that vhost-user
 * has no message for, Firecracker's updates after boot (PATCH /drives and
 * /network-interfaces): new rate limits, and a block card's new image;
 * a net card's MMDS (at boot, and on every PUT or PATCH /mmds) and its
 * queue pairs in use (a snapshot's save and restore); a balloon card's
 * statistics interval; and, on a restore, that guest RAM is all loaded.
 *
 * A SOCK_SEQPACKET socketpair, the card's end on fd CARD_CONTROL_FD
 * (--control-fd). One request, one reply, in turn: azote sends a struct
 * card_ctl_req (with the image's fds as SCM_RIGHTS for SET_IMAGE: a card
 * confined to an empty root cannot open a path), the card answers a struct
 * card_ctl_reply. Both processes are built from one tree, but each side
 * checks what it receives: the card the request (sizes, flags, fds), azote
 * the reply (a compromised card may send anything). */
#ifndef AZOTE_IFACE_CARD_CONTROL_H
#define AZOTE_IFACE_CARD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "iface/rate_limit.h"

#define CARD_CONTROL_FD 5
#define CARD_OPT_CONTROL_FD "control-fd"  /* N: the control channel */

enum card_ctl_op {
	/* limit[0] for a block card's requests; a net card's rx in
	 * limit[0], tx in limit[1]. Each replaces the card's whole limiter
	 * (the caller merges buckets as Firecracker's PATCH does). */
	CARD_CTL_SET_LIMITS = 1,
	/* A block card's new image: one fd, or two with --direct (the second
	 * opened O_DIRECT), opened as the drive's read-only flag says. The
	 * reply carries its size in sectors. */
	CARD_CTL_SET_IMAGE = 2,
	/* A net card's MMDS: req.mmds, and the document (JSON, mmds.size
	 * bytes) as one memfd sealed against every change, so that what
	 * the card checked stays what it serves. Each replaces the last. */
	CARD_CTL_SET_MMDS = 3,
	/* On a lazy restore from a memory file, guest RAM is all in the
	 * memfd now (azote's --prefetch-mem has copied it in): the card's
	 * pager, idle from now on, unregisters its mappings and ends
	 * (common/uffd_pager.h, uffd_pager_finish). Every card takes it;
	 * one with no such pager refuses it. No fds. */
	CARD_CTL_MEM_LOADED = 4,
	/* A balloon card's statistics interval (Firecracker's PATCH
	 * /balloon/statistics): req.stats_interval_s, 1 to
	 * CARD_BALLOON_MAX_STATS_INTERVAL, on a card started with statistics.
	 * The card gives the guest its statistics buffer back at once, so
	 * that fresh figures come now, then every interval. No fds. */
	CARD_CTL_SET_STATS_INTERVAL = 5,
	/* A net card's queue pairs in use (§5.1.6.5.5), which its driver
	 * chose with VQ_PAIRS_SET on the control queue the card serves:
	 * req.net_pairs 0 asks, 1 to the card's pairs puts that many in use
	 * (a snapshot's restore tells a new card what the old one had); the
	 * reply's net_pairs is the count in use. Taken only while the
	 * driver's features have multiqueue with the control queue. No
	 * fds. */
	CARD_CTL_NET_PAIRS = 6,
};

/* The largest MMDS document (--mmds-size-limit's largest value). */
#define CARD_CTL_MMDS_MAX (1u << 30)

struct card_ctl_mmds {
	uint32_t ipv4;               /* network byte order, link-local */
	uint8_t version;             /* 1 or 2 */
	uint8_t imds_compat;         /* 0 or 1 */
	uint8_t pad[2];
	uint64_t size;               /* the memfd's, 1 to CARD_CTL_MMDS_MAX */
};

/* A rate_limiter with fixed-width fields. */
struct card_ctl_limiter {
	uint8_t has_bandwidth, has_ops, pad[6];
	struct token_bucket bandwidth, ops;
};

struct card_ctl_req {
	uint32_t op;
	uint32_t nr_limits;          /* SET_LIMITS: 1 (block) or 2 (net) */
	uint8_t given[2], pad[6];    /* SET_LIMITS: 0 leaves limiter i as it is */
	struct card_ctl_limiter limit[2];
	struct card_ctl_mmds mmds;   /* SET_MMDS */
	uint32_t stats_interval_s;   /* SET_STATS_INTERVAL */
	uint32_t net_pairs;          /* NET_PAIRS: 0 asks, 1..: sets */
};

#define CARD_CTL_MAX_FDS 2

struct card_ctl_reply {
	int32_t status;              /* 0, or a positive errno */
	uint32_t net_pairs;          /* NET_PAIRS: the pairs in use */
	uint64_t sectors;            /* SET_IMAGE: the new image's size */
	char msg[240];               /* why, when status is not 0 */
};

/* What an answer takes at most: the card's image swap waits for its
 * requests in flight to complete. */
#define CARD_CTL_TIMEOUT_MS 10000

void card_ctl_limiter_put(struct card_ctl_limiter *w, const struct rate_limiter *rl);
/* The card's side of SET_LIMITS: the request's limiters into rl[want]
 * and whether each is given into given[want]; -1 with e (rl and given
 * untouched) unless it holds exactly want of them, each with flags 0 or 1
 * and refill times a card's command line would take, and every byte that
 * carries nothing is 0: padding, a limiter not given or beyond want, a
 * bucket not set, the other requests' fields (card_ctl_limiter_put sends
 * them so). */
int card_ctl_limits(const struct card_ctl_req *req, unsigned want,
		    struct rate_limiter *rl, bool *given, struct azerr *e);

/* The card's side of NET_PAIRS: req->net_pairs, 0 (a question) or 1 to
 * max_pairs (the card's); -1 with e if it is not, or fds came with it. */
int card_ctl_net_pairs(const struct card_ctl_req *req, unsigned nr_fds, unsigned max_pairs,
		       struct azerr *e);
/* azote's side: the pairs a card's reply to NET_PAIRS asked says are in
 * use, 1 to max_pairs (the device's), and asked itself when asked sets
 * them; -1 with e otherwise (a compromised card may answer anything). */
int card_ctl_net_pairs_reply(const struct card_ctl_reply *rep, unsigned asked,
			     unsigned max_pairs, struct azerr *e);

/* azote's side of SET_MMDS: a memfd holding json's len bytes, sealed
 * (F_SEAL_SEAL, SHRINK, GROW, WRITE); -1 with e. */
int card_ctl_mmds_memfd(const char *json, size_t len, struct azerr *e);
/* The card's side: checks req->mmds (version, flag, padding, size) and
 * that fds is one memfd of that size sealed so; maps it read-only into
 * *doc (munmap(*doc, req->mmds.size) when done). -1 with e. The fds stay
 * the caller's. */
int card_ctl_mmds_map(const struct card_ctl_req *req, const int *fds, unsigned nr_fds,
		      const void **doc, struct azerr *e);

/* azote's side: sends req with nr_fds fds and waits up to
 * CARD_CTL_TIMEOUT_MS for the reply. -1 with e if the channel fails, the
 * card has not read earlier requests (the send never waits), does not
 * answer in time or sends something that is not a reply;
 * a reply's own failure is rep->status / rep->msg (NUL-terminated here). */
int card_ctl_call(int fd, const struct card_ctl_req *req, const int *fds,
		  unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e);

/* The card's side: the next request, with up to CARD_CTL_MAX_FDS fds
 * (close-on-exec) in fds[] and their number in *nr_fds. 0 when azote
 * closed the channel, -1 with e for a request that is not one (its fds
 * closed; an empty message among them, which a SOCK_SEQPACKET read also
 * gives as 0 bytes; and a known request with a byte outside its own
 * fields not 0), 1 for a request. */
int card_ctl_recv(int fd, struct card_ctl_req *req, int *fds, unsigned *nr_fds,
		  struct azerr *e);
int card_ctl_send_reply(int fd, const struct card_ctl_reply *rep);

#endif
