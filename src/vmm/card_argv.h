/* A card's command line as azote builds it: its program, its own options
 * (the device kind's card_args) and the options every card takes
 * (vhost_dev.c). Every string is copied in, so that values formatted on the
 * way ("--queues", "4") need no buffer of the caller's; the first string
 * that does not fit makes card_argv_done fail, so a command line is never
 * cut short silently. */
#ifndef AZOTE_VMM_CARD_ARGV_H
#define AZOTE_VMM_CARD_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "iface/rate_limit.h"

#define CARD_ARGV_MAX  48
#define CARD_ARGV_TEXT 16384

struct card_argv {
	char *argv[CARD_ARGV_MAX + 1];   /* NULL-terminated */
	unsigned n;
	size_t used;
	bool overflow;
	char text[CARD_ARGV_TEXT];
};

void card_argv_init(struct card_argv *a);
/* Appends a copy of s. */
void card_argv_add(struct card_argv *a, const char *s);
/* Appends "--" opt, an option without a value. */
void card_argv_flag(struct card_argv *a, const char *opt);
/* Appends "--" opt and then a copy of value. */
void card_argv_opt(struct card_argv *a, const char *opt, const char *value);
/* Appends "--" opt and the decimal value. */
void card_argv_opt_u(struct card_argv *a, const char *opt, unsigned long long value);
/* Appends "--" bw_opt and "--" ops_opt, each with its bucket, for the
 * buckets of rl that limit (token_bucket_limits: one that does not is left
 * out, as Firecracker leaves it out of its limiter). */
void card_argv_limits(struct card_argv *a, const struct rate_limiter *rl,
		      const char *bw_opt, const char *ops_opt);
/* 0 when everything fitted; else -1, e naming the card program. */
int card_argv_done(const struct card_argv *a, struct azerr *e);

#endif
