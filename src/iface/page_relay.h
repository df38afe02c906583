/* The page relay between a card and azote, for a snapshot loaded with
 * Firecracker's Uffd memory backend (docs/snapshot.md, "Memory"): an
 * external page-fault handler serves azote's mapping of guest RAM only,
 * the userfaultfd it was handed covering nothing else. A card's mapping of
 * the same memfd is registered with the card's own userfaultfd; when the
 * card faults on a page the handler has not put in place, the card asks
 * azote for the page's offset in guest RAM over this channel
 * (SOCK_SEQPACKET, one message each way per page); azote touches that
 * page through its own mapping, which the handler then fills, and answers;
 * the page being in the memfd's page cache, the card wakes its fault.
 *
 * A card sends an offset, never an address: azote checks it against its
 * RAM (EINVAL otherwise) and acts only on its own mapping of it. A card
 * can make azote load pages it could already read; nothing more. */
#ifndef AZOTE_IFACE_PAGE_RELAY_H
#define AZOTE_IFACE_PAGE_RELAY_H

#include <stdint.h>

struct page_relay_msg {
	uint64_t off;   /* the page's offset in the memfd, page-aligned */
	int32_t err;    /* the answer: 0, the page is in place, or an errno */
	uint32_t pad;   /* 0 */
};

#endif
