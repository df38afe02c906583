#include "cards/card_opts.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include "common/args.h"
#include "common/size.h"

/* A common option: 0 taken, 1 not one of them, -1 bad (e says why). */
static int take_common(int c, const char *arg, struct card_opts *o, struct azerr *e)
{
	uint64_t v;

	switch (c) {
	case 's':
		/* bind(2) takes "" as an abstract address nobody can name: a
		 * card that would wait there for ever. */
		if (!*arg)
			return azerr_set(e, "--%s '': must be the path of the socket to "
					 "listen on", CARD_OPT_SOCKET);
		/* One bind(2) cannot take: a command-line fault like the rest. */
		if (strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return azerr_set(e, "--%s '%s': longer than the %zu characters a "
					 "socket's path may have", CARD_OPT_SOCKET, arg,
					 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		o->socket = arg;
		return 0;
	case 'f':
	case 'T':
	case 'C':
	case 'L':
	case 'R':
	case 'Y': {
		static const struct { int c; const char *name; size_t at; } fds[] = {
			{ 'f', CARD_OPT_FD, offsetof(struct card_opts, fd) },
			{ 'T', CARD_OPT_STATS_FD, offsetof(struct card_opts, stats_fd) },
			{ 'C', CARD_OPT_CONTROL_FD, offsetof(struct card_opts, control_fd) },
			{ 'L', CARD_OPT_LAZY_MEM_FD, offsetof(struct card_opts, lazy_mem_fd) },
			{ 'R', CARD_OPT_PAGE_RELAY_FD, offsetof(struct card_opts, page_relay_fd) },
			{ 'Y', CARD_OPT_UFFD_DEV_FD, offsetof(struct card_opts, uffd_dev_fd) },
		};
		size_t i = 0;
		while (fds[i].c != c)
			i++;
		if (parse_uint(arg, 3, 65535, &v))
			return azerr_set(e, "--%s '%s': must be a number from 3 to 65535",
					 fds[i].name, arg);
		*(int *)(void *)((char *)o + fds[i].at) = (int)v;
		return 0;
	}
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
				      .lazy_mem_fd = -1, .page_relay_fd = -1, .uffd_dev_fd = -1,
				      .log_level = CARD_LOG_LEVEL };
	opterr = 0;
	optind = 0; /* full re-initialisation, so that tests can parse again */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h')
			return CARD_OPTS_HELP;
		if (c == '?') {
			args_refuse(argc, argv, optind, optopt, "", e);
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
	if (common->lazy_mem_fd >= 0 && common->page_relay_fd >= 0) {
		azerr_set(e, "give at most one of --%s and --%s: where guest RAM's pages "
			  "come from", CARD_OPT_LAZY_MEM_FD, CARD_OPT_PAGE_RELAY_FD);
		return CARD_OPTS_ERROR;
	}
	if (!common->socket == (common->fd < 0)) {
		azerr_set(e, "give exactly one of --socket PATH and --fd N");
		return CARD_OPTS_ERROR;
	}
	return CARD_OPTS_RUN;
}
