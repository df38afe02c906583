/* The card's end of the page relay: see page_relay.h. */
#include "cards/page_relay.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "iface/page_relay.h"

int card_page_relay_place(void *arg, uint64_t off)
{
	int fd = (int)(intptr_t)arg;
	struct page_relay_msg m = { .off = off };
	ssize_t n = write(fd, &m, sizeof(m));

	if (n == sizeof(m))
		n = read(fd, &m, sizeof(m));
	if (n == sizeof(m) && m.off == off && !m.err)
		return 0;
	log_error("page relay: page at 0x%llx of guest RAM: %s", (unsigned long long)off,
		  n < 0 ? strerror(errno) : n != sizeof(m) ? "azote hung up" :
		  m.off != off ? "answered for another page" : strerror(m.err));
	return -1;
}
