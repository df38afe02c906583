#include "drv_ring.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* drv_mem_init's memfd made with memfd_create's flags. */
static int mem_init(struct drv_mem *m, unsigned flags)
{
	/* Sealable, as azote's guest RAM: a card refuses memory its --fd
	 * front-end could still truncate under it. */
	m->fd = memfd_create("vublk-drv-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING | flags);
	if (m->fd < 0 || ftruncate(m->fd, DRV_MEM_SIZE) < 0)
		return -1;
	m->base = mmap(NULL, DRV_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->base == MAP_FAILED)
		return -1;
	m->next_low = 0x1000;
	m->next_high = DRV_HIGH_GPA;
	return 0;
}

int drv_mem_init(struct drv_mem *m)
{
	return mem_init(m, 0);
}

int drv_mem_init_huge(struct drv_mem *m)
{
	return mem_init(m, MFD_HUGETLB);
}

void *drv_gpa(const struct drv_mem *m, uint64_t gpa)
{
	if (gpa < (32ULL << 20))
		return m->base + gpa;
	if (gpa >= DRV_HIGH_GPA && gpa < DRV_HIGH_GPA + (32ULL << 20))
		return m->base + (32ULL << 20) + (gpa - DRV_HIGH_GPA);
	return NULL;
}

uint64_t drv_alloc(struct drv_mem *m, uint64_t len, uint64_t align, bool high)
{
	uint64_t *next = high ? &m->next_high : &m->next_low;
	uint64_t a = (*next + align - 1) & ~(align - 1);

	*next = a + len;
	return a;
}

int drv_vq_init(struct drv_vq *q, struct drv_mem *m, unsigned num, bool event_idx)
{
	memset(q, 0, sizeof(*q));
	q->mem = m;
	q->num = num;
	q->event_idx = event_idx;
	q->desc_gpa = drv_alloc(m, virtq_desc_size(num), 4096, false);
	q->avail_gpa = drv_alloc(m, virtq_avail_size(num), 4096, false);
	q->used_gpa = drv_alloc(m, virtq_used_size(num), 4096, false);
	q->desc = drv_gpa(m, q->desc_gpa);
	q->avail = drv_gpa(m, q->avail_gpa);
	q->used = drv_gpa(m, q->used_gpa);
	memset(q->desc, 0, virtq_desc_size(num));
	memset(q->avail, 0, virtq_avail_size(num));
	memset(q->used, 0, virtq_used_size(num));
	for (unsigned i = 0; i < num; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nr_free = num;
	q->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* Interrupt after every completion. */
	q->avail->ring[num] = 0;
	return q->kickfd < 0 || q->callfd < 0 ? -1 : 0;
}

void drv_vq_set_base(struct drv_vq *q, uint16_t base)
{
	q->avail_idx = q->last_used = q->kicked_at = base;
	q->avail->idx = base;
	q->used->idx = base;
}

int drv_vq_take(struct drv_vq *q, unsigned k, uint16_t *dst)
{
	if (!k || k > q->nr_free)
		return -1;
	for (unsigned i = 0; i < k; i++) {
		dst[i] = q->free_head;
		q->free_head = q->desc[q->free_head].next;
	}
	q->nr_free -= k;
	return dst[0];
}

void drv_vq_release(struct drv_vq *q, const uint16_t *d, unsigned k)
{
	for (unsigned i = k; i-- > 0;) {
		q->desc[d[i]].next = q->free_head;
		q->free_head = d[i];
	}
	q->nr_free += k;
}

int drv_vq_add(struct drv_vq *q, const struct drv_buf *b, unsigned n,
	       uint64_t itable_gpa)
{
	uint16_t d[64];
	unsigned k = itable_gpa ? 1 : n;

	if (k > 64 || drv_vq_take(q, k, d) < 0)
		return -1;
	if (itable_gpa) {
		struct virtq_desc *t = drv_gpa(q->mem, itable_gpa);
		for (unsigned i = 0; i < n; i++)
			t[i] = (struct virtq_desc){
				.addr = b[i].gpa, .len = b[i].len,
				.flags = (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
				.next = (uint16_t)(i + 1),
			};
		q->desc[d[0]] = (struct virtq_desc){
			.addr = itable_gpa, .len = n * 16, .flags = VIRTQ_DESC_F_INDIRECT,
		};
	} else {
		for (unsigned i = 0; i < n; i++)
			q->desc[d[i]] = (struct virtq_desc){
				.addr = b[i].gpa, .len = b[i].len,
				.flags = (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
				.next = i + 1 < n ? d[i + 1] : 0,
			};
	}
	q->chain_len[d[0]] = (uint16_t)k;
	drv_vq_publish(q, d[0]);
	return d[0];
}

void drv_vq_publish(struct drv_vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx % q->num] = head;
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

void drv_vq_kick(struct drv_vq *q)
{
	uint16_t old = q->kicked_at, now = q->avail_idx;
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kicked_at = now;
	if (q->event_idx) {
		uint16_t ev = __atomic_load_n((uint16_t *)&q->used->ring[q->num],
					      __ATOMIC_RELAXED);
		if (!virtq_need_event(ev, now, old))
			return;
	} else if (__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
		   VIRTQ_USED_F_NO_NOTIFY) {
		return;
	}
	(void)!write(q->kickfd, &one, sizeof(one));
}

bool drv_vq_get_used(struct drv_vq *q, uint16_t *id, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

	if (idx == q->last_used)
		return false;
	struct virtq_used_elem *e = &q->used->ring[q->last_used % q->num];
	*id = (uint16_t)e->id;
	*len = e->len;
	q->last_used++;
	/* Ask for an interrupt on the next completion. */
	__atomic_store_n(&q->avail->ring[q->num], q->last_used, __ATOMIC_RELAXED);
	if (*id < q->num && q->chain_len[*id]) {
		uint16_t d[64];
		unsigned k = q->chain_len[*id];
		d[0] = *id;
		for (unsigned i = 1; i < k; i++)
			d[i] = q->desc[d[i - 1]].next;
		q->chain_len[*id] = 0;
		drv_vq_release(q, d, k);
	}
	return true;
}

int drv_vq_post_raw(struct drv_vq *q, const struct virtq_desc *desc, unsigned k,
		    uint16_t *idx)
{
	if (drv_vq_take(q, k, idx) < 0)
		return -1;
	for (unsigned i = 0; i < k; i++) {
		q->desc[idx[i]] = desc[i];
		q->desc[idx[i]].next = idx[desc[i].next];
	}
	drv_vq_publish(q, idx[0]);
	return idx[0];
}

/* CLOCK_MONOTONIC in ms (drv_report.c's drv_now_ms, which the unit tests
 * that link this file do not link). */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool drv_vq_wait_used(struct drv_vq *q, uint16_t *id, uint32_t *len, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		if (drv_vq_get_used(q, id, len))
			return true;
		uint64_t t = mono_ms();
		if (t >= end)
			return false;
		/* Wakes on the call, or every 20 ms for a device that
		 * completes without one. */
		struct pollfd p = { q->callfd, POLLIN, 0 };
		uint64_t v;
		if (poll(&p, 1, (int)(end - t < 20 ? end - t : 20)) > 0)
			(void)!read(q->callfd, &v, sizeof(v));
	}
}
