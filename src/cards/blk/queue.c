#include "cards/blk/queue.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cards/limiter.h"
#include "common/log.h"
#include "cards/virtio/iov.h"

/* Requests one queue keeps in flight, and the iovecs one request may use
 * (seg_max in the config, plus header and status, plus region splits). */
#define BLK_INFLIGHT 128
#define BLK_IOV_MAX  260
#define RING_SQ      256
/* Enough completions for every SQE that can be in flight at once. */
#define RING_CQ      (BLK_INFLIGHT * BLK_MAX_SEGS * 2)
#define IO_ERR_LOG_LIMIT 8

/* What a completion's user_data points at: each starts with a tag. */
enum ud_tag { UD_CTRL = 1, UD_KICK, UD_CANCEL, UD_TIMER, UD_IO };

struct blk_req;

struct blk_io {
	uint8_t tag;          /* UD_IO */
	uint8_t seg;          /* DISCARD/WRITE_ZEROES segment */
	bool fallback;        /* WRITE_ZEROES tries the other way of zeroing */
	struct blk_req *req;
};

struct blk_req {
	struct blk_req *next_free;
	struct virtq_chain chain;
	struct blk_op op;
	int pending;          /* SQEs not yet completed */
	int err;              /* first failure (negative errno) */
	bool synced;          /* write-through: its sync was submitted */
	struct blk_io io[BLK_MAX_SEGS];
	struct iovec iov[BLK_IOV_MAX];
	struct iovec data[BLK_IOV_MAX];
};

enum blk_cmd { CMD_NONE, CMD_START, CMD_STOP, CMD_BOOT };

struct blk_queue {
	unsigned idx;
	const struct blk_queue_shared *sh;
	struct io_uring ring;
	pthread_t thread;
	int ctrlfd;
	uint8_t ctrl_tag, kick_tag, cancel_tag, timer_tag;
	uint64_t ctrl_buf, kick_buf;
	struct __kernel_timespec timer_ts;

	/* Commands from the vhost-user thread, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum blk_cmd cmd;
	struct virtq *next_q;

	/* The worker's own state. */
	struct virtq *q;      /* the running ring, NULL when idle */
	bool stopping;
	bool kick_armed;
	/* The rate limiter refused a request: none is taken until the
	 * timer (an io_uring timeout) fires. */
	bool throttled;
	unsigned inflight;
	unsigned io_errors;
	int boot_err;         /* the worker could not enable its ring (-errno) */
	struct blk_req *free;
	struct blk_req reqs[BLK_INFLIGHT];
};

static struct io_uring_sqe *get_sqe(struct blk_queue *bq, void *ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&bq->ring);

	if (!sqe) {
		/* SQ full: hand what is queued to the kernel to make room. */
		io_uring_submit(&bq->ring);
		sqe = io_uring_get_sqe(&bq->ring);
	}
	if (!sqe) {
		log_error("blk queue %u: io_uring submission queue stuck", bq->idx);
		abort();
	}
	io_uring_sqe_set_data(sqe, ud);
	return sqe;
}

static void arm_ctrl(struct blk_queue *bq)
{
	io_uring_prep_read(get_sqe(bq, &bq->ctrl_tag), bq->ctrlfd, &bq->ctrl_buf,
			   sizeof(bq->ctrl_buf), 0);
}

static void arm_kick(struct blk_queue *bq)
{
	io_uring_prep_read(get_sqe(bq, &bq->kick_tag), bq->q->kickfd, &bq->kick_buf,
			   sizeof(bq->kick_buf), 0);
	bq->kick_armed = true;
}

static void ack_cmd(struct blk_queue *bq)
{
	pthread_mutex_lock(&bq->lock);
	bq->cmd = CMD_NONE;
	pthread_cond_broadcast(&bq->cond);
	pthread_mutex_unlock(&bq->lock);
}

/* Waits until the worker has acknowledged the pending command. */
static void wait_cmd(struct blk_queue *bq)
{
	pthread_mutex_lock(&bq->lock);
	while (bq->cmd != CMD_NONE)
		pthread_cond_wait(&bq->cond, &bq->lock);
	pthread_mutex_unlock(&bq->lock);
}

/* One completed request in azote's metrics. */
static void count(struct card_blk_stats *st, const struct blk_op *op, uint8_t status)
{
	if (!st)
		return;
	if (status != VIRTIO_BLK_S_OK) {
		/* Refused at parsing (never read) or failed in I/O. */
		card_stat_add(op->kind == BLK_OP_NONE || op->kind == BLK_OP_STATUS ?
			      &st->invalid_reqs : &st->io_errors, 1);
		return;
	}
	switch (op->kind) {
	case BLK_OP_READ:
		card_stat_add(&st->read_count, 1);
		card_stat_add(&st->read_bytes, op->data_len);
		break;
	case BLK_OP_WRITE:
		card_stat_add(&st->write_count, 1);
		card_stat_add(&st->write_bytes, op->data_len);
		break;
	case BLK_OP_FLUSH:
		card_stat_add(&st->flush_count, 1);
		break;
	default:
		break;
	}
}

/* Logs what r wrote into guest memory (a dirty log is on): its data from
 * the start of the writable part (a read's, all of it even when the read
 * failed, since it may have written any part; GET_ID's serial), and the
 * status byte, which ends the writable part. The used length says neither
 * where the status byte is nor what a failed read wrote. */
static void log_writes(struct blk_queue *bq, const struct blk_req *r, uint8_t status)
{
	const struct blk_op *op = &r->op;
	uint64_t data = 0;

	if (!op->status_ptr)
		return;  /* nothing written (no writable buffer) */
	if (op->kind == BLK_OP_READ)
		data = op->data_len;
	else if (op->kind == BLK_OP_GET_ID && status == VIRTIO_BLK_S_OK)
		data = op->data_len < VIRTIO_BLK_ID_BYTES ? op->data_len : VIRTIO_BLK_ID_BYTES;
	virtq_log_write(bq->q, &r->chain, 0, data);
	virtq_log_write(bq->q, &r->chain, r->chain.in_len - 1, 1);
}

static void complete(struct blk_queue *bq, struct blk_req *r, uint8_t status)
{
	count(bq->sh->stats, &r->op, status);
	if (r->op.status_ptr)
		__atomic_store_n(r->op.status_ptr, status, __ATOMIC_RELAXED);
	log_writes(bq, r, status);
	virtq_push_logged(bq->q, &r->chain, blk_req_used_len(&r->op, status));
	r->next_free = bq->free;
	bq->free = r;
	bq->inflight--;
}

/* O_DIRECT needs aligned offsets and buffers (a sector, or 4096 bytes on
 * a disk of 4096-byte sectors); other requests go through the page cache,
 * which the kernel keeps coherent with direct I/O. */
static int data_fd(const struct blk_queue *bq, const struct blk_op *op)
{
	const struct blk_image *img = bq->sh->img;
	uint64_t mask = img->direct_align - 1;

	if (img->direct_fd < 0 || (op->offset & mask))
		return img->fd;
	for (unsigned i = 0; i < op->nr_data; i++)
		if (((uintptr_t)op->data[i].iov_base | op->data[i].iov_len) & mask)
			return img->fd;
	return img->direct_fd;
}

/* A DISCARD punches a hole, and so does a WRITE_ZEROES with UNMAP: both
 * may free the range. A WRITE_ZEROES that cannot be done one way is tried
 * the other: a filesystem without zero ranges (tmpfs) zeroes by punching,
 * and a block device whose hardware cannot write zeroes refuses a punched
 * hole (the kernel's punch is a write of zeroes that must not fall back),
 * where a zero range falls back to writing zeroes. */
static void prep_fallocate(struct blk_queue *bq, struct blk_io *io)
{
	const struct blk_seg *s = &io->req->op.segs[io->seg];
	bool punch = io->req->op.kind == BLK_OP_DISCARD || s->unmap;
	int mode = FALLOC_FL_KEEP_SIZE;

	if (punch != io->fallback)
		mode |= FALLOC_FL_PUNCH_HOLE;
	else
		mode |= FALLOC_FL_ZERO_RANGE;
	io_uring_prep_fallocate(get_sqe(bq, io), bq->sh->img->fd, mode,
				(off_t)s->offset, (off_t)s->len);
}

static struct blk_io *next_io(struct blk_req *r, unsigned seg)
{
	struct blk_io *io = &r->io[r->pending++];

	*io = (struct blk_io){ .tag = UD_IO, .seg = (uint8_t)seg, .req = r };
	return io;
}

static void submit_req(struct blk_queue *bq, struct blk_req *r)
{
	struct blk_op *op = &r->op;
	int fd = bq->sh->img->fd;
	struct io_uring_sqe *sqe;

	r->pending = 0;
	r->err = 0;
	r->synced = false;
	switch (op->kind) {
	case BLK_OP_NONE:
		return complete(bq, r, VIRTIO_BLK_S_IOERR);
	case BLK_OP_STATUS:
		return complete(bq, r, op->status);
	case BLK_OP_GET_ID:
		iov_from_buf(op->data, op->nr_data, 0, bq->sh->img->id,
			     op->data_len < VIRTIO_BLK_ID_BYTES ? op->data_len
								: VIRTIO_BLK_ID_BYTES);
		return complete(bq, r, VIRTIO_BLK_S_OK);
	case BLK_OP_READ:
		io_uring_prep_readv(get_sqe(bq, next_io(r, 0)), data_fd(bq, op),
				    op->data, op->nr_data, op->offset);
		return;
	case BLK_OP_WRITE:
		/* A link ends with its submission: the write and its sync
		 * must go in the same one, so both SQEs are taken at once. */
		if (bq->sh->writethrough && io_uring_sq_space_left(&bq->ring) < 2)
			io_uring_submit(&bq->ring);
		sqe = get_sqe(bq, next_io(r, 0));
		io_uring_prep_writev(sqe, data_fd(bq, op), op->data, op->nr_data,
				     op->offset);
		if (bq->sh->writethrough) {
			/* No FLUSH negotiated: the driver expects each write
			 * to be stable when it completes. */
			sqe->flags |= IOSQE_IO_LINK;
			io_uring_prep_fsync(get_sqe(bq, next_io(r, 0)), fd,
					    IORING_FSYNC_DATASYNC);
		}
		return;
	case BLK_OP_FLUSH:
		/* Every write acknowledged so far completed in the kernel
		 * before this is submitted, so the sync covers it. */
		io_uring_prep_fsync(get_sqe(bq, next_io(r, 0)), fd, IORING_FSYNC_DATASYNC);
		return;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		for (unsigned i = 0; i < op->nr_segs; i++)
			prep_fallocate(bq, next_io(r, i));
		return;
	}
}

static void io_done(struct blk_queue *bq, struct blk_io *io, int res)
{
	struct blk_req *r = io->req;
	struct blk_op *op = &r->op;

	if (op->kind == BLK_OP_WRITE_ZEROES && res == -EOPNOTSUPP && !io->fallback) {
		io->fallback = true;
		prep_fallocate(bq, io);
		return;
	}
	/* §5.2.6.2: a discard MAY free its range, so one the image cannot
	 * free (a block device without hardware zeroing, whose punched hole
	 * the kernel refuses) is done by leaving the range as it is. UNSUPP
	 * would tell the driver the request it was offered is not. */
	if (op->kind == BLK_OP_DISCARD && res == -EOPNOTSUPP)
		res = 0;
	if (res >= 0 && io == &r->io[0] &&
	    (op->kind == BLK_OP_READ || op->kind == BLK_OP_WRITE) &&
	    (uint64_t)res != op->data_len)
		res = -EIO;  /* short transfer: the image changed size? */
	if (res < 0 && !r->err) {
		r->err = res;
		/* A discard or write-zeroes names its failing range's offset. */
		uint64_t at = op->kind == BLK_OP_DISCARD || op->kind == BLK_OP_WRITE_ZEROES ?
			      op->segs[io->seg].offset : op->offset;
		if (bq->io_errors++ < IO_ERR_LOG_LIMIT && res != -ECANCELED)
			log_warn("blk queue %u: I/O error on %s at offset %llu: %s",
				 bq->idx, bq->sh->img->path, (unsigned long long)at,
				 strerror(-res));
	}
	if (--r->pending)
		return;
	/* Write-through: zeroes written by fallocate are synced too before
	 * the request completes, as a write's are (a discard's need not). */
	if (!r->err && bq->sh->writethrough && op->kind == BLK_OP_WRITE_ZEROES && !r->synced) {
		r->synced = true;
		io_uring_prep_fsync(get_sqe(bq, next_io(r, 0)), bq->sh->img->fd,
				    IORING_FSYNC_DATASYNC);
		return;
	}
	if (!r->err)
		complete(bq, r, VIRTIO_BLK_S_OK);
	else
		complete(bq, r, r->err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP
						     : VIRTIO_BLK_S_IOERR);
}

/* Whether the card's rate limiter lets op go now. A request costs one op,
 * and bytes (blk_req_limit_bytes): reads and writes their data, as in
 * Firecracker, and a WRITE_ZEROES the length of its ranges, as QEMU
 * charges it: on a block device without hardware zeroing (an LVM volume)
 * the kernel writes every zero, so at no cost in bytes a guest would write
 * up to 64 GiB per op past the bandwidth limit. A DISCARD costs its op
 * only, as in QEMU: it moves no data (a hole in a file; on a block device
 * the device's own zeroing or unmapping, which the kernel never replaces
 * with writes, or nothing), and a guest's fstrim of its free space would
 * otherwise hold the drive back for hours. A request larger than a bucket
 * goes once no debt is left, and its excess becomes a debt that holds the
 * next ones back until refilling has paid it (iface/ratelimit.h, as
 * Firecracker's over-consumption): in proportion to its size, never
 * forever, in arithmetic that does not overflow, and new limits from
 * azote (a PATCH) end it within 100 ms (CARD_LIMITER_RETRY_NS). A request
 * refused at parsing costs nothing.
 * Otherwise the worker is throttled: a timeout is armed for when the
 * limiter will have room. */
static bool admit(struct blk_queue *bq, const struct blk_op *op)
{
	struct card_limiter *l = bq->sh->limit;
	uint64_t wait;

	if (!l->on || op->kind == BLK_OP_NONE || op->kind == BLK_OP_STATUS)
		return true;
	if (card_limiter_take(l, blk_req_limit_bytes(op), rl_now(), &wait))
		return true;
	if (bq->sh->stats)
		card_stat_add(&bq->sh->stats->rate_limiter_throttled, 1);
	bq->timer_ts.tv_sec = (long long)(wait / 1000000000u);
	bq->timer_ts.tv_nsec = (long long)(wait % 1000000000u);
	io_uring_prep_timeout(get_sqe(bq, &bq->timer_tag), &bq->timer_ts, 0, 0);
	bq->throttled = true;
	return false;
}

/* Takes available requests while slots are free and the rate limiter
 * lets them go, BLK_INFLIGHT at most: requests answered at once (refused
 * ones, GET_ID) keep no slot, and a guest that re-posts them as fast as
 * they are answered would otherwise keep the worker here, away from its
 * commands (a ring's stop) and completions, for as long as it likes. The
 * worker comes back for the rest without sleeping (has_work). */
static void take_requests(struct blk_queue *bq)
{
	for (unsigned n = 0; n < BLK_INFLIGHT && bq->free && !bq->throttled; n++) {
		struct blk_req *r = bq->free;
		if (virtq_pop(bq->q, &r->chain) != 1)
			break;
		blk_req_parse(&r->chain, &bq->sh->geom, r->data, BLK_IOV_MAX, &r->op);
		if (!admit(bq, &r->op)) {
			/* Left on the ring, as Firecracker leaves it, for
			 * the next pop once the timer fires. */
			virtq_unpop(bq->q, 1);
			break;
		}
		bq->free = r->next_free;
		bq->inflight++;
		submit_req(bq, r);
	}
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Spins for up to poll_ns on the avail ring and the completion queue, with
 * the driver's kicks off: at low queue depth the driver's next request
 * follows a completion within microseconds, and finding it by spinning
 * saves the driver a VM exit for the kick and the worker a sleep and a
 * wake-up. Returns true as soon as there is work. */
static bool poll_for_work(struct blk_queue *bq)
{
	uint64_t end;

	io_uring_submit(&bq->ring);  /* the requests taken must start now */
	virtq_suppress_kicks(bq->q);
	end = now_ns() + bq->sh->poll_ns;
	do {
		for (unsigned i = 0; i < 64; i++) {
			/* Deferred completions (--uring defer-taskrun) reach
			 * the CQ only when asked for: the kernel flags them. */
			if (virtq_has_avail(bq->q) || io_uring_cq_ready(&bq->ring) ||
			    (IO_URING_READ_ONCE(*bq->ring.sq.kflags) & IORING_SQ_TASKRUN))
				return true;
			__builtin_ia32_pause();
		}
	} while (now_ns() < end);
	return false;
}

/* Whether the worker has work (requests to take, or completions found while
 * polling) without waiting. False means it may sleep in io_uring:
 * completions, a kick (kicks are on whenever a slot is free) or a command
 * will wake it. */
static bool has_work(struct blk_queue *bq)
{
	/* No ring, stopping (waiting for completions only), or every slot
	 * busy: completions will bring the worker back here. Throttled: the
	 * limiter's timer will. */
	if (!bq->q || bq->stopping || !bq->free || bq->throttled)
		return false;
	if (bq->sh->poll_ns && !bq->inflight && poll_for_work(bq))
		return true;
	return virtq_rearm(bq->q);
}

static void handle_ctrl(struct blk_queue *bq)
{
	pthread_mutex_lock(&bq->lock);
	enum blk_cmd cmd = bq->cmd;
	struct virtq *q = bq->next_q;
	pthread_mutex_unlock(&bq->lock);

	arm_ctrl(bq);
	if (cmd == CMD_START) {
		if (!bq->q) {
			bq->q = q;
			bq->stopping = false;
			arm_kick(bq);
		}
		ack_cmd(bq);
	} else if (cmd == CMD_STOP) {
		if (!bq->q) {
			ack_cmd(bq);
			return;
		}
		bq->stopping = true;
		if (bq->kick_armed)
			io_uring_prep_cancel(get_sqe(bq, &bq->cancel_tag),
					     &bq->kick_tag, 0);
		/* A limiter's wait can be long (an oversized request's debt):
		 * the next ring starts without it, asking the limiter again. */
		if (bq->throttled)
			io_uring_prep_cancel(get_sqe(bq, &bq->cancel_tag),
					     &bq->timer_tag, 0);
	}
}

static void handle_kick(struct blk_queue *bq, int res)
{
	bq->kick_armed = false;
	if (!bq->q || bq->stopping)
		return;
	/* An eventfd read always yields 8 bytes; anything else means the
	 * front-end gave us some other kind of fd, which would spin. */
	if (res != sizeof(bq->kick_buf) && res != -EINTR) {
		log_error("blk queue %u: kick fd read returned %d (%s); queue idle "
			  "until restarted", bq->idx, res, res < 0 ? strerror(-res) : "not an eventfd");
		return;
	}
	arm_kick(bq);
}

static void *worker(void *arg)
{
	struct blk_queue *bq = arg;
	char name[16];

	/* "blk-q3" in /proc/PID/task/TID/comm, for whoever looks. */
	snprintf(name, sizeof(name), "blk-q%u", bq->idx);
	pthread_setname_np(pthread_self(), name);
	/* The ring is enabled by the thread that submits to it: with
	 * SINGLE_ISSUER (--uring) the kernel binds it to the task that
	 * enables it. Running now: thread start-up (rseq, robust lists) is
	 * over before the seccomp filter arrives. */
	if (syscall(SYS_io_uring_register, bq->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS,
		    NULL, 0) < 0)
		bq->boot_err = -errno;
	ack_cmd(bq);
	if (bq->boot_err)
		return NULL;
	arm_ctrl(bq);
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		int r = has_work(bq) ? io_uring_submit(&bq->ring)
				     : io_uring_submit_and_wait(&bq->ring, 1);

		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			log_error("blk queue %u: io_uring: %s", bq->idx, strerror(-r));
			abort();
		}
		io_uring_for_each_cqe(&bq->ring, head, cqe) {
			uint8_t *tag = io_uring_cqe_get_data(cqe);
			n++;
			if (tag == &bq->ctrl_tag)
				handle_ctrl(bq);
			else if (tag == &bq->kick_tag)
				handle_kick(bq, cqe->res);
			else if (tag == &bq->timer_tag)
				bq->throttled = false;  /* expired or cancelled */
			else if (*tag == UD_IO)
				io_done(bq, (struct blk_io *)tag, cqe->res);
		}
		io_uring_cq_advance(&bq->ring, n);
		if (!bq->q)
			continue;
		if (!bq->stopping)
			take_requests(bq);
		virtq_notify(bq->q);
		if (bq->stopping && !bq->inflight && !bq->kick_armed && !bq->throttled) {
			/* Hand the ring back asking for kicks, whoever
			 * serves it next. */
			virtq_rearm(bq->q);
			bq->q = NULL;
			bq->stopping = false;
			ack_cmd(bq);
		}
	}
	return NULL;
}

/* The ring may only do what the worker does: even a compromised card
 * cannot use it to reach beyond its seccomp filter. The worker enables it. */
static int restrict_ring(struct io_uring *ring)
{
	static const uint8_t ops[] = {
		IORING_OP_READ, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
		IORING_OP_FALLOCATE, IORING_OP_ASYNC_CANCEL,
		IORING_OP_TIMEOUT,   /* the rate limiter's timer */
	};
	struct io_uring_restriction res[sizeof(ops) + 1];

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < sizeof(ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	res[sizeof(ops)].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[sizeof(ops)].sqe_flags = IOSQE_IO_LINK;
	/* Debian's liburing 2.3 does not export the wrappers for this
	 * registration or the enabling; the system call is simple enough. */
	if (syscall(SYS_io_uring_register, ring->ring_fd,
		    IORING_REGISTER_RESTRICTIONS, res, sizeof(ops) + 1) < 0)
		return -errno;
	return 0;
}

struct blk_queue *blk_queue_create(unsigned idx, const struct blk_queue_shared *sh,
				   struct azerr *e)
{
	/* --uring's modes (iface/blk_uring.h). TASKRUN_FLAG: the kernel flags
	 * deferred completions in the SQ ring, where liburing's submit and
	 * poll_for_work look for them. */
	static const unsigned mode_flags[] = {
		[BLK_URING_DEFAULT] = 0,
		[BLK_URING_SINGLE_ISSUER] = IORING_SETUP_SINGLE_ISSUER,
		[BLK_URING_DEFER_TASKRUN] = IORING_SETUP_SINGLE_ISSUER |
			IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	};
	struct io_uring_params p = {
		.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE | mode_flags[sh->uring],
		.cq_entries = RING_CQ,
	};
	struct blk_queue *bq = calloc(1, sizeof(*bq));
	int r;

	if (!bq) {
		azerr_set(e, "out of memory");
		return NULL;
	}
	bq->idx = idx;
	bq->sh = sh;
	bq->ctrl_tag = UD_CTRL;
	bq->kick_tag = UD_KICK;
	bq->cancel_tag = UD_CANCEL;
	bq->timer_tag = UD_TIMER;
	for (unsigned i = 0; i < BLK_INFLIGHT; i++) {
		struct blk_req *req = &bq->reqs[i];
		req->chain.iov = req->iov;
		req->chain.cap = BLK_IOV_MAX;
		req->next_free = bq->free;
		bq->free = req;
	}
	pthread_mutex_init(&bq->lock, NULL);
	pthread_cond_init(&bq->cond, NULL);
	bq->ctrlfd = eventfd(0, EFD_CLOEXEC);
	if (bq->ctrlfd < 0) {
		azerr_set(e, "blk queue %u: eventfd: %s", idx, strerror(errno));
		free(bq);
		return NULL;
	}
	r = io_uring_queue_init_params(RING_SQ, &bq->ring, &p);
	if (r < 0) {
		azerr_set(e, "blk queue %u: cannot create an io_uring (--uring %s): %s%s", idx,
			  blk_uring_mode_name(sh->uring), strerror(-r),
			  r == -EINVAL && sh->uring ? " (the mode needs Linux 6.1)" : "");
		goto fail_fd;
	}
	r = restrict_ring(&bq->ring);
	if (r < 0) {
		azerr_set(e, "blk queue %u: cannot restrict the io_uring: %s", idx,
			  strerror(-r));
		goto fail_ring;
	}
	bq->cmd = CMD_BOOT;
	r = pthread_create(&bq->thread, NULL, worker, bq);
	if (r) {
		azerr_set(e, "blk queue %u: cannot start a thread: %s", idx, strerror(r));
		goto fail_ring;
	}
	wait_cmd(bq);
	if (bq->boot_err) {
		pthread_join(bq->thread, NULL);
		azerr_set(e, "blk queue %u: cannot enable the io_uring: %s", idx,
			  strerror(-bq->boot_err));
		goto fail_ring;
	}
	return bq;
fail_ring:
	io_uring_queue_exit(&bq->ring);
fail_fd:
	close(bq->ctrlfd);
	free(bq);
	return NULL;
}

static void send_cmd(struct blk_queue *bq, enum blk_cmd cmd, struct virtq *q)
{
	uint64_t one = 1;

	pthread_mutex_lock(&bq->lock);
	bq->cmd = cmd;
	bq->next_q = q;
	pthread_mutex_unlock(&bq->lock);
	(void)!write(bq->ctrlfd, &one, sizeof(one));
	wait_cmd(bq);
}

void blk_queue_start(struct blk_queue *bq, struct virtq *q)
{
	send_cmd(bq, CMD_START, q);
}

void blk_queue_stop(struct blk_queue *bq)
{
	send_cmd(bq, CMD_STOP, NULL);
}
