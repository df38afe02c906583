/* Firecracker's rate limiter settings, as azote keeps them (vm_config.h)
 * and as it hands them to a card on the command line: part of the card
 * interface (iface/card.h names the options), written once and linked into
 * both, so that azote formats what a card parses and the two cannot
 * disagree on the syntax or the limits.
 *
 * A bucket on a card's command line (docs/card-blk.md):
 *
 *     size=N,refill_time=MS[,one_time_burst=N]
 *
 * the keys of Firecracker's TokenBucket, in any order, decimal numbers.
 * As in Firecracker, a bucket whose size or refill_time is 0 does not
 * limit. */
#ifndef AZOTE_IFACE_RATE_LIMIT_H
#define AZOTE_IFACE_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Firecracker's TokenBucket: size tokens (bytes or operations), refilled
 * completely every refill_time_ms, plus a one-time initial burst. */
struct token_bucket {
	uint64_t size;
	uint64_t one_time_burst;
	uint64_t refill_time_ms;
};

/* Firecracker's RateLimiter; a bucket that is not set does not limit. */
struct rate_limiter {
	bool has_bandwidth, has_ops;
	struct token_bucket bandwidth; /* tokens are bytes */
	struct token_bucket ops;       /* tokens are requests / frames */
};

/* The longest refill_time whose nanoseconds fit 64 bits (584 years).
 * Firecracker turns a longer one into no limit at all; so does
 * token_bucket_limits, and the cards refuse it on their command line. */
#define TOKEN_BUCKET_MAX_REFILL_MS (UINT64_MAX / 1000000u)

/* Room for one formatted bucket: three keys and three 20-digit numbers. */
#define TOKEN_BUCKET_STR_LEN 96

/* Whether b limits anything: size and refill_time non-zero, and the
 * refill time within TOKEN_BUCKET_MAX_REFILL_MS. */
bool token_bucket_limits(const struct token_bucket *b);

/* Parses arg, the value of option opt ("--bw-limit"), into b. -1 with e
 * naming the option, the value and what is wrong with it. */
int token_bucket_parse(const char *opt, const char *arg, struct token_bucket *b,
		       struct azerr *e);

/* The same bucket in the short form of azote's own --drive and --net
 * items, where a comma would end the item:
 *
 *     SIZE/REFILL_MS[/ONE_TIME_BURST]
 *
 * decimal numbers in token_bucket_parse's ranges. opt names the item
 * ("--drive bw_limit="). -1 with e naming it and the value. */
int token_bucket_parse_short(const char *opt, const char *arg, struct token_bucket *b,
			     struct azerr *e);

/* Sets rl's ops bucket, or its bandwidth bucket, from arg, the value of
 * option opt: a card's --bw-limit / --ops-limit. */
int rate_limiter_parse(struct rate_limiter *rl, bool ops, const char *opt,
		       const char *arg, struct azerr *e);

/* Writes b in the syntax token_bucket_parse reads (one_time_burst only
 * when non-zero) into buf[len]; -1 if it does not fit. */
int token_bucket_format(const struct token_bucket *b, char *buf, size_t len);

#endif
