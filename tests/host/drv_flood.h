/* A hostile guest for the test drivers: a chain that is as costly as any
 * for a card to refuse, and a thread that keeps a ring full of it,
 * re-posting as fast as the card completes, as a guest vCPU that never
 * exits could. A card must still answer a ring's stop at once. */
#ifndef AZOTE_TESTS_HOST_DRV_FLOOD_H
#define AZOTE_TESTS_HOST_DRV_FLOOD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "drv_ring.h"
#include "vmm/vhost_frontend.h"

/* One descriptor of q pointing at an indirect table of VIRTQ_MAX_SIZE
 * entries (the largest there is) chained through zero-length buffers to
 * a last one outside guest memory: refused only after the whole walk.
 * The table is allocated in m. Returns its head. */
uint16_t drv_costly_bad_chain(struct drv_vq *q, struct drv_mem *m);

/* How soon a card must answer a ring's stop under a flood: a pause for a
 * snapshot waits on it. A card that bounds its passes answers within
 * milliseconds; one that does not, never. */
#define DRV_FLOOD_STOP_MS 1000

struct drv_flood {
	struct drv_vq *q;
	uint16_t head;
	bool on;
	pthread_t thread;
};

/* Fills every entry of q's avail ring with head and starts moving its
 * index to keep the ring full (never backwards), with a kick per ms.
 * The ring is the flood's until drv_flood_stop, and unusable after. */
void drv_flood_start(struct drv_flood *f, struct drv_vq *q, uint16_t head);
void drv_flood_stop(struct drv_flood *f);

/* The flood test every card passes: q kept full of the chain at head
 * (drv_costly_bad_chain, or a valid request the card answers without
 * keeping it) for 300 ms, then the rings in rings[0..n) stopped through
 * fe while it goes on (the first failure ends the stops), then the flood
 * ended; q is unusable after. Returns whether every stop was answered
 * within DRV_FLOOD_STOP_MS; text says how (the error
 * or "ok", the time, the chains answered meanwhile) for the driver's
 * check line. */
bool drv_flood_stop_rings(struct vu_frontend *fe, struct drv_vq *q, uint16_t head,
			  const unsigned *rings, unsigned n, char *text, size_t text_size);

#endif
