/* One pass over a balloon ring: take chains up to the budget, count each
 * in its ring's counters, hand each to its ring's handler (pages.c,
 * statsq.c), notify once. */
#include "cards/balloon/request.h"

#include <stddef.h>

typedef void (*chain_fn)(struct balloon_server *s, struct virtq *q,
			 const struct virtq_chain *c);

/* What a ring does with a chain, and where its chains count: taken
 * (every chain, refused ones too) and failed (the refused ones here; the
 * handler counts the chains it cannot use). */
struct ring_kind {
	chain_fn one;
	size_t taken, failed;  /* offsets in struct card_balloon_stats */
};

#define AT(field) offsetof(struct card_balloon_stats, field)

static const struct ring_kind kinds[] = {
	[BALLOON_RING_INFLATE] = { balloon_inflate_one, AT(inflate_count), AT(event_fails) },
	[BALLOON_RING_DEFLATE] = { balloon_deflate_one, AT(deflate_count), AT(event_fails) },
	[BALLOON_RING_STATS] = { balloon_stats_one, AT(stats_updates_count),
				 AT(stats_update_fails) },
	/* A refused chain counts as one range reported that could not be
	 * given back. */
	[BALLOON_RING_REPORTING] = { balloon_report_one, AT(free_page_report_count),
				     AT(free_page_report_fails) },
};

static uint64_t *counter(struct balloon_server *s, size_t at)
{
	return (uint64_t *)(void *)((char *)s->stats + at);
}

enum balloon_serve_result balloon_serve(struct balloon_server *s, struct virtq *q,
					enum balloon_ring role)
{
	struct virtq_chain c = { .iov = s->iov, .cap = BALLOON_MAX_IOV };
	enum balloon_serve_result r = BALLOON_MORE;

	if (role >= BALLOON_RING_NONE)
		return BALLOON_IDLE;
	const struct ring_kind *k = &kinds[role];
	for (unsigned n = 0; n < s->budget; n++) {
		int got = virtq_pop(q, &c);

		if (got < 0) {
			/* Taken and completed with 0 by virtq_pop. */
			card_stat_add(counter(s, k->taken), 1);
			card_stat_add(counter(s, k->failed), 1);
			continue;
		}
		if (!got) {
			if (virtq_rearm(q))
				continue;
			r = BALLOON_IDLE;
			break;
		}
		/* The reporting ring counts its ranges, not its chains. */
		if (role != BALLOON_RING_REPORTING)
			card_stat_add(counter(s, k->taken), 1);
		k->one(s, q, &c);
	}
	virtq_notify(q);
	return r;
}
