/* The statistics ring (§5.5.6.3): the driver posts one buffer of
 * statistics; the device reads it and holds it, and asks for fresh ones
 * by giving it back (used), which makes the driver refill and post it
 * again. The card gives it back every interval (device.c's timer), when
 * azote sets a new interval, and whenever the ring stops, so that no
 * stop (a snapshot, a reset, a new card) keeps the guest's only buffer. */
#include "cards/balloon/request.h"

#include <endian.h>
#include <string.h>

#include "cards/virtio/iov.h"
#include "common/log.h"

/* The stats page's array is sized by iface/'s own constant (iface/ may not
 * include virtio/): a tag this card takes must have its slot there. */
_Static_assert(CARD_BALLOON_NR_STATS == VIRTIO_BALLOON_S_NR,
	       "the stats page holds every statistic tag the card takes");

int balloon_stats_parse(const uint8_t *buf, uint64_t len, struct card_balloon_stats *st)
{
	if (len % VIRTIO_BALLOON_STAT_SIZE || len / VIRTIO_BALLOON_STAT_SIZE > BALLOON_MAX_STATS)
		return -1;
	for (uint64_t off = 0; off < len; off += VIRTIO_BALLOON_STAT_SIZE) {
		uint16_t tag;
		uint64_t val;

		memcpy(&tag, buf + off, sizeof(tag));
		memcpy(&val, buf + off + sizeof(tag), sizeof(val));
		tag = le16toh(tag);
		/* Tags from a newer driver than this card: ignored. */
		if (tag >= VIRTIO_BALLOON_S_NR)
			continue;
		/* azote reads the page while the card writes: the value is
		 * there before its bit says so. */
		__atomic_store_n(&st->stat[tag], le64toh(val), __ATOMIC_RELAXED);
		__atomic_fetch_or(&st->stat_seen, 1ULL << tag, __ATOMIC_RELEASE);
	}
	return 0;
}

/* Puts the held buffer on the used ring; the caller notifies. */
static void push_held(struct balloon_server *s, struct virtq *q)
{
	struct virtq_chain held = { .head = s->held_head };

	virtq_push(q, &held, 0);
	s->held = false;
}

void balloon_stats_one(struct balloon_server *s, struct virtq *q,
		       const struct virtq_chain *c)
{
	/* A driver that keeps to the protocol has one buffer out; a second
	 * one while the first is held gets the first back, so the card holds
	 * at most one and the ring never fills with held buffers. */
	if (s->held) {
		log_debug("balloon: a second statistics buffer; the first one returned");
		push_held(s, q);
	}
	/* A malformed buffer (writable parts, not whole statistics, too many
	 * of them) is not read, but held all the same: returning it is what
	 * asks the driver for the next one. */
	if (c->nr_in || c->out_len > sizeof(s->stat_buf) ||
	    iov_to_buf(c->iov, c->nr_out, 0, s->stat_buf, c->out_len) != c->out_len ||
	    balloon_stats_parse(s->stat_buf, c->out_len, s->stats) < 0)
		card_stat_add(&s->stats->stats_update_fails, 1);
	s->held = true;
	s->held_head = c->head;
}

bool balloon_stats_return(struct balloon_server *s, struct virtq *q)
{
	if (!s->held)
		return false;
	push_held(s, q);
	virtq_notify(q);
	return true;
}
