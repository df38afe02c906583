/* A card's end of the page relay (iface/page_relay.h): on a load from an
 * external page-fault handler, the card's pager (common/uffd_pager.h) has
 * azote put each page it faulted on in place. */
#ifndef AZOTE_CARDS_PAGE_RELAY_H
#define AZOTE_CARDS_PAGE_RELAY_H

#include <stdint.h>

/* A uffd_source's place hook, arg the relay's fd (intptr_t): asks azote
 * for the page at memfd offset off and waits for its answer. 0 when azote
 * put it in place; -1, logged, when it refused or hung up. */
int card_page_relay_place(void *arg, uint64_t off);

#endif
