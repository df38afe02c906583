/* Split virtqueues (virtio 1.2, 2.7), driver side, polled. Every used
 * entry the device writes is checked: an id that is not an outstanding
 * chain head, or a length beyond what the chain offered, is a device bug
 * reported as such. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "probe.h"
#include "virtio.h"

#define AVAIL_FLAGS   0
#define AVAIL_IDX     1
#define AVAIL_RING    2
#define USED_FLAGS    0
#define USED_IDX      1
#define USED_F_NO_NOTIFY 1

int vq_add(struct virtq *q, const struct vq_seg *segs, unsigned n)
{
	u16 head = q->free_head, i = head, last = head;
	u32 writable = 0;

	if (n == 0 || n > q->num_free)
		return -1;
	for (unsigned k = 0; k < n; k++) {
		struct vq_desc *d = &q->desc[i];

		d->addr = (u64)segs[k].addr;
		d->len = segs[k].len;
		d->flags = (u16)((segs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
				 (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (segs[k].device_writes)
			writable += segs[k].len;
		last = i;
		i = d->next;
	}
	q->free_head = i;
	q->num_free = (u16)(q->num_free - n);
	q->desc[last].flags &= (u16)~VIRTQ_DESC_F_NEXT;
	q->writable[head] = writable;
	q->chain_len[head] = (u16)n;
	q->avail[AVAIL_RING + (q->avail_idx & (q->size - 1))] = head;
	q->avail_idx++;
	return head;
}

void vq_kick(struct virtq *q)
{
	u16 old = q->last_kicked, now = q->avail_idx;
	bool notify;

	if (old == now)
		return;
	barrier();                    /* ring entries before the index */
	q->avail[AVAIL_IDX] = now;
	q->last_kicked = now;
	mb();                         /* index before reading the device's wish */
	if (q->event_idx) {
		u16 ev = q->used[2 + 4 * q->size];   /* avail_event */

		notify = (u16)(now - ev - 1) < (u16)(now - old);
	} else {
		notify = !(q->used[USED_FLAGS] & USED_F_NO_NOTIFY);
	}
	if (notify)
		q->dev->ops->notify(q);
}

int vq_poll(struct virtq *q, u16 *head, u32 *len)
{
	u16 used_idx = q->used[USED_IDX], id, n, tail;
	u32 l;

	if (used_idx == q->last_used)
		return 0;
	if ((u16)(used_idx - q->last_used) > q->size) {
		q->dev->why = "reason=device_used_idx_jumped";
		return -1;
	}
	barrier();                    /* the index before the entry */
	{
		volatile struct vq_used_elem *e =
			&q->used_ring[q->last_used & (q->size - 1)];
		u32 raw_id = e->id;

		l = e->len;
		if (raw_id >= q->size || !q->chain_len[raw_id]) {
			q->dev->why = "reason=device_used_bad_id";
			return -1;
		}
		id = (u16)raw_id;
	}
	if (l > q->writable[id]) {
		q->dev->why = "reason=device_used_len_too_big";
		return -1;
	}
	q->last_used++;
	/* used_event: out of reach when polling (no interrupts), else the
	 * next completion interrupts. */
	if (q->event_idx)
		q->avail[AVAIL_RING + q->size] =
			(u16)(q->last_used + (q->dev->irq ? 0 : 0x7fff));
	/* return the chain to the free list */
	n = q->chain_len[id];
	tail = id;
	for (u16 k = 1; k < n; k++)
		tail = q->desc[tail].next;
	q->desc[tail].next = q->free_head;
	q->free_head = id;
	q->num_free = (u16)(q->num_free + n);
	q->chain_len[id] = 0;
	*head = id;
	*len = l;
	return 1;
}

/* How often a waiter looks at the device status: a device whose back-end
 * died says DEVICE_NEEDS_RESET, and the wait should end then, not at the
 * timeout. Rare, because each look is an exit to the VMM. */
#define STATUS_CHECK_US 10000

bool vq_device_failed(struct virtq *q, u64 *next_check)
{
	u64 now = rdtsc();

	if (now < *next_check)
		return false;
	*next_check = now + tsc_from_us(STATUS_CHECK_US);
	if (!virtio_needs_reset(q->dev))
		return false;
	q->dev->why = "reason=device_needs_reset";
	return true;
}

bool vq_wait(struct virtq *q, u16 head, u32 *len, u64 timeout_us)
{
	u64 t0 = rdtsc(), limit = tsc_from_us(timeout_us), next_check = 0;
	u16 h;

	for (;;) {
		int r = vq_poll(q, &h, len);

		if (r < 0)
			return false;
		if (r > 0) {
			if (h == head)
				return true;
			q->dev->why = "reason=device_completed_unexpected_chain";
			return false;
		}
		if (vq_device_failed(q, &next_check))
			return false;
		if (rdtsc() - t0 > limit) {
			q->dev->why = "reason=request_timeout";
			return false;
		}
		cpu_relax();
	}
}

bool vq_wait_irq(struct virtq *q, u16 head, u32 *len, u64 timeout_us, u64 irqs)
{
	u64 t0 = rdtsc(), limit = tsc_from_us(timeout_us), next_check = 0;
	u16 h;
	u32 l;

	while (virtio_irqs == irqs) {
		if (vq_device_failed(q, &next_check))
			return false;
		if (rdtsc() - t0 > limit) {
			/* Done but not signalled, or not done at all. */
			q->dev->why = vq_poll(q, &h, &l) > 0 ? "reason=no_interrupt"
							     : "reason=request_timeout";
			return false;
		}
		cpu_relax();
	}
	return vq_wait(q, head, len, timeout_us);
}

bool vq_sync(struct virtq *q, u16 head, u32 *len, u64 timeout_us)
{
	u64 irqs = virtio_irqs;   /* before the kick: the interrupt may come at once */

	vq_kick(q);
	return q->dev->irq ? vq_wait_irq(q, head, len, timeout_us, irqs)
			   : vq_wait(q, head, len, timeout_us);
}
