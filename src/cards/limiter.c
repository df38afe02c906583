#include "cards/limiter.h"

void card_limiter_init(struct card_limiter *l, const struct rate_limiter *cfg)
{
	pthread_mutex_init(&l->lock, NULL);
	rl_init(&l->rl, cfg, rl_now());
	l->on = rl_active(&l->rl);
}

void card_limiter_set(struct card_limiter *l, const struct rate_limiter *cfg)
{
	pthread_mutex_lock(&l->lock);
	rl_init(&l->rl, cfg, rl_now());
	l->on = rl_active(&l->rl);
	pthread_mutex_unlock(&l->lock);
}

bool card_limiter_take(struct card_limiter *l, uint64_t bytes, uint64_t now,
		       uint64_t *wait_ns)
{
	bool ok;

	if (!l->on)
		return true;
	pthread_mutex_lock(&l->lock);
	ok = rl_reduce(&l->rl, bytes, 1, now, wait_ns);
	pthread_mutex_unlock(&l->lock);
	/* Asked again within CARD_LIMITER_RETRY_NS at most, whatever the
	 * buckets owe: new ones (card_limiter_set) then count at once. */
	if (!ok && *wait_ns > CARD_LIMITER_RETRY_NS)
		*wait_ns = CARD_LIMITER_RETRY_NS;
	return ok;
}
