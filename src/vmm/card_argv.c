#include "vmm/card_argv.h"

#include <stdio.h>
#include <string.h>

void card_argv_init(struct card_argv *a)
{
	a->n = 0;
	a->used = 0;
	a->overflow = false;
	a->argv[0] = NULL;
}

void card_argv_add(struct card_argv *a, const char *s)
{
	size_t len = strlen(s) + 1;

	if (a->overflow || a->n == CARD_ARGV_MAX || len > sizeof(a->text) - a->used) {
		a->overflow = true;
		return;
	}
	a->argv[a->n] = memcpy(a->text + a->used, s, len);
	a->used += len;
	a->argv[++a->n] = NULL;
}

void card_argv_flag(struct card_argv *a, const char *opt)
{
	char name[64];

	if ((size_t)snprintf(name, sizeof(name), "--%s", opt) >= sizeof(name)) {
		a->overflow = true;
		return;
	}
	card_argv_add(a, name);
}

void card_argv_opt(struct card_argv *a, const char *opt, const char *value)
{
	card_argv_flag(a, opt);
	card_argv_add(a, value);
}

void card_argv_opt_u(struct card_argv *a, const char *opt, unsigned long long value)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", value);
	card_argv_opt(a, opt, num);
}

void card_argv_limits(struct card_argv *a, const struct rate_limiter *rl,
		      const char *bw_opt, const char *ops_opt)
{
	const struct token_bucket *b[2] = {
		rl->has_bandwidth ? &rl->bandwidth : NULL,
		rl->has_ops ? &rl->ops : NULL,
	};
	const char *opt[2] = { bw_opt, ops_opt };
	char buf[TOKEN_BUCKET_STR_LEN];

	for (int i = 0; i < 2; i++) {
		if (!b[i] || !token_bucket_limits(b[i]))
			continue;
		if (token_bucket_format(b[i], buf, sizeof(buf))) {
			a->overflow = true;
			return;
		}
		card_argv_opt(a, opt[i], buf);
	}
}

int card_argv_done(const struct card_argv *a, struct azerr *e)
{
	if (!a->overflow)
		return 0;
	return azerr_set(e, "the command line of %s is longer than %u arguments or %u bytes",
			 a->n ? a->argv[0] : "a card", CARD_ARGV_MAX, CARD_ARGV_TEXT);
}
