#include "vmm/event_loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"

enum { EV_STOP, EV_SIGNAL, EV_INPUT, EV_UART_SPACE };

struct loop {
	struct vm *vm;
	int epfd, sigfd, in_fd;
	bool in_pollable;   /* in_fd can be in epoll (not a regular file) */
	bool in_watched;    /* in_fd is currently in the epoll set */
	bool in_eof;
};

static int watch(struct loop *l, int fd, int tag, int op)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)tag };

	return epoll_ctl(l->epfd, op, fd, op == EPOLL_CTL_DEL ? NULL : &ev);
}

/* Moves console bytes into the UART while it has room. A pollable input
 * is read once per readiness event (another read could block); a regular
 * file is read until the UART is full. Input that does not fit stays where
 * it is for later: nothing is lost. */
static void pump_input(struct loop *l, bool readable)
{
	uint8_t buf[UART_RX_FIFO];

	while (!l->in_eof && (readable || !l->in_pollable)) {
		size_t room = uart_rx_space(&l->vm->uart);
		if (!room)
			break;
		ssize_t n = read(l->in_fd, buf, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				log_warn("console input: %s", strerror(errno));
			l->in_eof = true;
			break;
		}
		uart_push_input(&l->vm->uart, buf, (size_t)n);
		readable = false;
	}
	/* Watch the input only while the UART has room for it. */
	bool want = l->in_pollable && !l->in_eof && uart_rx_space(&l->vm->uart);
	if (want != l->in_watched) {
		watch(l, l->in_fd, EV_INPUT, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL);
		l->in_watched = want;
	}
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

static int loop_init(struct loop *l, struct vm *vm, int in_fd, struct azerr *e)
{
	sigset_t set;

	memset(l, 0, sizeof(*l));
	l->vm = vm;
	l->in_fd = in_fd;
	l->sigfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return azerr_set(e, "epoll_create1: %s", strerror(errno));
	/* Blocked in every thread by event_loop_block_signals(), so they
	 * arrive here and nowhere else. */
	stop_signals(&set);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return azerr_set(e, "signalfd: %s", strerror(errno));
	if (watch(l, vm->stop_evfd, EV_STOP, EPOLL_CTL_ADD) ||
	    watch(l, l->sigfd, EV_SIGNAL, EPOLL_CTL_ADD) ||
	    watch(l, vm->uart_space_evfd, EV_UART_SPACE, EPOLL_CTL_ADD))
		return azerr_set(e, "epoll_ctl: %s", strerror(errno));
	if (watch(l, in_fd, EV_INPUT, EPOLL_CTL_ADD) == 0) {
		l->in_pollable = l->in_watched = true;
	} else if (errno != EPERM) {
		/* EPERM: a regular file, read it as the UART drains. */
		log_warn("console input not usable: %s", strerror(errno));
		l->in_eof = true;
	}
	return 0;
}

int event_loop_run(struct vm *vm, int in_fd, struct azerr *e)
{
	struct loop l;
	int ret = -1;

	if (loop_init(&l, vm, in_fd, e) < 0)
		goto out;
	pump_input(&l, false);
	while (atomic_load(&vm->state) != VM_STOPPING) {
		struct epoll_event evs[4];
		int n = epoll_wait(l.epfd, evs, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			azerr_set(e, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			uint64_t cnt;
			struct signalfd_siginfo si;
			switch (evs[i].data.u32) {
			case EV_SIGNAL:
				if (read(l.sigfd, &si, sizeof(si)) == sizeof(si)) {
					log_info("stopping the VM on signal %u", si.ssi_signo);
					vm_request_stop(vm, 128 + (int)si.ssi_signo);
				}
				break;
			case EV_UART_SPACE:
				if (read(vm->uart_space_evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
					log_debug("uart space eventfd: %s", strerror(errno));
				pump_input(&l, false);
				break;
			case EV_INPUT:
				pump_input(&l, true);
				break;
			default: /* EV_STOP: the loop condition sees it */
				break;
			}
		}
	}
	ret = 0;
out:
	if (l.sigfd >= 0)
		close(l.sigfd);
	if (l.epfd >= 0)
		close(l.epfd);
	return ret;
}
