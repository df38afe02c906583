/* azote's side of the page relay (iface/page_relay.h): on a snapshot
 * loaded from an external page-fault handler (Firecracker's Uffd backend,
 * vmm/lazy_mem.h), a thread per card answers the card's requests for the
 * pages it faulted on, by touching each page through azote's own mapping,
 * which the handler fills. The thread blocks on that touch until the
 * handler has served it: a handler that stops serving freezes the card's
 * I/O, as it freezes the vCPUs (Firecracker's behaviour). */
#ifndef AZOTE_VMM_PAGE_RELAY_H
#define AZOTE_VMM_PAGE_RELAY_H

#include <stdint.h>

#include "base/guest_mem.h"
#include "common/err.h"

/* The page at offset off of m's memfd, in azote's mapping: NULL unless off
 * is page-aligned (page bytes) and the page lies in one of m's regions.
 * Pure, for tests. */
const volatile uint8_t *page_relay_find(const struct guest_mem *m, uint64_t off,
					uint64_t page);

struct page_relay;

/* Serves the requests that come on sock (SOCK_SEQPACKET; the relay's from
 * now on) against m, on a thread of its own, which runs on_start first
 * when it is not NULL (azote's seccomp role) and serves nothing if it
 * fails. It ends when the card hangs up. gone_fd, when not -1, polls
 * readable once the page-fault handler has ended (a pidfd of its process;
 * the relay keeps a copy): from then on a request is answered EPIPE
 * without touching the page, a touch that no one would ever serve, the
 * relay thread and the card's with it waiting for good (the card then
 * ends: common/uffd_pager.h). NULL with e, sock closed. */
struct page_relay *page_relay_start(const struct guest_mem *m, int sock, int gone_fd,
				    int (*on_start)(struct azerr *e), struct azerr *e);

/* Ends the thread (once any touch it is in returns), closes the socket
 * and frees r; the pages it answered for. 0 for a NULL r. */
uint64_t page_relay_stop(struct page_relay *r);

#endif
