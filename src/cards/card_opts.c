#include "cards/card_opts.h"

#include <stdint.h>

#include "common/size.h"

/* A common option: 0 taken, 1 not one of them, -1 bad (e says why). */
static int take_common(int c, const char *arg, struct card_opts *o, struct azerr *e)
{
	uint64_t v;

	switch (c) {
	case 's':
		o->socket = arg;
		return 0;
	case 'f':
	case 'T':
	case 'C':
		if (parse_uint(arg, 3, 65535, &v))
			return azerr_set(e, "--%s '%s': must be a number from 3 to 65535",
					 c == 'f' ? CARD_OPT_FD : c == 'T' ? CARD_OPT_STATS_FD :
					 CARD_OPT_CONTROL_FD, arg);
		*(c == 'f' ? &o->fd : c == 'T' ? &o->stats_fd : &o->control_fd) = (int)v;
		return 0;
	case 'S':
		if (jail_seccomp_parse(arg, &o->seccomp))
			return azerr_set(e, "--seccomp '%s': must be kill, log or off", arg);
		return 0;
	case 'u':
		if (jail_identity_parse("--user", arg, &o->user, e))
			return -1;
		o->confine = true;
		return 0;
	case 'l':
		if (log_parse_level(arg, &o->log_level))
			return azerr_set(e, "--log-level '%s': must be error, warning, info "
					 "or debug", arg);
		return 0;
	default:
		return 1;
	}
}

enum card_opts_action card_opts_parse(int argc, char **argv, const struct option *longopts,
				      struct card_opts *common,
				      int (*own)(int c, const char *arg, void *card,
						 struct azerr *e),
				      void *card, struct azerr *e)
{
	int c, r;

	*common = (struct card_opts){ .fd = -1, .stats_fd = -1, .control_fd = -1,
				      .log_level = LOG_WARN };
	opterr = 0;
	optind = 0; /* full re-initialisation, so that tests can parse again */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h')
			return CARD_OPTS_HELP;
		if (c == '?') {
			azerr_set(e, optopt ? "option '%s' needs a value" : "unknown option '%s'",
				  argv[optind - 1]);
			return CARD_OPTS_ERROR;
		}
		r = take_common(c, optarg, common, e);
		if (r < 0 || (r > 0 && own(c, optarg, card, e) < 0))
			return CARD_OPTS_ERROR;
	}
	if (optind < argc) {
		azerr_set(e, "unexpected argument '%s'", argv[optind]);
		return CARD_OPTS_ERROR;
	}
	return CARD_OPTS_RUN;
}

int card_opts_check_socket(const struct card_opts *o, struct azerr *e)
{
	if (!o->socket == (o->fd < 0))
		return azerr_set(e, "give exactly one of --socket PATH and --fd N");
	return 0;
}
