/* The page relay, azote's side: see page_relay.h. */
#include "vmm/page_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "iface/page_relay.h"

const volatile uint8_t *page_relay_find(const struct guest_mem *m, uint64_t off,
					uint64_t page)
{
	if (off & (page - 1))
		return NULL;
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		if (off >= r->fd_offset && off - r->fd_offset < r->size)
			return r->hva + (off - r->fd_offset);
	}
	return NULL;
}

struct page_relay {
	const struct guest_mem *m;
	int sock;
	int gone_fd;     /* readable once the handler has ended, or -1 */
	bool gone;       /* it has: said once */
	uint64_t page, answered;
	int (*on_start)(struct azerr *e);
	pthread_t thread;
};

/* One request: the page touched (so loaded by the handler) or an error,
 * in the answer. */
static void answer(struct page_relay *r, struct page_relay_msg *msg)
{
	const volatile uint8_t *at = page_relay_find(r->m, msg->off, r->page);
	struct pollfd pfd = { .fd = r->gone_fd, .events = POLLIN };

	if (at && !r->gone && r->gone_fd >= 0 && poll(&pfd, 1, 0) > 0) {
		r->gone = true;
		log_error("page relay: the page-fault handler has ended: the pages a card "
			  "has not loaded yet cannot be loaded any more");
	}
	msg->err = !at ? EINVAL : r->gone ? EPIPE : 0;
	msg->pad = 0;
	if (at && !r->gone) {
		(void)*at;
		r->answered++;
	}
}

static void *run(void *arg)
{
	struct page_relay *r = arg;
	struct page_relay_msg msg;
	struct azerr e;

	if (r->on_start && r->on_start(&e) < 0) {
		log_error("page relay: %s", e.msg);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(r->sock, &msg, sizeof(msg));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		/* A message of another size is no request of ours: the card
		 * is broken or hostile, and its relay ends, which it sees. */
		if (n != sizeof(msg)) {
			log_error("page relay: a card sent %zd bytes, not a request: relay ended",
				  n);
			shutdown(r->sock, SHUT_RDWR);
			return NULL;
		}
		answer(r, &msg);
		if (write(r->sock, &msg, sizeof(msg)) != sizeof(msg))
			return NULL;
	}
}

struct page_relay *page_relay_start(const struct guest_mem *m, int sock, int gone_fd,
				    int (*on_start)(struct azerr *e), struct azerr *e)
{
	struct page_relay *r = calloc(1, sizeof(*r));
	int err = ENOMEM;

	if (r) {
		*r = (struct page_relay){ .m = m, .sock = sock, .on_start = on_start,
					  .page = guest_mem_page_size(m), .gone_fd = -1 };
		if (gone_fd >= 0 && (r->gone_fd = fcntl(gone_fd, F_DUPFD_CLOEXEC, 0)) < 0)
			err = errno;
		else
			err = pthread_create(&r->thread, NULL, run, r);
	}
	if (err) {
		azerr_set(e, "cannot start a page relay: %s", strerror(err));
		close(sock);
		if (r && r->gone_fd >= 0)
			close(r->gone_fd);
		free(r);
		return NULL;
	}
	pthread_setname_np(r->thread, "page-relay");
	return r;
}

uint64_t page_relay_stop(struct page_relay *r)
{
	if (!r)
		return 0;
	/* Wakes a read that waits for the card; a touch is waited for. */
	shutdown(r->sock, SHUT_RDWR);
	pthread_join(r->thread, NULL);
	close(r->sock);
	if (r->gone_fd >= 0)
		close(r->gone_fd);
	uint64_t answered = r->answered;
	free(r);
	return answered;
}
