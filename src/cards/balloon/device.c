/* The balloon card's worker: one thread, one poll over its command
 * eventfd, the statistics timerfd and the kick fd of every ring it
 * serves. */
#include "cards/balloon/device.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cards/balloon/request.h"
#include "common/log.h"
#include "virtio/virtio.h"

/* Chains served on one ring before the worker looks at its command
 * eventfd again: an inflate chain costs at most 256 page lookups and
 * discards, so a guest keeping its rings full delays a stop by at most
 * 64 such chains a ring. */
#define BALLOON_BUDGET 64

enum cmd_op { CMD_NONE, CMD_START, CMD_STOP, CMD_INTERVAL };

struct ring {
	struct virtq *q;            /* NULL: not served */
	enum balloon_ring role;
	bool kick_dead;             /* q's kick fd is no eventfd */
	bool more;                  /* work left that no fd will announce */
};

struct balloon_worker {
	struct balloon_server srv;
	struct card_balloon_stats own_stats;  /* where counts go without a page */
	int cmd_fd, timer_fd;
	pthread_t thread;

	/* Owned by the worker. */
	struct ring rings[BALLOON_MAX_RINGS];
	struct virtq *stats_q;      /* the statistics ring while it runs */
	unsigned interval_s;

	/* The command slot, under lock: a sender puts a command in and waits
	 * on done until the worker set it back. Two threads send (the
	 * vhost-user thread's rings, the control thread's interval): send
	 * lets one in at a time. */
	pthread_mutex_t send;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running;
	enum cmd_op op;
	unsigned cmd_idx;
	enum balloon_ring cmd_role;
	struct virtq *cmd_q;
	unsigned cmd_interval;
};

/* Reads an eventfd's or a timerfd's count: false if fd gives none. */
static bool drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

/* Fires the statistics timer every seconds from now (0: disarms it). */
static void arm_timer(struct balloon_worker *w, unsigned seconds)
{
	struct itimerspec t = { .it_value = { .tv_sec = seconds },
				.it_interval = { .tv_sec = seconds } };

	if (timerfd_settime(w->timer_fd, 0, &t, NULL) < 0) {
		log_error("balloon: timerfd_settime: %s", strerror(errno));
		abort();
	}
}

/* Hands the held statistics buffer back (the guest then posts fresh
 * figures). */
static void return_stats(struct balloon_worker *w)
{
	if (w->stats_q && !balloon_stats_return(&w->srv, w->stats_q))
		log_debug("balloon: no statistics buffer to return (the driver has not "
			  "posted it again yet)");
}

static void take_cmd(struct balloon_worker *w)
{
	(void)drain(w->cmd_fd);
	pthread_mutex_lock(&w->lock);
	struct ring *r = &w->rings[w->cmd_idx];
	switch (w->op) {
	case CMD_START:
		/* Run once for kicks it missed. */
		*r = (struct ring){ .q = w->cmd_q, .role = w->cmd_role, .more = true };
		if (r->role == BALLOON_RING_STATS) {
			w->stats_q = r->q;
			arm_timer(w, w->interval_s);
		}
		break;
	case CMD_STOP:
		/* The held statistics buffer goes back before the ring is
		 * let go: whatever comes next (a snapshot, a reset, another
		 * card) finds it used, and the driver posts it again. Every
		 * other chain was completed when taken. */
		if (r->role == BALLOON_RING_STATS && r->q) {
			return_stats(w);
			w->stats_q = NULL;
			arm_timer(w, 0);
		}
		*r = (struct ring){ .q = NULL };
		break;
	case CMD_INTERVAL:
		w->interval_s = w->cmd_interval;
		if (w->stats_q) {
			return_stats(w);
			arm_timer(w, w->interval_s);
		}
		break;
	case CMD_NONE:
		break;
	}
	w->op = CMD_NONE;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
}

/* A kick fd that hangs up, fails or reads short is no eventfd (a
 * front-end gave a pipe or a socket): polling it would spin, so the ring
 * is left idle until the front-end restarts it, as the other cards do. */
static void kick_failed(struct ring *r, unsigned idx, short revents)
{
	r->kick_dead = true;
	log_error("balloon: ring %u's kick fd is not a working eventfd (poll events 0x%x); "
		  "ring idle until restarted", idx, revents);
}

static void *worker(void *arg)
{
	struct balloon_worker *w = arg;

	pthread_setname_np(pthread_self(), "balloon-w");
	pthread_mutex_lock(&w->lock);
	w->running = true;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	for (;;) {
		struct pollfd pf[2 + BALLOON_MAX_RINGS] = {
			{ .fd = w->cmd_fd, .events = POLLIN },
			{ .fd = w->timer_fd, .events = POLLIN },
		};
		bool more = false;

		for (unsigned i = 0; i < BALLOON_MAX_RINGS; i++) {
			struct ring *r = &w->rings[i];
			pf[2 + i] = (struct pollfd){ .fd = r->q && !r->kick_dead ? r->q->kickfd : -1,
						     .events = POLLIN };
			more |= r->more;
		}
		if (poll(pf, 2 + BALLOON_MAX_RINGS, more ? 0 : -1) < 0 && errno != EINTR) {
			log_error("balloon: poll: %s", strerror(errno));
			abort();
		}
		if (pf[0].revents & POLLIN) {
			/* A stopped ring's fds may be closed: poll afresh. */
			take_cmd(w);
			continue;
		}
		if ((pf[1].revents & POLLIN) && drain(w->timer_fd))
			return_stats(w);
		for (unsigned i = 0; i < BALLOON_MAX_RINGS; i++) {
			struct ring *r = &w->rings[i];
			short ev = pf[2 + i].revents;

			if (ev && ((ev & (POLLERR | POLLHUP | POLLNVAL)) || !drain(pf[2 + i].fd)))
				kick_failed(r, i, ev);
			else if (ev)
				r->more = true;
			if (r->q && r->more)
				r->more = balloon_serve(&w->srv, r->q, r->role) == BALLOON_MORE;
		}
	}
	return NULL;
}

static void send_cmd(struct balloon_worker *w, enum cmd_op op, unsigned idx,
		     enum balloon_ring role, struct virtq *q, unsigned interval)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->send);
	pthread_mutex_lock(&w->lock);
	w->op = op;
	w->cmd_idx = idx;
	w->cmd_role = role;
	w->cmd_q = q;
	w->cmd_interval = interval;
	if (write(w->cmd_fd, &one, sizeof(one)) < 0)
		log_warn("balloon: command eventfd: %s", strerror(errno));
	while (w->op != CMD_NONE)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_unlock(&w->send);
}

void balloon_device_set_interval(struct balloon_device *d, unsigned seconds)
{
	send_cmd(d->w, CMD_INTERVAL, 0, BALLOON_RING_NONE, NULL, seconds);
}

/* --- vhost-user device --------------------------------------------- */

/* azote shows the guest its own copy of the configuration and fills in
 * num_pages itself: the card's is all zero (the back-end zeroed buf). */
static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	(void)off;
	(void)buf;
	(void)len;
}

/* A guest's write of the configuration, which azote passes on and drops
 * if refused: any write inside the 8 bytes is taken (the back-end has
 * refused the rest). Only `actual` is the driver's to write; the card
 * keeps it for its log. */
static int set_config(void *dev, uint32_t off, const void *buf, uint32_t len,
		      struct azerr *e)
{
	struct balloon_device *d = dev;

	(void)e;
	if (off <= VIRTIO_BALLOON_CFG_ACTUAL && off + len >= VIRTIO_BALLOON_CFG_ACTUAL + 4) {
		uint32_t actual;

		memcpy(&actual, (const uint8_t *)buf + (VIRTIO_BALLOON_CFG_ACTUAL - off),
		       sizeof(actual));
		d->actual = le32toh(actual);
		log_debug("balloon: the guest holds %u pages", d->actual);
	}
	return 0;
}

static void set_features(void *dev, uint64_t features)
{
	struct balloon_device *d = dev;

	d->features = features;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct balloon_device *d = dev;
	enum balloon_ring role = balloon_ring_role(d->features, idx);

	if (idx >= BALLOON_MAX_RINGS || role == BALLOON_RING_NONE)
		return azerr_set(e, "balloon: ring %u has no use with features 0x%llx", idx,
				 (unsigned long long)d->features);
	send_cmd(d->w, CMD_START, idx, role, q, 0);
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct balloon_device *d = dev;

	(void)q;
	if (idx < BALLOON_MAX_RINGS)
		send_cmd(d->w, CMD_STOP, idx, BALLOON_RING_NONE, NULL, 0);
}

static const struct vu_device_ops balloon_ops = {
	.get_config = get_config,
	.set_config = set_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
};

int balloon_device_init(struct balloon_device *d, uint64_t balloon_features,
			unsigned stats_interval_s, struct card_balloon_stats *stats,
			struct azerr *e)
{
	struct balloon_worker *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return azerr_set(e, "balloon: out of memory");
	w->srv.stats = stats ? stats : &w->own_stats;
	w->srv.discard = balloon_remove;
	w->srv.budget = BALLOON_BUDGET;
	w->interval_s = stats_interval_s;
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->cmd_fd < 0 || w->timer_fd < 0) {
		azerr_set(e, "balloon: cannot create its eventfd or timerfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&w->send, NULL);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->done, NULL);
	if ((err = pthread_create(&w->thread, NULL, worker, w))) {
		azerr_set(e, "balloon: cannot start its worker: %s", strerror(err));
		goto fail;
	}
	/* Its start-up is over before the seccomp filter arrives. */
	pthread_mutex_lock(&w->lock);
	while (!w->running)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES) | balloon_features;
	d->w = w;
	d->features = features;
	d->vu = (struct vu_device){
		.ops = &balloon_ops, .dev = d,
		.features = features,
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = balloon_nr_rings(features),
		.config_size = VIRTIO_BALLOON_CONFIG_SIZE,
	};
	return 0;
fail:
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	if (w->timer_fd >= 0)
		close(w->timer_fd);
	free(w);
	return -1;
}
