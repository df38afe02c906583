#include "cards/virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "virtio/virtio.h"

/* Malformed chains are logged up to this many times per queue start; the
 * rest are only counted, so a hostile driver cannot flood the log. */
#define BAD_CHAIN_LOG_LIMIT 8

/* Shared-memory accessors: a single access each (READ_ONCE/WRITE_ONCE) so
 * the compiler never re-reads a value the driver can change under us. */
static inline uint16_t ld16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void st16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

/* The driver's avail index. Acquire: the entries it covers are read only
 * after it. */
static inline uint16_t avail_idx(const struct virtq *q)
{
	return le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
}

static void *ring_part(const struct gmem *mem, uint64_t a, uint64_t len, bool uva)
{
	return uva ? gmem_uva(mem, a, len) : gmem_gpa(mem, a, len);
}

static bool overlap(const void *a, uint64_t alen, const void *b, uint64_t blen)
{
	const uint8_t *pa = a, *pb = b;

	return pa < pb + blen && pb < pa + alen;
}

int virtq_start(struct virtq *q, const struct gmem *mem, unsigned num,
		uint64_t desc, uint64_t avail, uint64_t used, bool uva,
		uint16_t last_avail, uint64_t features, struct azerr *e)
{
	const char *space = uva ? "frontend address" : "guest address";

	if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return azerr_set(e, "queue size %u is not a power of 2 in 1..%d",
				 num, VIRTQ_MAX_SIZE);
	/* §2.7: descriptor table 16-byte, available ring 2-byte, used ring
	 * 4-byte aligned. */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return azerr_set(e, "misaligned ring: desc 0x%llx avail 0x%llx used 0x%llx",
				 (unsigned long long)desc, (unsigned long long)avail,
				 (unsigned long long)used);
	q->desc = ring_part(mem, desc, virtq_desc_size(num), uva);
	q->avail = ring_part(mem, avail, virtq_avail_size(num), uva);
	q->used = ring_part(mem, used, virtq_used_size(num), uva);
	if (!q->desc || !q->avail || !q->used)
		return azerr_set(e, "ring of %u entries not inside guest memory "
				 "(%s desc 0x%llx avail 0x%llx used 0x%llx)", num, space,
				 (unsigned long long)desc, (unsigned long long)avail,
				 (unsigned long long)used);
	/* Aligned addresses can still land misaligned in our mapping: the
	 * front-end's memory table places each region (gpa, uva, mmap
	 * offset) where it likes. The rings are read and written as the
	 * structures they are, so their host addresses must be aligned as
	 * well (found by fuzz_vhost_msg under UBSan). */
	if (((uintptr_t)q->desc & 15) || ((uintptr_t)q->avail & 1) || ((uintptr_t)q->used & 3))
		return azerr_set(e, "ring of %u entries misaligned in the front-end's memory "
				 "regions (%s desc 0x%llx avail 0x%llx used 0x%llx)", num, space,
				 (unsigned long long)desc, (unsigned long long)avail,
				 (unsigned long long)used);
	/* The used ring is the one part we write. Over the available ring
	 * our own used->idx stores would move avail->idx, so every chain we
	 * complete would make another available and the queue never drains;
	 * over the descriptor table we would rewrite chains we are walking.
	 * No driver lays a ring out so; refuse it. Host addresses are
	 * compared, as both address spaces end there. */
	if (overlap(q->used, virtq_used_size(num), q->avail, virtq_avail_size(num)) ||
	    overlap(q->used, virtq_used_size(num), q->desc, virtq_desc_size(num)))
		return azerr_set(e, "used ring (%s 0x%llx) overlaps the descriptor "
				 "table (0x%llx) or available ring (0x%llx) of %u entries",
				 space, (unsigned long long)used, (unsigned long long)desc,
				 (unsigned long long)avail, num);
	q->mem = mem;
	q->num = num;
	q->event_idx = features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	q->indirect = features & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	q->last_avail = last_avail;
	q->used_idx = ld16(&q->used->idx);
	q->signalled_valid = false;
	q->broken = false;
	q->bad_chains = 0;
	q->log = q->used_log = NULL;
	return 0;
}

int virtq_set_log(struct virtq *q, struct vlog *log, bool buffers, bool used,
		  uint64_t used_gpa, struct azerr *e)
{
	uint64_t used_len = virtq_used_size(q->num);

	q->log = q->used_log = NULL;
	if (used && !log)
		return azerr_set(e, "used ring logging asked (VHOST_VRING_F_LOG) but no "
				 "log given (SET_LOG_BASE)");
	if (!log)
		return 0;
	uint64_t end = vlog_mem_end(q->mem);
	if (buffers && !vlog_covers(log, end))
		return azerr_set(e, "dirty log of %llu bytes does not cover guest memory "
				 "up to 0x%llx", (unsigned long long)log->size,
				 (unsigned long long)end);
	if (used) {
		/* The front-end names the used ring twice, by its own address
		 * and by the guest's: both must be the same memory, or the
		 * bits would describe pages we do not write. */
		if (gmem_gpa(q->mem, used_gpa, used_len) != (void *)q->used)
			return azerr_set(e, "log_guest_addr 0x%llx is not the guest address "
					 "of the used ring", (unsigned long long)used_gpa);
		if (!vlog_covers(log, used_gpa + used_len))
			return azerr_set(e, "dirty log of %llu bytes does not cover the used "
					 "ring at 0x%llx", (unsigned long long)log->size,
					 (unsigned long long)used_gpa);
		q->used_log = log;
		q->used_gpa = used_gpa;
	}
	q->log = buffers ? log : NULL;
	return 0;
}

void virtq_log_write(struct virtq *q, const struct virtq_chain *c, uint64_t off,
		     uint64_t len)
{
	if (__builtin_expect(!q->log, 1))
		return;
	const struct iovec *iov = c->iov + c->nr_out;
	for (unsigned i = 0; i < c->nr_in && len; i++) {
		uint64_t l = iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		uint64_t chunk = l - off < len ? l - off : len;
		uint64_t gpa;
		/* Each segment lies in one region: gmem_gpa_iov split them. */
		if (gmem_hva_to_gpa(q->mem, (uint8_t *)iov[i].iov_base + off, &gpa))
			vlog_mark(q->log, gpa, chunk);
		len -= chunk;
		off = 0;
	}
}

/* Logs a write of len bytes at offset off of the used ring. */
static inline void log_used(struct virtq *q, uint64_t off, uint64_t len)
{
	if (__builtin_expect(q->used_log != NULL, 0))
		vlog_mark(q->used_log, q->used_gpa + off, len);
}

/* Adds one descriptor's buffer to the chain, readable ones before writable
 * ones (§2.7.4.2). */
static int add_buffer(const struct virtq *q, struct virtq_chain *c,
		      const struct virtq_desc *d, struct azerr *e)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	unsigned n = c->nr_out + c->nr_in;
	uint64_t *total = writable ? &c->in_len : &c->out_len;

	if (!writable && c->nr_in)
		return azerr_set(e, "device-readable descriptor after a writable one");
	if (d->len > VIRTQ_MAX_CHAIN_BYTES - *total)
		return azerr_set(e, "chain carries more than %llu bytes",
				 VIRTQ_MAX_CHAIN_BYTES);
	if (gmem_gpa_iov(q->mem, d->addr, d->len, c->iov, c->cap, &n))
		return azerr_set(e, "buffer 0x%llx+%u outside guest memory or "
				 "more than %u segments", (unsigned long long)d->addr,
				 d->len, c->cap);
	*total += d->len;
	if (writable)
		c->nr_in = n - c->nr_out;
	else
		c->nr_out = n;
	return 0;
}

int virtq_map_chain(const struct virtq *q, uint16_t head, struct virtq_chain *c,
		    struct azerr *e)
{
	const struct virtq_desc *table = q->desc;
	unsigned size = q->num, seen = 0;
	bool indirect = false;
	unsigned i = head;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct virtq_desc d;

		if (i >= size)
			return azerr_set(e, "descriptor index %u outside %s table of %u",
					 i, indirect ? "indirect" : "the", size);
		/* §2.7.5.3.1: no chain is longer than the queue; this also
		 * bounds the walk of a chain that loops. An indirect table's
		 * entries are counted apart, against the table's own size:
		 * drivers fill a whole queue-sized table, whose pointer then
		 * sits in the ring's table (Linux does, for its largest
		 * requests), and a 1-entry queue still carries requests. */
		if (++seen > size)
			return azerr_set(e, "chain from head %u longer than %s (%u): "
					 "a loop?", head, indirect ? "its indirect table" :
					 "the queue", size);
		memcpy(&d, &table[i], sizeof(d));
		d.addr = le64toh(d.addr);
		d.len = le32toh(d.len);
		d.flags = le16toh(d.flags);
		d.next = le16toh(d.next);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return azerr_set(e, "indirect descriptor, feature not negotiated");
			if (indirect)
				return azerr_set(e, "nested indirect descriptor");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return azerr_set(e, "indirect descriptor with NEXT set");
			/* Up to the largest queue's size, whatever this one's. */
			if (!d.len || d.len % sizeof(d) || d.len / sizeof(d) > VIRTQ_MAX_SIZE)
				return azerr_set(e, "indirect table of %u bytes (must be "
						 "16..%u, a multiple of 16)", d.len,
						 16 * VIRTQ_MAX_SIZE);
			table = gmem_gpa(q->mem, d.addr, d.len);
			if (!table)
				return azerr_set(e, "indirect table 0x%llx+%u outside "
						 "guest memory", (unsigned long long)d.addr, d.len);
			size = d.len / sizeof(d);
			seen = 0;
			indirect = true;
			i = 0;
			continue;
		}
		if (add_buffer(q, c, &d, e))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

/* Writes the used element n places past the published index. */
static void fill_head(struct virtq *q, unsigned n, uint16_t head, uint32_t len)
{
	uint16_t slot = (uint16_t)(q->used_idx + n) % q->num;
	struct virtq_used_elem *el = &q->used->ring[slot];

	__atomic_store_n(&el->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&el->len, htole32(len), __ATOMIC_RELAXED);
	log_used(q, offsetof(struct virtq_used, ring) + slot * sizeof(*el), sizeof(*el));
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	if (q->broken)
		return 0;
	/* Acquire: the ring entries and descriptors the driver wrote before
	 * publishing idx are visible once we see idx. */
	uint16_t idx = avail_idx(q);
	uint16_t pending = idx - q->last_avail;
	struct azerr e;

	if (!pending)
		return 0;
	if (pending > q->num) {
		log_error("virtqueue: driver made %u requests available on a "
			  "ring of %u; queue stopped until reset", pending, q->num);
		q->broken = true;
		return 0;
	}
	uint16_t head = ld16(&q->avail->ring[q->last_avail % q->num]);
	q->last_avail++;
	if (!virtq_map_chain(q, head, c, &e))
		return 1;
	if (q->bad_chains++ < BAD_CHAIN_LOG_LIMIT)
		log_warn("virtqueue: request %u failed: %s", head, e.msg);
	/* A head out of range names no request we could complete; the rest
	 * is completed having written nothing. */
	if (head < q->num) {
		fill_head(q, 0, head, 0);
		virtq_flush(q, 1);
	}
	return -1;
}

void virtq_fill(struct virtq *q, unsigned n, const struct virtq_chain *c, uint32_t len)
{
	virtq_log_write(q, c, 0, len);
	fill_head(q, n, c->head, len);
}

void virtq_flush(struct virtq *q, unsigned count)
{
	q->used_idx = (uint16_t)(q->used_idx + count);
	/* Release: the elements are visible before the index that covers them. */
	__atomic_store_n(&q->used->idx, htole16(q->used_idx), __ATOMIC_RELEASE);
	/* Logged before the driver is told (virtq_notify). */
	log_used(q, offsetof(struct virtq_used, idx), sizeof(q->used->idx));
}

void virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t len)
{
	virtq_fill(q, 0, c, len);
	virtq_flush(q, 1);
}

void virtq_push_logged(struct virtq *q, const struct virtq_chain *c, uint32_t len)
{
	fill_head(q, 0, c->head, len);
	virtq_flush(q, 1);
}

void virtq_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx;
	bool need;

	if (q->signalled_valid && old == now)
		return;
	/* Full barrier: our used->idx store must be visible before we read
	 * the driver's suppression state, or both sides may skip (§2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t event = ld16(&q->avail->ring[q->num]);
		need = !q->signalled_valid || virtq_need_event(event, now, old);
	} else {
		need = !(ld16(&q->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	q->signalled_used = now;
	q->signalled_valid = true;
	if (need)
		virtq_signal(q->callfd);
}

bool virtq_take_kicks(int kickfd)
{
	uint64_t count;
	struct iovec iov = { &count, sizeof(count) };
	ssize_t n = preadv2(kickfd, &iov, 1, -1, RWF_NOWAIT);

	/* Eventfds take RWF_NOWAIT from Linux 5.10 (FMODE_NOWAIT); before,
	 * the O_NONBLOCK the back-end set when it took the fd is all there
	 * is. */
	if (n < 0 && errno == EOPNOTSUPP)
		n = read(kickfd, &count, sizeof(count));
	return n == sizeof(count) || (n < 0 && errno == EAGAIN);
}

void virtq_signal(int fd)
{
	uint64_t one = 1;

	/* Refused (EAGAIN) only when the counter cannot take one more: a
	 * notification is pending already, the reader has yet to take it,
	 * and this one would add nothing. */
	if (fd >= 0)
		(void)!write(fd, &one, sizeof(one));
}

bool virtq_rearm(struct virtq *q)
{
	return virtq_rearm_at(q, q->last_avail);
}

bool virtq_rearm_at(struct virtq *q, uint16_t idx)
{
	if (q->broken)
		return false;
	if (q->event_idx) {
		st16((uint16_t *)&q->used->ring[q->num], idx);
		log_used(q, offsetof(struct virtq_used, ring) +
			 q->num * sizeof(struct virtq_used_elem), 2);
	} else {
		st16(&q->used->flags, 0);
		log_used(q, offsetof(struct virtq_used, flags), 2);
	}
	/* Full barrier: publish avail_event (or the cleared flag) before
	 * re-reading avail->idx, so a request made meanwhile is either seen
	 * here or kicked. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_idx(q) != idx;
}

void virtq_suppress_kicks(struct virtq *q)
{
	/* Under EVENT_IDX the driver ignores the flags (§2.7.10); an
	 * avail_event left behind the requests already taken is enough. */
	if (!q->event_idx) {
		st16(&q->used->flags, VIRTQ_USED_F_NO_NOTIFY);
		log_used(q, offsetof(struct virtq_used, flags), 2);
	}
}

bool virtq_has_avail(const struct virtq *q)
{
	return !q->broken && avail_idx(q) != q->last_avail;
}

uint16_t virtq_avail_idx(const struct virtq *q)
{
	return avail_idx(q);
}

void virtq_unpop(struct virtq *q, unsigned n)
{
	q->last_avail = (uint16_t)(q->last_avail - n);
}
