#include "vmm/console.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"

/* Moves input bytes into the UART while it has room. A pollable input is
 * read once per readiness event (another read could block); a regular file
 * is read until the UART is full. */
static void pump(struct console *c, bool readable)
{
	uint8_t buf[UART_RX_FIFO];

	while (!c->eof && (readable || !c->pollable)) {
		size_t room = uart_rx_space(c->uart);
		if (!room)
			break;
		ssize_t n = read(c->input.fd, buf, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				log_warn("console input: %s", strerror(errno));
			c->eof = true;
			break;
		}
		uart_push_input(c->uart, buf, (size_t)n);
		readable = false;
	}
	/* Watch the input only while the UART has room for it. */
	bool want = c->pollable && !c->eof && uart_rx_space(c->uart);
	if (want != c->watched) {
		if (want)
			event_loop_add(c->loop, &c->input, EPOLLIN);
		else
			event_loop_del(c->loop, &c->input);
		c->watched = want;
	}
}

static void input_ready(struct event_handler *h, uint32_t events)
{
	(void)events;
	pump(h->arg, true);
}

static void space_ready(struct event_handler *h, uint32_t events)
{
	struct console *c = h->arg;
	uint64_t cnt;

	(void)events;
	if (read(h->fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_debug("console: UART space eventfd: %s", strerror(errno));
	pump(c, false);
}

int console_start(struct console *c, struct event_loop *loop, struct uart *u,
		  int in_fd, int space_evfd, struct azerr *e)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->uart = u;
	c->input = (struct event_handler){ .fd = in_fd, .ready = input_ready, .arg = c };
	c->space = (struct event_handler){ .fd = space_evfd, .ready = space_ready, .arg = c };
	if (event_loop_add(loop, &c->space, EPOLLIN) < 0)
		return azerr_set(e, "console: cannot watch the UART: %s", strerror(errno));
	if (event_loop_add(loop, &c->input, EPOLLIN) == 0) {
		c->pollable = c->watched = true;
	} else if (errno == EPERM) {
		/* A regular file: read it as the UART drains. */
		pump(c, false);
	} else {
		log_warn("console input not usable: %s", strerror(errno));
		c->eof = true;
	}
	return 0;
}

void console_stop(struct console *c)
{
	if (c->watched)
		event_loop_del(c->loop, &c->input);
	event_loop_del(c->loop, &c->space);
	c->watched = false;
}
