#include "cards/rng/request.h"

#include <errno.h>
#include <sys/random.h>

#include "cards/virtio/iov.h"

int rng_getrandom(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, GRND_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The used length for chain c: the random bytes written into its
 * writable buffers, or 0 with event_fails counted. */
static uint32_t fill(struct rng_server *s, const struct virtq_chain *c)
{
	size_t len = c->in_len < CARD_RNG_MAX_REQUEST ? (size_t)c->in_len : CARD_RNG_MAX_REQUEST;

	if (c->nr_out) {
		/* Firecracker's entropy device only writes: a readable
		 * descriptor makes the chain malformed. */
		card_stat_add(&s->stats->event_fails, 1);
		return 0;
	}
	if (!len)
		return 0;
	if (s->source(s->scratch, len) < 0) {
		card_stat_add(&s->stats->host_rng_fails, 1);
		card_stat_add(&s->stats->event_fails, 1);
		return 0;
	}
	len = iov_from_buf(c->iov, c->nr_in, 0, s->scratch, len);
	card_stat_add(&s->stats->bytes, len);
	return (uint32_t)len;
}

/* Whether the limiter lets c go now: one op and the whole writable
 * length in bytes, before the cap, charged as Firecracker charges every
 * request it parses, an empty one included: else a guest posting empty
 * requests as fast as it likes would cost the host CPU beyond
 * --ops-limit. A chain with readable bytes, which Firecracker fails to
 * parse, costs nothing. */
static bool admit(struct rng_server *s, const struct virtq_chain *c, uint64_t *wait_ns)
{
	if (c->nr_out)
		return true;
	return card_limiter_take(s->limit, c->in_len, rl_now(), wait_ns);
}

enum limited_pass rng_serve(struct rng_server *s, struct virtq *q, uint64_t *wait_ns)
{
	struct virtq_chain c = { .iov = s->iov, .cap = RNG_MAX_IOV };
	enum limited_pass r = LIMITED_MORE;

	for (unsigned n = 0; n < s->budget; n++) {
		int got = limited_pop(q, &c, &s->stats->event_count, &s->stats->event_fails);

		if (got < 0)
			continue;
		if (!got) {
			r = LIMITED_IDLE;
			break;
		}
		if (!admit(s, &c, wait_ns)) {
			/* Exact: c is the last chain popped (refused chains
			 * before it are completed and stay so). */
			virtq_unpop(q, 1);
			card_stat_add(&s->stats->rate_limiter_throttled, 1);
			r = LIMITED_THROTTLED;
			break;
		}
		card_stat_add(&s->stats->event_count, 1);
		virtq_push(q, &c, fill(s, &c));
	}
	virtq_notify(q);
	return r;
}
