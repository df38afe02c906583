/* The worker thread of the synchronous cards (src/cards/poll_worker.c):
 * what its contract in poll_worker.h promises, seen from a fake card's
 * hooks. A ring is a virtq with only its kick fd set: the worker hands
 * the virtq to the hooks and touches nothing else of it. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cards/poll_worker.h"

enum { OWN_PING = POLL_WORKER_OWN };

struct fake {
	struct poll_worker *w;
	atomic_uint serves[2], starts, stops, timers, commands;
	atomic_uint served_after_timer; /* serve passes once the timer hook ran */
	atomic_uint more_left;          /* serve: passes that say work is left */
	atomic_bool in_hook;            /* a start, stop or command hook runs */
	atomic_uint odd;                /* hooks called with what they must not get */
	struct virtq *stopped_q;        /* what the stop hook was given */
	uint64_t start_arg, command_arg;
	bool arm_on_start;              /* start arms a 1 ms one-shot timer */
	bool timer_wants_serve;
};

static bool serve(void *card, unsigned idx, struct virtq *q)
{
	struct fake *f = card;

	/* Counted, not asserted: a hook runs on the worker's thread. */
	if (!q || idx > 1)
		atomic_fetch_add(&f->odd, 1);
	else
		atomic_fetch_add(&f->serves[idx], 1);
	if (atomic_load(&f->timers))
		atomic_fetch_add(&f->served_after_timer, 1);
	unsigned left = atomic_load(&f->more_left);
	if (!left)
		return false;
	atomic_store(&f->more_left, left - 1);
	return true;
}

static bool on_timer(void *card)
{
	struct fake *f = card;

	atomic_fetch_add(&f->timers, 1);
	return f->timer_wants_serve;
}

/* The hooks a sender waits on: slow, so that a send that returned early
 * would be seen to. */
static void on_start(void *card, unsigned idx, struct virtq *q, uint64_t arg)
{
	struct fake *f = card;

	(void)idx;
	(void)q;
	atomic_store(&f->in_hook, true);
	usleep(20000);
	f->start_arg = arg;
	if (f->arm_on_start)
		poll_worker_arm_timer(f->w, 1000000, 0);
	atomic_fetch_add(&f->starts, 1);
	atomic_store(&f->in_hook, false);
}

static void on_stop(void *card, unsigned idx, struct virtq *q)
{
	struct fake *f = card;

	(void)idx;
	atomic_store(&f->in_hook, true);
	usleep(20000);
	f->stopped_q = q;
	atomic_fetch_add(&f->stops, 1);
	atomic_store(&f->in_hook, false);
}

static void on_command(void *card, const struct poll_worker_cmd *c)
{
	struct fake *f = card;

	if (c->op != OWN_PING)
		atomic_fetch_add(&f->odd, 1);
	usleep(20000);
	f->command_arg = c->arg;
	atomic_fetch_add(&f->commands, 1);
}

static const struct poll_worker_ops ops = {
	.serve = serve, .timer = on_timer, .start = on_start, .stop = on_stop,
	.command = on_command,
};

/* Whether *v reaches at least want within 2 s. */
static bool reaches(atomic_uint *v, unsigned want)
{
	for (int i = 0; i < 2000; i++) {
		if (atomic_load(v) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

static void kick(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void start_ring(struct fake *f, unsigned idx, struct virtq *q, uint64_t arg)
{
	poll_worker_send(f->w, &(struct poll_worker_cmd){ .op = POLL_WORKER_START, .idx = idx,
							  .q = q, .arg = arg });
}

static void stop_ring(struct fake *f, unsigned idx)
{
	poll_worker_send(f->w, &(struct poll_worker_cmd){ .op = POLL_WORKER_STOP, .idx = idx });
}

/* START: its hook has run when the send returns, the ring is served once
 * for kicks it missed, then on each kick; work left is served again
 * without a kick. STOP: its hook has run, with the ring, when the send
 * returns, and a kick after it serves nothing. */
static void test_start_kick_stop(void **state)
{
	static struct fake f;
	struct azerr e;
	struct virtq q = { .kickfd = eventfd(0, EFD_NONBLOCK) };
	(void)state;

	f.w = poll_worker_start("test", 2, &ops, &f, &e);
	assert_non_null(f.w);
	start_ring(&f, 1, &q, 42);
	assert_int_equal(atomic_load(&f.starts), 1);
	assert_false(atomic_load(&f.in_hook));
	assert_true(f.start_arg == 42);
	assert_true(reaches(&f.serves[1], 1));
	kick(q.kickfd);
	assert_true(reaches(&f.serves[1], 2));
	/* Three passes of work left: served three more times, no kick. */
	unsigned before = atomic_load(&f.serves[1]);
	atomic_store(&f.more_left, 3);
	kick(q.kickfd);
	assert_true(reaches(&f.serves[1], before + 4));
	usleep(50000);
	assert_int_equal(atomic_load(&f.serves[1]), before + 4);
	assert_int_equal(atomic_load(&f.serves[0]), 0);

	stop_ring(&f, 1);
	assert_int_equal(atomic_load(&f.stops), 1);
	assert_false(atomic_load(&f.in_hook));
	assert_ptr_equal(f.stopped_q, &q);
	before = atomic_load(&f.serves[1]);
	kick(q.kickfd);
	usleep(50000);
	assert_int_equal(atomic_load(&f.serves[1]), before);
	/* A ring never started is stopped with no virtq. */
	stop_ring(&f, 0);
	assert_null(f.stopped_q);
	assert_int_equal(atomic_load(&f.odd), 0);
	close(q.kickfd);
}

/* The card's own command: its hook has run when the send returns. Two
 * senders at once each get theirs through. */
static void *ping(void *arg)
{
	struct fake *f = arg;

	poll_worker_send(f->w, &(struct poll_worker_cmd){ .op = OWN_PING, .arg = 7 });
	return NULL;
}

static void test_own_commands(void **state)
{
	static struct fake f;
	struct azerr e;
	pthread_t t;
	(void)state;

	f.w = poll_worker_start("test", 1, &ops, &f, &e);
	assert_non_null(f.w);
	assert_int_equal(pthread_create(&t, NULL, ping, &f), 0);
	poll_worker_send(f.w, &(struct poll_worker_cmd){ .op = OWN_PING, .arg = 7 });
	assert_true(atomic_load(&f.commands) >= 1);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&f.commands), 2);
	assert_true(f.command_arg == 7);
	assert_int_equal(atomic_load(&f.odd), 0);
}

/* The timer, armed from a hook: its hook runs, and when it asks, every
 * served ring is served again. */
static void test_timer(void **state)
{
	static struct fake f = { .arm_on_start = true, .timer_wants_serve = true };
	struct azerr e;
	struct virtq q = { .kickfd = eventfd(0, EFD_NONBLOCK) };
	(void)state;

	f.w = poll_worker_start("test", 1, &ops, &f, &e);
	assert_non_null(f.w);
	start_ring(&f, 0, &q, 0);
	assert_true(reaches(&f.timers, 1));
	/* Served after the timer's hook (in the same turn as the pass after
	 * the start, when the timer was that quick). */
	assert_true(reaches(&f.served_after_timer, 1));
	usleep(50000);
	assert_int_equal(atomic_load(&f.timers), 1);   /* one-shot */
	close(q.kickfd);
}

/* A kick fd that hangs up (a pipe whose writer is gone): the ring is left
 * idle, not polled in a loop, and the worker serves its other rings. */
static void test_dead_kick_fd(void **state)
{
	static struct fake f;
	struct azerr e;
	int p[2];
	(void)state;

	assert_int_equal(pipe(p), 0);
	close(p[1]);
	struct virtq dead = { .kickfd = p[0] };
	struct virtq live = { .kickfd = eventfd(0, EFD_NONBLOCK) };
	f.w = poll_worker_start("test", 2, &ops, &f, &e);
	assert_non_null(f.w);
	start_ring(&f, 0, &dead, 0);
	start_ring(&f, 1, &live, 0);
	assert_true(reaches(&f.serves[0], 1));
	usleep(100000);
	assert_int_equal(atomic_load(&f.serves[0]), 1);
	kick(live.kickfd);
	assert_true(reaches(&f.serves[1], 2));
	close(p[0]);
	close(live.kickfd);
}

static void test_too_many_rings(void **state)
{
	struct azerr e;
	(void)state;

	assert_null(poll_worker_start("test", POLL_WORKER_MAX_RINGS + 1, &ops, NULL, &e));
	assert_string_equal(e.msg, "test: 5 rings for one worker, at most 4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_kick_stop),
		cmocka_unit_test(test_own_commands),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_dead_kick_fd),
		cmocka_unit_test(test_too_many_rings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
