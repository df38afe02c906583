/* A card's one worker thread: one poll over its command eventfd, its
 * timerfd and its rings' kick fds (poll_worker.h has the contract). */
#include "cards/poll_worker.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"

struct ring {
	struct virtq *q;            /* NULL: not served */
	bool kick_dead;             /* q's kick fd is no eventfd */
	bool more;                  /* work left that no fd will announce */
};

struct poll_worker {
	const char *name;           /* the card's, for messages */
	const struct poll_worker_ops *ops;
	void *card;
	unsigned nr_rings;
	int cmd_fd, timer_fd;
	pthread_t thread;

	/* Owned by the worker. */
	struct ring rings[POLL_WORKER_MAX_RINGS];

	/* The command slot, under lock: a sender puts a command in and waits
	 * on done until the worker set it back to POLL_WORKER_NONE. send lets
	 * one sender in at a time (the balloon has two: the vhost-user
	 * thread's rings, the control thread's interval). */
	pthread_mutex_t send;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running;               /* the thread has started */
	struct poll_worker_cmd cmd;
};

/* Reads the count of the worker's own command eventfd or timerfd: false
 * if fd gives none. (Kick fds are the front-end's: virtq_take_kicks.) */
static bool drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000u),
				  .tv_nsec = (long)(ns % 1000000000u) };
}

void poll_worker_arm_timer(struct poll_worker *w, uint64_t ns, uint64_t interval_ns)
{
	struct itimerspec t = { .it_value = ns_to_ts(ns), .it_interval = ns_to_ts(interval_ns) };

	if (timerfd_settime(w->timer_fd, 0, &t, NULL) < 0) {
		log_error("%s: timerfd_settime: %s", w->name, strerror(errno));
		abort();
	}
}

static void take_cmd(struct poll_worker *w)
{
	struct poll_worker_cmd *c = &w->cmd;

	(void)drain(w->cmd_fd);
	pthread_mutex_lock(&w->lock);
	if (c->op == POLL_WORKER_START) {
		/* Run once for kicks it missed. */
		w->rings[c->idx] = (struct ring){ .q = c->q, .more = true };
		if (w->ops->start)
			w->ops->start(w->card, c->idx, c->q, c->arg);
	} else if (c->op == POLL_WORKER_STOP) {
		/* The card's work is synchronous: once its hook gave back
		 * what it holds, nothing of the ring is in flight. */
		if (w->ops->stop)
			w->ops->stop(w->card, c->idx, w->rings[c->idx].q);
		w->rings[c->idx] = (struct ring){ .q = NULL };
	} else if (c->op != POLL_WORKER_NONE && w->ops->command) {
		w->ops->command(w->card, c);
	}
	c->op = POLL_WORKER_NONE;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
}

/* A kick fd that hangs up, fails or reads short is no eventfd (a
 * front-end gave a pipe or a socket): polling it would spin, so the ring
 * is left idle until the front-end restarts it, as the other cards do.
 * A card of one ring does not number it. */
static void kick_failed(struct poll_worker *w, unsigned idx, short revents)
{
	w->rings[idx].kick_dead = true;
	if (w->nr_rings == 1)
		log_error("%s: kick fd is not a working eventfd (poll events 0x%x); ring idle "
			  "until restarted", w->name, revents);
	else
		log_error("%s: ring %u's kick fd is not a working eventfd (poll events 0x%x); "
			  "ring idle until restarted", w->name, idx, revents);
}

/* Ring idx after a poll (kick: its kick fd's entry): a kick means work,
 * then the ring is served if it has any. */
static void run_ring(struct poll_worker *w, unsigned idx, const struct pollfd *kick)
{
	struct ring *r = &w->rings[idx];
	short ev = kick->revents;

	if (ev && ((ev & (POLLERR | POLLHUP | POLLNVAL)) || !virtq_take_kicks(kick->fd)))
		kick_failed(w, idx, ev);
	else if (ev)
		r->more = true;
	if (r->q && r->more)
		r->more = w->ops->serve(w->card, idx, r->q);
}

/* One poll and what it found. A command comes first and alone: a stopped
 * ring's fds may be closed, so the worker polls afresh after it. */
static void turn(struct poll_worker *w)
{
	struct pollfd pf[2 + POLL_WORKER_MAX_RINGS] = {
		{ .fd = w->cmd_fd, .events = POLLIN },
		{ .fd = w->timer_fd, .events = POLLIN },
	};
	bool more = false;

	for (unsigned i = 0; i < w->nr_rings; i++) {
		struct ring *r = &w->rings[i];

		pf[2 + i] = (struct pollfd){ .fd = r->q && !r->kick_dead ? r->q->kickfd : -1,
					     .events = POLLIN };
		more |= r->more;
	}
	if (poll(pf, 2 + w->nr_rings, more ? 0 : -1) < 0 && errno != EINTR) {
		log_error("%s: poll: %s", w->name, strerror(errno));
		abort();
	}
	if (pf[0].revents & POLLIN) {
		take_cmd(w);
		return;
	}
	/* Only a served ring is marked: one with no virtq would be polled
	 * without waiting forever. */
	if ((pf[1].revents & POLLIN) && drain(w->timer_fd) && w->ops->timer &&
	    w->ops->timer(w->card))
		for (unsigned i = 0; i < w->nr_rings; i++)
			w->rings[i].more |= w->rings[i].q != NULL;
	for (unsigned i = 0; i < w->nr_rings; i++)
		run_ring(w, i, &pf[2 + i]);
}

static void *worker(void *arg)
{
	struct poll_worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "%s-w", w->name);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&w->lock);
	w->running = true;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	for (;;)
		turn(w);
	return NULL;
}

void poll_worker_send(struct poll_worker *w, const struct poll_worker_cmd *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->send);
	pthread_mutex_lock(&w->lock);
	w->cmd = *c;
	if (write(w->cmd_fd, &one, sizeof(one)) < 0)
		log_warn("%s: command eventfd: %s", w->name, strerror(errno));
	while (w->cmd.op != POLL_WORKER_NONE)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_unlock(&w->send);
}

/* Starts the thread and waits until it has run. */
static int run_thread(struct poll_worker *w, struct azerr *e)
{
	int err;

	pthread_mutex_init(&w->send, NULL);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->done, NULL);
	if ((err = pthread_create(&w->thread, NULL, worker, w)))
		return azerr_set(e, "%s: cannot start its worker: %s", w->name, strerror(err));
	/* Its start-up is over before the seccomp filter arrives. */
	pthread_mutex_lock(&w->lock);
	while (!w->running)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

struct poll_worker *poll_worker_start(const char *name, unsigned nr_rings,
				      const struct poll_worker_ops *ops, void *card,
				      struct azerr *e)
{
	struct poll_worker *w;

	if (nr_rings > POLL_WORKER_MAX_RINGS) {
		azerr_set(e, "%s: %u rings for one worker, at most %d", name, nr_rings,
			  POLL_WORKER_MAX_RINGS);
		return NULL;
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		azerr_set(e, "%s: out of memory", name);
		return NULL;
	}
	*w = (struct poll_worker){ .name = name, .ops = ops, .card = card, .nr_rings = nr_rings };
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->cmd_fd < 0 || w->timer_fd < 0)
		azerr_set(e, "%s: cannot create its eventfd or timerfd: %s", name, strerror(errno));
	else if (run_thread(w, e) == 0)
		return w;
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	if (w->timer_fd >= 0)
		close(w->timer_fd);
	free(w);
	return NULL;
}
