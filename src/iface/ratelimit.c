#include "iface/ratelimit.h"

#define NS_PER_MS 1000000u

/* Products of a 64-bit count and a 64-bit time need 128 bits. */
typedef unsigned __int128 u128;

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void bucket_init(struct rl_bucket *b, const struct token_bucket *tb, uint64_t now)
{
	*b = (struct rl_bucket){ .last_ns = now };
	if (!tb || !token_bucket_limits(tb))
		return;
	b->size = tb->size;
	b->refill_ns = tb->refill_time_ms * NS_PER_MS;  /* fits: limits() checked */
	b->burst = tb->one_time_burst;
	b->budget = tb->size;
}

void rl_init(struct ratelimit *rl, const struct rate_limiter *cfg, uint64_t now)
{
	bucket_init(&rl->bw, cfg && cfg->has_bandwidth ? &cfg->bandwidth : NULL, now);
	bucket_init(&rl->ops, cfg && cfg->has_ops ? &cfg->ops : NULL, now);
}

bool rl_active(const struct ratelimit *rl)
{
	return rl->bw.size || rl->ops.size;
}

/* Credits the whole tokens earned since last_ns: first to the debt, then
 * to the budget up to size. last_ns moves on by the time those tokens
 * took, so that the fraction of a token earned is not lost. */
static void refill(struct rl_bucket *b, uint64_t now)
{
	if (!b->size)
		return;
	if (now <= b->last_ns) {
		/* A clock that went back: start counting from now, never
		 * crediting a stretch of time twice. */
		b->last_ns = now;
		return;
	}
	uint64_t dt = now - b->last_ns;
	/* room cannot overflow: debt stays within UINT64_MAX - size. */
	uint64_t room = b->debt + (b->size - b->budget);
	u128 earned = (u128)dt * b->size / b->refill_ns;

	if (earned >= room) {
		/* Full (and so idle): nothing more to carry over. */
		b->debt = 0;
		b->budget = b->size;
		b->last_ns = now;
		return;
	}
	/* The time those tokens took, rounded up: at most dt. */
	b->last_ns += (uint64_t)((earned * b->refill_ns + b->size - 1) / b->size);
	uint64_t t = (uint64_t)earned;  /* < room */
	if (t <= b->debt) {
		b->debt -= t;
		return;
	}
	b->budget += t - b->debt;
	b->debt = 0;
}

/* Tokens the bucket must still earn before it lets n go; 0: it lets them
 * go now. */
static uint64_t shortfall(const struct rl_bucket *b, uint64_t n)
{
	if (!b->size)
		return 0;
	uint64_t rest = n > b->burst ? n - b->burst : 0;
	/* More than it can ever hold: it goes as soon as no debt is left. */
	bool oversized = rest > b->size;

	if (b->debt)
		return b->debt + (oversized ? 0 : rest);  /* debt + size fits */
	if (oversized || rest <= b->budget)
		return 0;
	return rest - b->budget;
}

static void take(struct rl_bucket *b, uint64_t n)
{
	if (!b->size)
		return;
	uint64_t from_burst = n < b->burst ? n : b->burst;

	b->burst -= from_burst;
	n -= from_burst;
	if (n <= b->budget) {
		b->budget -= n;
		return;
	}
	/* Oversized: the excess is owed. Kept within UINT64_MAX - size so
	 * that refill's room and wait's need fit 64 bits. */
	n -= b->budget;
	b->budget = 0;
	b->debt = n > UINT64_MAX - b->size ? UINT64_MAX - b->size : n;
}

/* Nanoseconds from now until b has earned need more tokens. Right after
 * refill, less than one token's time has passed since last_ns. */
static uint64_t wait_for(const struct rl_bucket *b, uint64_t need, uint64_t now)
{
	u128 t = ((u128)need * b->refill_ns + b->size - 1) / b->size;
	uint64_t at = t > UINT64_MAX ? UINT64_MAX : sat_add(b->last_ns, (uint64_t)t);

	return at > now ? at - now : 1;
}

bool rl_reduce(struct ratelimit *rl, uint64_t bytes, uint64_t ops, uint64_t now,
	       uint64_t *wait_ns)
{
	uint64_t need_bw, need_ops, w = 0;

	if (!rl_active(rl))
		return true;
	refill(&rl->bw, now);
	refill(&rl->ops, now);
	need_bw = shortfall(&rl->bw, bytes);
	need_ops = shortfall(&rl->ops, ops);
	if (!need_bw && !need_ops) {
		take(&rl->bw, bytes);
		take(&rl->ops, ops);
		return true;
	}
	if (need_bw)
		w = wait_for(&rl->bw, need_bw, now);
	if (need_ops) {
		uint64_t w_ops = wait_for(&rl->ops, need_ops, now);
		w = w_ops > w ? w_ops : w;
	}
	*wait_ns = w;
	return false;
}
