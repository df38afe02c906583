/* The set-up of a card of one ring as azote would make it, for the
 * drivers of such cards (vurng-drv, vupmem-drv). */
#ifndef AZOTE_TESTS_HOST_DRV_ONE_RING_H
#define AZOTE_TESTS_HOST_DRV_ONE_RING_H

#include "drv_ring.h"
#include "vmm/vhost_frontend.h"

/* Negotiates (dirty logging asked for), checks that the card offers
 * exactly one ring, VERSION_1, EVENT_IDX, INDIRECT_DESC and dirty
 * logging (azote's snapshots need it), takes those features, makes guest
 * memory (drv_ring.h's) and starts ring 0 on it with qsize entries.
 * Exits (drv_report.h) on failure. */
void drv_one_ring_setup(struct vu_frontend *fe, struct drv_mem *mem, struct drv_vq *q,
			unsigned qsize);

/* The flood test of such a card (drv_flood.h): ring 0 kept full of
 * chains costly to refuse while it is stopped; the stop must be answered
 * within 1 s (a check counted in *failures). Leaves the ring stopped:
 * run it last. */
void drv_one_ring_flood(struct vu_frontend *fe, struct drv_mem *mem, struct drv_vq *q,
			int *failures);

#endif
