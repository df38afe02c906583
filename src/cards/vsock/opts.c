#include "cards/vsock/opts.h"

#include "common/size.h"
#include "iface/card.h"

void vsock_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: azote-card-vsock (--socket PATH | --fd N) --cid N --uds PATH\n"
		"                        [--seccomp kill|log|off] [--stats-fd N]\n"
		"                        [--control-fd N] [--user UID[:GID]]\n"
		"                        " CARD_OPTS_SYNOPSIS_RESTORE
		"                        [--log-level error|warning|info|debug]\n"
		"Serves a virtio-vsock device whose guest has address --cid, joined to\n"
		"Unix sockets on the host as Firecracker's vsock is:\n"
		CARD_OPTS_USAGE_FRONT_END
		"  --cid N       the guest's CID, %d to 4294967295\n"
		"  --uds PATH    the socket the card creates and listens on (it must not\n"
		"                exist): a host program connects and writes\n"
		"                \"CONNECT <port>\\n\" to reach the guest's port; a guest\n"
		"                connecting to host port P reaches the socket PATH_P.\n"
		"                At most %d bytes.\n"
		"  --user UID[:GID]  once the socket is bound, move into namespaces of\n"
		"                its own with an empty root, PATH's directory as the\n"
		"                working directory, and run as UID:GID (needs root)\n"
		CARD_OPTS_USAGE_STATS_FD
		"  --control-fd N azote's control channel, a SOCK_SEQPACKET socket\n"
		CARD_OPTS_USAGE_RESTORE CARD_OPTS_USAGE_SECCOMP_LOG CARD_OPTS_USAGE_EXIT,
		CARD_VSOCK_MIN_CID, CARD_VSOCK_MAX_UDS);
}

static const struct option longopts[] = {
	CARD_OPTS_LONGOPTS,
	{ CARD_VSOCK_OPT_CID, required_argument, NULL, 'c' },
	{ CARD_VSOCK_OPT_UDS, required_argument, NULL, 'U' },
	{ NULL, 0, NULL, 0 },
};

static int parse_own(int c, const char *arg, void *card, struct azerr *e)
{
	struct vsock_opts *o = card;
	const char *why;

	if (c == 'c') {
		if (parse_uint(arg, CARD_VSOCK_MIN_CID, UINT32_MAX, &o->cid))
			return azerr_set(e, "--cid '%s': must be a number from %d to %u", arg,
					 CARD_VSOCK_MIN_CID, UINT32_MAX);
		return 0;
	}
	/* 'U' */
	if ((why = card_vsock_uds_problem(arg)))
		return azerr_set(e, "--uds '%s': %s", arg, why);
	o->uds = arg;
	return 0;
}

enum card_opts_action vsock_opts_parse(int argc, char **argv, struct vsock_opts *o,
				       struct azerr *e)
{
	enum card_opts_action a;

	*o = (struct vsock_opts){ 0 };
	a = card_opts_parse(argc, argv, longopts, &o->card, parse_own, o, e);
	if (a != CARD_OPTS_RUN)
		return a;
	if (!o->cid) {
		azerr_set(e, "--cid N is required");
		return CARD_OPTS_ERROR;
	}
	if (!o->uds) {
		azerr_set(e, "--uds PATH is required");
		return CARD_OPTS_ERROR;
	}
	return CARD_OPTS_RUN;
}
