#include "cards/pmem/request.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "cards/pmem/file.h"
#include "cards/virtio/iov.h"
#include "common/log.h"
#include "virtio/virtio_pmem.h"

/* What a chain virtq_pop gave is. */
enum pmem_req {
	PMEM_REQ_FLUSH,     /* a 4-byte FLUSH, a 4-byte status buffer */
	PMEM_REQ_REFUSED,   /* malformed, but with a status buffer: EIO there */
	PMEM_REQ_BROKEN,    /* no 4-byte status buffer: completed with 0 */
};

/* The sizes are the request's as a whole, however its descriptors split
 * it (virtio's framing rule, §2.6.4). A chain that says nothing well
 * still gets EIO where it left room for a status: a driver must never
 * read a refusal as the success it did not get. *type: what a 4-byte
 * request asked for. */
static enum pmem_req classify(const struct virtq_chain *c, uint32_t *type)
{
	uint32_t le;

	if (c->out_len != VIRTIO_PMEM_REQ_SIZE)
		return c->in_len == VIRTIO_PMEM_RESP_SIZE ? PMEM_REQ_REFUSED : PMEM_REQ_BROKEN;
	iov_to_buf(c->iov, c->nr_out, 0, &le, sizeof(le));
	*type = le32toh(le);
	if (c->in_len != VIRTIO_PMEM_RESP_SIZE)
		return PMEM_REQ_BROKEN;
	return *type == VIRTIO_PMEM_REQ_TYPE_FLUSH ? PMEM_REQ_FLUSH : PMEM_REQ_REFUSED;
}

/* Completes c with status in its 4-byte status buffer. */
static void answer(struct virtq *q, const struct virtq_chain *c, uint32_t status)
{
	uint32_t le = htole32(status);

	iov_from_buf(c->iov + c->nr_out, c->nr_in, 0, &le, sizeof(le));
	virtq_push(q, c, sizeof(le));
}

/* A malformed request: counted, said, answered as classify found. */
static void refuse(struct pmem_server *s, struct virtq *q, const struct virtq_chain *c,
		   enum pmem_req kind, uint32_t type)
{
	const char *answered = kind == PMEM_REQ_REFUSED ? "EIO" : "with nothing written";

	card_stat_add(&s->stats->event_fails, 1);
	if (c->out_len == VIRTIO_PMEM_REQ_SIZE && type != VIRTIO_PMEM_REQ_TYPE_FLUSH)
		log_warn("pmem: request %u: unknown type %u, answered %s", c->head, type,
			 answered);
	else
		log_warn("pmem: request %u: %llu device-readable and %llu device-writable "
			 "bytes, not %d and %d, answered %s", c->head,
			 (unsigned long long)c->out_len, (unsigned long long)c->in_len,
			 VIRTIO_PMEM_REQ_SIZE, VIRTIO_PMEM_RESP_SIZE, answered);
	if (kind == PMEM_REQ_REFUSED)
		answer(q, c, VIRTIO_PMEM_RESP_TYPE_EIO);
	else
		virtq_push(q, c, 0);
}

/* The batch's n flushes: one flush of the file, then each answered with
 * its outcome. */
static void flush_batch(struct pmem_server *s, struct virtq *q, unsigned n)
{
	uint32_t status = VIRTIO_PMEM_RESP_TYPE_OK;

	if (pmem_file_flush(s->fd) < 0) {
		log_warn("pmem: flush of the backing file failed: %s (%u request%s answered "
			 "EIO)", strerror(errno), n, n == 1 ? "" : "s");
		card_stat_add(&s->stats->event_fails, n);
		status = VIRTIO_PMEM_RESP_TYPE_EIO;
	}
	for (unsigned i = 0; i < n; i++)
		answer(q, &s->batch[i].c, status);
}

enum limited_pass pmem_serve(struct pmem_server *s, struct virtq *q, uint64_t *wait_ns)
{
	enum limited_pass r = LIMITED_MORE;
	unsigned budget = s->budget < PMEM_MAX_BATCH ? s->budget : PMEM_MAX_BATCH;
	unsigned n = 0;             /* flushes taken, waiting for the batch's */
	bool charged = false;       /* the limiter let the batch's flush go */

	for (unsigned taken = 0; taken < budget; taken++) {
		struct pmem_pending *p = &s->batch[n];

		p->c = (struct virtq_chain){ .iov = p->iov, .cap = PMEM_MAX_IOV };
		int got = limited_pop(q, &p->c, &s->stats->flush_count, &s->stats->event_fails);
		if (got < 0)
			continue;
		if (!got) {
			r = LIMITED_IDLE;
			break;
		}
		uint32_t type = VIRTIO_PMEM_REQ_TYPE_FLUSH;
		enum pmem_req kind = classify(&p->c, &type);
		if (kind != PMEM_REQ_FLUSH) {
			card_stat_add(&s->stats->flush_count, 1);
			refuse(s, q, &p->c, kind, type);
			continue;
		}
		/* Only a well-formed flush is charged, once for its batch. */
		if (!charged && !card_limiter_take(s->limit, s->size, rl_now(), wait_ns)) {
			/* Exact: p->c is the last chain popped (refused chains
			 * before it are completed and stay so), and no flush of
			 * this pass is waiting, the batch being uncharged. */
			virtq_unpop(q, 1);
			card_stat_add(&s->stats->rate_limiter_throttled, 1);
			r = LIMITED_THROTTLED;
			break;
		}
		charged = true;
		card_stat_add(&s->stats->flush_count, 1);
		n++;
	}
	if (n)
		flush_batch(s, q, n);
	virtq_notify(q);
	return r;
}
