/* The console: a host input fd (terminal, pipe, file or /dev/null) feeding
 * the UART's receive FIFO. Input is read only while the UART has room, so
 * nothing typed or piped is ever dropped. */
#ifndef AZOTE_VMM_CONSOLE_H
#define AZOTE_VMM_CONSOLE_H

#include <stdbool.h>

#include "devices/uart.h"
#include "base/event_loop.h"

struct console {
	struct event_loop *loop;
	struct uart *uart;
	struct event_handler input;   /* the host input fd */
	struct event_handler space;   /* the UART's "room again" eventfd */
	bool pollable;                /* input can be in epoll (not a regular file) */
	bool watched;                 /* input is in the epoll set now */
	bool eof;
};

int console_start(struct console *c, struct event_loop *loop, struct uart *u,
		  int in_fd, int space_evfd, struct azerr *e);
void console_stop(struct console *c);

#endif
