#include "base/event_loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

int event_loop_init(struct event_loop *l, struct azerr *e)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return azerr_set(e, "epoll_create1: %s", strerror(errno));
	return 0;
}

void event_loop_fini(struct event_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int event_loop_add(struct event_loop *l, struct event_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, h->fd, &ev);
}

void event_loop_del(struct event_loop *l, struct event_handler *h)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
}

int event_loop_run_once(struct event_loop *l, int timeout_ms, struct azerr *e)
{
	struct epoll_event ev;
	int n = epoll_wait(l->epfd, &ev, 1, timeout_ms);

	if (n < 0 && errno != EINTR)
		return azerr_set(e, "epoll_wait: %s", strerror(errno));
	if (n == 1) {
		struct event_handler *h = ev.data.ptr;
		h->ready(h, ev.events);
	}
	return 0;
}

/* The host signals that stop the VM. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void event_loop_block_signals(void)
{
	sigset_t set;

	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int event_loop_signal_fd(struct azerr *e)
{
	sigset_t set;
	int fd;

	stop_signals(&set);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return azerr_set(e, "signalfd: %s", strerror(errno));
	return fd;
}
