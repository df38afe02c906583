/* The device side of a split virtqueue (virtio 1.2 §2.7), shared by every
 * card. The driver on the other side is untrusted: every chain is checked
 * where it enters (virtq_pop), and a bad chain costs that request only.
 *
 * Threading: one thread owns a started virtq (pop, push, notify); the
 * vhost-user server touches it only while it is stopped. */
#ifndef AZOTE_CARDS_VIRTIO_VIRTQUEUE_H
#define AZOTE_CARDS_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/err.h"
#include "cards/virtio/gmem.h"
#include "cards/virtio/vlog.h"
#include "virtio/ring.h"

struct virtq {
	/* Set up by virtq_start from the vhost-user vring state. */
	const struct gmem *mem;
	unsigned num;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	bool event_idx;          /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;           /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	int callfd;              /* eventfd to signal, -1: none (polling driver) */
	int kickfd;              /* eventfd the driver kicks, for the device */

	uint16_t last_avail;     /* next avail entry to take */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last notification decision */
	bool signalled_valid;
	bool broken;             /* the driver broke the ring: stop taking work */
	uint64_t bad_chains;     /* requests failed for malformed chains */

	/* Dirty logging (virtq_set_log), NULL when off: the log the pages of
	 * written buffers go to (VHOST_F_LOG_ALL), and the one the used
	 * ring's writes go to, at its guest address used_gpa
	 * (VHOST_VRING_F_LOG). */
	struct vlog *log;
	struct vlog *used_log;
	uint64_t used_gpa;
};

/* One request as the device sees it: the head index to complete, then the
 * device-readable buffers followed by the device-writable ones, as host
 * iovecs into guest memory. The caller provides iov and cap. */
struct virtq_chain {
	uint16_t head;
	unsigned nr_out, nr_in;  /* iov[0..nr_out) readable, then nr_in writable */
	uint64_t out_len, in_len;
	struct iovec *iov;
	unsigned cap;
};

/* Largest byte count a chain may carry each way: used.len is 32 bits. */
#define VIRTQ_MAX_CHAIN_BYTES 0xffffffffULL

/* Binds q to the ring at desc/avail/used: frontend virtual addresses when
 * uva is true (vhost-user), else guest physical. Checks num (power of 2,
 * 1..32768), alignment (§2.7: 16/2/4) and that each part lies inside one
 * memory region. last_avail comes from VHOST_USER_SET_VRING_BASE; the used
 * index is read back from the ring. features: the negotiated virtio
 * features (EVENT_IDX and INDIRECT_DESC matter here). callfd and kickfd
 * are left as the caller set them. */
int virtq_start(struct virtq *q, const struct gmem *mem, unsigned num,
		uint64_t desc, uint64_t avail, uint64_t used, bool uva,
		uint16_t last_avail, uint64_t features, struct azerr *e);

/* Takes the next available request into c. Returns 1 with a checked
 * chain; 0 when the ring is empty (or broken); -1 when the request taken
 * was malformed: completed with length 0 here (counted in bad_chains,
 * logged), so callers only ever see valid chains, and more may wait. One
 * at most per call: a driver that keeps malformed chains coming (each may
 * cost a walk of a 32768-entry indirect table) cannot hold a caller in
 * here; callers count each such try against the budget of their pass. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Validates and maps the chain starting at head into c; no ring state
 * changes. Returns -1 with a reason in e. Exposed for tests and fuzzing. */
int virtq_map_chain(const struct virtq *q, uint16_t head, struct virtq_chain *c,
		    struct azerr *e);

/* Completes chain c (as virtq_pop gave it) with len bytes written: logs
 * the first len bytes of its writable part as written (virtq_log_write),
 * puts it on the used ring and publishes it. */
void virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t len);

/* virtq_push for a device whose used length does not say where it wrote
 * (a block request's status byte ends the chain, whatever the length):
 * the caller logged its writes itself with virtq_log_write. */
void virtq_push_logged(struct virtq *q, const struct virtq_chain *c, uint32_t len);

/* Writes c's used element n places past the published used index without
 * publishing it, after logging its first len writable bytes as virtq_push
 * does; virtq_flush publishes count filled elements at once. For devices
 * that complete several chains as one unit (a network frame spread over
 * mergeable receive buffers): the driver must never see a part. */
void virtq_fill(struct virtq *q, unsigned n, const struct virtq_chain *c, uint32_t len);
void virtq_flush(struct virtq *q, unsigned count);

/* Dirty logging. Every write a device makes into guest memory must reach
 * the log before the driver can see it: the bytes a used length reports
 * are logged by virtq_push/virtq_fill; a device whose writes that length
 * does not describe (the block card) logs them with virtq_log_write and
 * completes with virtq_push_logged. The used ring's own writes are logged
 * here. With logging off each costs one branch. */

/* Turns logging on for a started q: buffers (VHOST_F_LOG_ALL negotiated)
 * into log, and the used ring (VHOST_VRING_F_LOG) at guest address
 * used_gpa. log NULL (no SET_LOG_BASE): buffers are not logged, and a
 * used ring to log is refused. Refuses a log that does not cover the
 * memory table (buffers) or the used ring, and a used_gpa that is not
 * where the memory table puts the used ring. On failure logging is off. */
int virtq_set_log(struct virtq *q, struct vlog *log, bool buffers, bool used,
		  uint64_t used_gpa, struct azerr *e);

/* Logs bytes [off, off + len) of c's writable part as written (clipped to
 * its end). */
void virtq_log_write(struct virtq *q, const struct virtq_chain *c, uint64_t off,
		     uint64_t len);

/* virtq_rearm for a device that needs more than what is available (a
 * frame needs more receive buffers than the driver has posted): asks for
 * a kick once the driver makes entries available beyond index idx (where
 * the ring was found empty) and returns true if it already has. */
bool virtq_rearm_at(struct virtq *q, uint16_t idx);

/* For a device that polls the ring: asks the driver not to kick until
 * virtq_rearm (VIRTQ_USED_F_NO_NOTIFY, or under EVENT_IDX an avail_event
 * left where it was). The driver may still kick; that is harmless. */
void virtq_suppress_kicks(struct virtq *q);

/* Whether the driver has made requests available that virtq_pop has not
 * taken (false once the ring is broken). One read of avail->idx: cheap
 * enough to spin on. */
bool virtq_has_avail(const struct virtq *q);

/* The driver's avail index (one acquire read of avail->idx). */
uint16_t virtq_avail_idx(const struct virtq *q);

/* Gives the last n chains virtq_pop returned back to the ring, to be taken
 * again by the next pops (a device that found too few buffers for its
 * work). Exact only if no malformed chain was skipped since the first of
 * them: compare bad_chains before and after popping. */
void virtq_unpop(struct virtq *q, unsigned n);

/* Signals callfd if the driver wants an interrupt for what was pushed since
 * the last call (EVENT_IDX's used_event, or VIRTQ_AVAIL_F_NO_INTERRUPT). */
void virtq_notify(struct virtq *q);

/* A ring's eventfds (kick, call, error) are the front-end's, and so is the
 * open file each shares with the card, file flags included: the back-end
 * sets O_NONBLOCK on each as it takes it (vhost/backend.c), and the
 * front-end can clear it again. */

/* Takes the kicks pending on kickfd without waiting, whatever its
 * O_NONBLOCK says: eventfd reads honour RWF_NOWAIT (Linux 5.10 on; before,
 * a plain read relies on O_NONBLOCK). False
 * when kickfd gives no count (it is no eventfd); none pending (a kick
 * another reader of the file took first) is no failure. */
bool virtq_take_kicks(int kickfd);

/* Adds one to a call or error eventfd (fd < 0: none). Eventfd writes
 * know no RWF_NOWAIT: this relies on O_NONBLOCK, and waits for a reader
 * if the front-end cleared it and filled the counter (docs/security.md,
 * "Cards"). */
void virtq_signal(int fd);

/* Re-arms kicks after the ring was drained: publishes avail_event under
 * EVENT_IDX, else clears VIRTQ_USED_F_NO_NOTIFY. Returns true if more
 * requests arrived meanwhile, in which case the caller must pop again
 * rather than wait for a kick. */
bool virtq_rearm(struct virtq *q);

#endif
