#include "drv_flood.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "drv_report.h"

uint16_t drv_costly_bad_chain(struct drv_vq *q, struct drv_mem *m)
{
	const unsigned n = VIRTQ_MAX_SIZE;
	uint64_t table = drv_alloc(m, (uint64_t)n * sizeof(struct virtq_desc), 4096, false);
	struct virtq_desc *it = drv_gpa(m, table);
	uint16_t head;

	for (unsigned i = 0; i + 1 < n; i++)
		it[i] = (struct virtq_desc){ htole64(table), 0, htole16(VIRTQ_DESC_F_NEXT),
					     htole16((uint16_t)(i + 1)) };
	it[n - 1] = (struct virtq_desc){ htole64(DRV_HIGH_GPA << 4), htole32(64), 0, 0 };
	if (drv_vq_take(q, 1, &head) < 0)
		drv_die(2, "flood: no free descriptor");
	q->desc[head] = (struct virtq_desc){ htole64(table), htole32(n * sizeof(*it)),
					     htole16(VIRTQ_DESC_F_INDIRECT), 0 };
	return head;
}

static void *flood(void *arg)
{
	struct drv_flood *f = arg;
	uint16_t avail = le16toh(f->q->avail->idx);
	uint64_t kicked = 0;

	while (__atomic_load_n(&f->on, __ATOMIC_RELAXED)) {
		uint16_t used = le16toh(__atomic_load_n(&f->q->used->idx, __ATOMIC_ACQUIRE));

		/* Up to a ring ahead of the card, never backwards (a stale
		 * used index): the ring would be broken, not full. Unsigned:
		 * a ring of 32768 entries is 32768 ahead. */
		if ((uint16_t)(avail - used) < f->q->num) {
			avail = (uint16_t)(used + f->q->num);
			__atomic_store_n(&f->q->avail->idx, htole16(avail), __ATOMIC_RELEASE);
		}
		if (drv_now_ms() != kicked) {
			uint64_t one = 1;
			kicked = drv_now_ms();
			(void)!write(f->q->kickfd, &one, sizeof(one));
		}
	}
	return NULL;
}

void drv_flood_start(struct drv_flood *f, struct drv_vq *q, uint16_t head)
{
	*f = (struct drv_flood){ .q = q, .head = head, .on = true };
	/* Every entry names the one chain: only the index moves. */
	for (unsigned i = 0; i < q->num; i++)
		q->avail->ring[i] = htole16(head);
	if (pthread_create(&f->thread, NULL, flood, f))
		drv_die(2, "flood: cannot start its thread");
}

void drv_flood_stop(struct drv_flood *f)
{
	__atomic_store_n(&f->on, false, __ATOMIC_RELAXED);
	pthread_join(f->thread, NULL);
}

bool drv_flood_stop_rings(struct vu_frontend *fe, struct drv_vq *q, uint16_t head,
			  const unsigned *rings, unsigned n, char *text, size_t text_size)
{
	struct drv_flood f;
	struct azerr e;
	uint16_t base;
	int r = 0;

	drv_flood_start(&f, q, head);
	usleep(300 * 1000);
	uint64_t t0 = drv_now_ms();
	for (unsigned i = 0; i < n && !r; i++)
		r = vu_fe_vring_stop(fe, rings[i], &base, &e);
	uint64_t ms = drv_now_ms() - t0;
	drv_flood_stop(&f);
	snprintf(text, text_size, "%s, %llu ms; %u chains answered meanwhile", r ? e.msg : "ok",
		 (unsigned long long)ms, le16toh(q->used->idx));
	return !r && ms < DRV_FLOOD_STOP_MS;
}
