/* libFuzzer target: the cards' command lines (the options every card
 * takes, card_opts.c, and each card's own). The first input byte picks the
 * card, the rest is its argv (NUL-separated). What a card runs with must
 * be what its usage promises: exactly one way to its front-end, counts
 * and sizes in their ranges, rate limits that fit the token buckets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/balloon/opts.h"
#include "cards/blk/opts.h"
#include "cards/net/hdr.h"
#include "cards/net/opts.h"
#include "cards/pmem/opts.h"
#include "cards/rng/opts.h"
#include "cards/vsock/opts.h"
#include "fuzz_argv.h"
#include "iface/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_common(const struct card_opts *c)
{
	if (!c->socket == (c->fd < 0) || c->fd < -1 || c->stats_fd < -1 || c->control_fd < -1 ||
	    c->lazy_mem_fd < -1 || c->page_relay_fd < -1 || c->uffd_dev_fd < -1)
		abort();
}

static void check_limiter(const struct rate_limiter *l)
{
	if ((l->has_bandwidth && l->bandwidth.refill_time_ms > TOKEN_BUCKET_MAX_REFILL_MS) ||
	    (l->has_ops && l->ops.refill_time_ms > TOKEN_BUCKET_MAX_REFILL_MS))
		abort();
}

static void parse(unsigned card, int argc, char **argv)
{
	struct azerr e;

	switch (card % 6) {
	case 0: {
		struct blk_opts o;
		if (blk_opts_parse(argc, argv, &o, &e) != CARD_OPTS_RUN)
			return;
		check_common(&o.card);
		check_limiter(&o.limit);
		if (!o.image || o.queues < 1 || o.queues > CARD_BLK_MAX_QUEUES ||
		    o.poll_us > CARD_BLK_MAX_POLL_US)
			abort();
		return;
	}
	case 1: {
		struct net_opts o;
		if (net_opts_parse(argc, argv, &o, &e) != CARD_OPTS_RUN)
			return;
		check_common(&o.card);
		check_limiter(&o.rx_limit);
		check_limiter(&o.tx_limit);
		if (!o.tap || o.queues < 1 || o.queues > CARD_NET_MAX_PAIRS ||
		    (o.mtu && (o.mtu < NET_MIN_MTU || o.mtu > NET_MAX_MTU)))
			abort();
		return;
	}
	case 2: {
		struct vsock_opts o;
		if (vsock_opts_parse(argc, argv, &o, &e) != CARD_OPTS_RUN)
			return;
		check_common(&o.card);
		if (!o.uds || strlen(o.uds) > CARD_VSOCK_MAX_UDS || o.cid < CARD_VSOCK_MIN_CID ||
		    o.cid > UINT32_MAX)
			abort();
		return;
	}
	case 3: {
		struct rng_opts o;
		if (rng_opts_parse(argc, argv, &o, &e) != CARD_OPTS_RUN)
			return;
		check_common(&o.card);
		check_limiter(&o.limit);
		return;
	}
	case 4: {
		struct balloon_opts o;
		if (balloon_opts_parse(argc, argv, &o, &e) != CARD_OPTS_RUN)
			return;
		check_common(&o.card);
		if (o.stats_interval_s > CARD_BALLOON_MAX_STATS_INTERVAL)
			abort();
		return;
	}
	default: {
		struct pmem_opts o;
		if (pmem_opts_parse(argc, argv, &o, &e) != CARD_OPTS_RUN)
			return;
		check_common(&o.card);
		check_limiter(&o.limit);
		if (!o.file)
			abort();
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_ARGV_MAX + 2], *buf;
	int argc;

	if (!size)
		return 0;
	argc = fuzz_argv(data + 1, size - 1, &buf, argv);
	if (argc < 0)
		return 0;
	parse(data[0], argc, argv);
	free(buf);
	return 0;
}
