/* The main thread's reactor: file descriptors and what to do when they
 * become ready. Console input, host signals, the VM's stop request, card
 * sockets and masked MSI-X sources all go through it. Nothing on a data
 * path does: those run between KVM, the cards and eventfds.
 *
 * Handlers may be added and removed from any thread. Events are taken one
 * at a time, so a handler removed by another handler is never called
 * afterwards; a handler removed from another thread must stay valid until
 * the main thread has gone round the loop once more (owners free them only
 * at teardown). */
#ifndef AZOTE_BASE_EVENT_LOOP_H
#define AZOTE_BASE_EVENT_LOOP_H

#include <stdint.h>

#include "common/err.h"

struct event_handler {
	int fd;
	void (*ready)(struct event_handler *h, uint32_t events);
	void *arg;
};

struct event_loop {
	int epfd;
};

int event_loop_init(struct event_loop *l, struct azerr *e);
void event_loop_fini(struct event_loop *l);
/* Watches h->fd for events (EPOLLIN ...). Returns -1 with errno set if the
 * fd cannot be watched (EPERM: a regular file). */
int event_loop_add(struct event_loop *l, struct event_handler *h, uint32_t events);
void event_loop_del(struct event_loop *l, struct event_handler *h);
/* Waits up to timeout_ms (-1: forever) and runs at most one handler.
 * Returns -1 only on a fatal epoll error. */
int event_loop_run_once(struct event_loop *l, int timeout_ms, struct azerr *e);

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and so in every
 * thread it starts afterwards: call before any other thread exists, then
 * read them from event_loop_signal_fd(). */
void event_loop_block_signals(void);
int event_loop_signal_fd(struct azerr *e);

#endif
