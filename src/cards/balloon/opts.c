#include "cards/balloon/opts.h"

#include <stdint.h>

#include "common/size.h"
#include "iface/card.h"
#include "virtio/virtio_balloon.h"

void balloon_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-balloon (--socket PATH | --fd N)\n"
		"                          [--stats-interval S] [--deflate-on-oom]\n"
		"                          [--free-page-reporting]\n"
		"                          [--seccomp kill|log|off] [--stats-fd N]\n"
		"                          [--control-fd N] [--user UID[:GID]]\n"
		"                          " CARD_OPTS_SYNOPSIS_RESTORE
		"                          [--log-level error|warning|info|debug]\n"
		"Serves a virtio-balloon device's rings as Firecracker's balloon: pages the\n"
		"guest inflates and free pages it reports are given back to the host\n"
		"(MADV_REMOVE on the shared guest memory); its statistics reach the stats\n"
		"page. The target size is the hypervisor's (the device configuration).\n"
		CARD_OPTS_USAGE_FRONT_END
		"  --stats-interval S  Firecracker's stats_polling_interval_s: ask the\n"
		"               guest for statistics every S seconds (0..%u; 0, the\n"
		"               default: no statistics ring)\n"
		"  --deflate-on-oom  offer DEFLATE_ON_OOM: the guest may take pages back\n"
		"               from the balloon when it runs out of memory\n"
		"  --free-page-reporting  offer PAGE_REPORTING: the guest reports free\n"
		"               pages, which are given back to the host\n"
		CARD_OPTS_USAGE_STATS_FD
		"  --control-fd N azote's changes after boot (the statistics interval) on\n"
		"               this SOCK_SEQPACKET socket\n"
		CARD_OPTS_USAGE_RESTORE_JAIL_LOG,
		CARD_BALLOON_MAX_STATS_INTERVAL);
}

static const struct option longopts[] = {
	CARD_OPTS_LONGOPTS,
	{ CARD_BALLOON_OPT_STATS_INTERVAL, required_argument, NULL, 'I' },
	{ CARD_BALLOON_OPT_DEFLATE_ON_OOM, no_argument, NULL, 'D' },
	{ CARD_BALLOON_OPT_REPORTING, no_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 },
};

static int parse_own(int c, const char *arg, void *card, struct azerr *e)
{
	struct balloon_opts *o = card;
	uint64_t v;

	switch (c) {
	case 'D':
		o->deflate_on_oom = true;
		return 0;
	case 'P':
		o->reporting = true;
		return 0;
	default: /* 'I' */
		if (parse_uint(arg, 0, CARD_BALLOON_MAX_STATS_INTERVAL, &v))
			return azerr_set(e, "--%s '%s': must be a number of seconds from 0 "
					 "to %u", CARD_BALLOON_OPT_STATS_INTERVAL, arg,
					 CARD_BALLOON_MAX_STATS_INTERVAL);
		o->stats_interval_s = (unsigned)v;
		return 0;
	}
}

enum card_opts_action balloon_opts_parse(int argc, char **argv, struct balloon_opts *o,
					 struct azerr *e)
{
	*o = (struct balloon_opts){ 0 };
	return card_opts_parse(argc, argv, longopts, &o->card, parse_own, o, e);
}

uint64_t balloon_opts_features(const struct balloon_opts *o)
{
	return (o->stats_interval_s ? 1ULL << VIRTIO_BALLOON_F_STATS_VQ : 0) |
	       (o->deflate_on_oom ? 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM : 0) |
	       (o->reporting ? 1ULL << VIRTIO_BALLOON_F_PAGE_REPORTING : 0);
}
