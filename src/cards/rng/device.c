/* The entropy card's worker: one thread, one poll over its command
 * eventfd, the ring's kick fd and its limiter's timerfd. */
#include "cards/rng/device.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cards/rng/request.h"
#include "common/log.h"
#include "virtio/virtio.h"

/* Requests served before the worker looks at its command eventfd again:
 * a guest keeping the ring full delays a stop by at most this many
 * 64 KiB draws. */
#define RNG_BUDGET 64

enum cmd_op { CMD_NONE, CMD_START, CMD_STOP };

struct rng_worker {
	struct rng_server srv;
	struct card_rng_stats own_stats;  /* where counts go without a page */
	int cmd_fd, timer_fd;
	pthread_t thread;

	/* Owned by the worker. */
	struct virtq *q;            /* the ring it serves, or NULL */
	bool kick_dead;             /* q's kick fd is no eventfd */
	bool throttled;             /* a request waits for timer_fd */

	/* The command slot, under lock: the vhost-user thread puts a
	 * command in and waits on done until the worker set it back. */
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running;
	enum cmd_op op;
	struct virtq *cmd_q;
};

/* Reads an eventfd's or a timerfd's count: false if fd gives none. */
static bool drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

/* Fires the limiter's timer in ns (0: disarms it). */
static void arm_timer(struct rng_worker *w, uint64_t ns)
{
	struct itimerspec t = { .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
					      .tv_nsec = (long)(ns % 1000000000u) } };

	if (timerfd_settime(w->timer_fd, 0, &t, NULL) < 0) {
		log_error("rng: timerfd_settime: %s", strerror(errno));
		abort();
	}
}

/* Serves the ring; a request the limiter refused waits for the timer,
 * and kicks meanwhile are not served (they would only be refused again).
 * Returns whether work is left that no fd will announce. */
static bool run(struct rng_worker *w)
{
	uint64_t wait_ns = 0;

	if (!w->q || w->throttled)
		return false;
	switch (rng_serve(&w->srv, w->q, &wait_ns)) {
	case RNG_IDLE:
		return false;
	case RNG_THROTTLED:
		w->throttled = true;
		arm_timer(w, wait_ns);
		return false;
	default: /* RNG_MORE */
		return true;
	}
}

static void take_cmd(struct rng_worker *w)
{
	(void)drain(w->cmd_fd);
	pthread_mutex_lock(&w->lock);
	if (w->op == CMD_START) {
		w->q = w->cmd_q;
		w->kick_dead = false;
	} else if (w->op == CMD_STOP) {
		/* Nothing is in flight: a request is completed when taken, or
		 * put back (the throttled one). The next ring asks the
		 * limiter afresh. */
		w->q = NULL;
		w->throttled = false;
		arm_timer(w, 0);
	}
	w->op = CMD_NONE;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
}

/* A kick fd that hangs up, fails or reads short is no eventfd (a
 * front-end gave a pipe or a socket): polling it would spin, so the ring
 * is left idle until the front-end restarts it, as the other cards do. */
static void kick_failed(struct rng_worker *w, short revents)
{
	w->kick_dead = true;
	log_error("rng: kick fd is not a working eventfd (poll events 0x%x); ring idle "
		  "until restarted", revents);
}

static void *worker(void *arg)
{
	struct rng_worker *w = arg;
	bool more = false;

	pthread_setname_np(pthread_self(), "rng-w");
	pthread_mutex_lock(&w->lock);
	w->running = true;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = w->cmd_fd, .events = POLLIN },
			{ .fd = w->timer_fd, .events = POLLIN },
			{ .fd = -1 },
		};
		bool kicked = false;

		if (w->q && !w->kick_dead)
			pf[2] = (struct pollfd){ .fd = w->q->kickfd, .events = POLLIN };
		if (poll(pf, 3, more ? 0 : -1) < 0 && errno != EINTR) {
			log_error("rng: poll: %s", strerror(errno));
			abort();
		}
		if (pf[0].revents & POLLIN) {
			take_cmd(w);
			/* A new ring is run once for kicks it missed; the
			 * stopped one's fds may be closed: poll afresh. */
			more = w->q != NULL;
			continue;
		}
		if (pf[1].revents & POLLIN) {
			(void)drain(w->timer_fd);
			w->throttled = false;
			kicked = true;
		}
		if (pf[2].revents) {
			if ((pf[2].revents & (POLLERR | POLLHUP | POLLNVAL)) || !drain(pf[2].fd))
				kick_failed(w, pf[2].revents);
			else
				kicked = true;
		}
		if (kicked || more)
			more = run(w);
	}
	return NULL;
}

static void send_cmd(struct rng_worker *w, enum cmd_op op, struct virtq *q)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	w->op = op;
	w->cmd_q = q;
	if (write(w->cmd_fd, &one, sizeof(one)) < 0)
		log_warn("rng: command eventfd: %s", strerror(errno));
	while (w->op != CMD_NONE)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

/* --- vhost-user device --------------------------------------------- */

/* No config space (config_size 0): the back-end asks for nothing. */
static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	(void)off;
	(void)buf;
	(void)len;
}

/* EVENT_IDX and INDIRECT_DESC are the ring's (virtq_start); the device
 * has no feature of its own. */
static void set_features(void *dev, uint64_t features)
{
	(void)dev;
	(void)features;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct rng_device *d = dev;

	if (idx >= RNG_NR_RINGS)
		return azerr_set(e, "rng has %d ring, not %u", RNG_NR_RINGS, idx + 1);
	send_cmd(d->w, CMD_START, q);
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct rng_device *d = dev;

	(void)idx;
	(void)q;
	send_cmd(d->w, CMD_STOP, NULL);
}

static const struct vu_device_ops rng_ops = {
	.get_config = get_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
};

int rng_device_init(struct rng_device *d, const struct rate_limiter *limit,
		    struct card_rng_stats *stats, struct azerr *e)
{
	struct rng_worker *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return azerr_set(e, "rng: out of memory");
	card_limiter_init(&d->limit, limit);
	w->srv.limit = &d->limit;
	w->srv.stats = stats ? stats : &w->own_stats;
	w->srv.source = rng_getrandom;
	w->srv.budget = RNG_BUDGET;
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->cmd_fd < 0 || w->timer_fd < 0) {
		azerr_set(e, "rng: cannot create its eventfd or timerfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->done, NULL);
	if ((err = pthread_create(&w->thread, NULL, worker, w))) {
		azerr_set(e, "rng: cannot start its worker: %s", strerror(err));
		goto fail;
	}
	/* Its start-up is over before the seccomp filter arrives. */
	pthread_mutex_lock(&w->lock);
	while (!w->running)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	d->w = w;
	d->vu = (struct vu_device){
		.ops = &rng_ops, .dev = d,
		.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES),
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = RNG_NR_RINGS,
		.config_size = 0,
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
