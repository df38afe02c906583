/* The interface between azote and its cards, written once: the command
 * line azote starts a card with (option names, the fds it hands over) and
 * the limits of the options' values. The cards' option parsers
 * (cards/card_opts.c, cards/blk/opts.c, cards/net/opts.c) take these names
 * and enforce these limits; azote builds the command line from the same
 * names (vmm/vhost_dev.c, vmm/kind_*.c) and checks its --drive and --net
 * items against the same limits before it starts a card, so that a value
 * one side takes the other never refuses. The stats page is in
 * iface/card_stats.h. */
#ifndef AZOTE_IFACE_CARD_H
#define AZOTE_IFACE_CARD_H

#include <stddef.h>

#include "common/log.h"

/* The fds a card azote starts finds open: its end of the vhost-user
 * socketpair and its stats page. */
#define CARD_SOCKET_FD 3
#define CARD_STATS_FD  4
/* On a lazy restore (docs/snapshot.md, "Memory"): the snapshot's memory
 * file, read-only, or the card's end of the page relay, and
 * /dev/userfaultfd when azote could open it. */
#define CARD_LAZY_MEM_FD 6
#define CARD_UFFD_DEV_FD 7

/* Options every card takes (cards/card_opts.h). */
#define CARD_OPT_SOCKET    "socket"     /* PATH: listen there, or */
#define CARD_OPT_FD        "fd"         /* N: the front-end is on fd N */
#define CARD_OPT_STATS_FD  "stats-fd"   /* N: azote's counters page */
#define CARD_OPT_SECCOMP   "seccomp"    /* kill|log|off */
#define CARD_OPT_USER      "user"       /* UID:GID to confine to */
#define CARD_OPT_LOG_LEVEL "log-level"  /* default CARD_LOG_LEVEL */
/* N: guest RAM is being restored lazily from the memory file on fd N: the
 * card serves the faults on its own mapping of it (common/uffd_pager.h). */
#define CARD_OPT_LAZY_MEM_FD "lazy-mem-fd"
/* N: guest RAM is being restored from an external page-fault handler
 * (Firecracker's Uffd backend): the card serves the faults on its own
 * mapping by asking azote over the page relay on fd N
 * (iface/page_relay.h). Given at CARD_LAZY_MEM_FD, instead of the file. */
#define CARD_OPT_PAGE_RELAY_FD "page-relay-fd"
/* N: an open /dev/userfaultfd to make the card's userfaultfd with. */
#define CARD_OPT_UFFD_DEV_FD "uffd-dev-fd"
#define CARD_OPT_HELP      "help"

/* azote-card-blk's own. */
#define CARD_BLK_OPT_IMAGE   "image"    /* PATH */
#define CARD_BLK_OPT_RO      "ro"
#define CARD_BLK_OPT_DIRECT  "direct"
#define CARD_BLK_OPT_QUEUES  "queues"   /* 1..CARD_BLK_MAX_QUEUES */
#define CARD_BLK_OPT_POLL_US "poll-us"  /* 0..CARD_BLK_MAX_POLL_US */
#define CARD_BLK_OPT_URING   "uring"    /* a mode of iface/blk_uring.h */
/* Firecracker's drive rate_limiter, a bucket each (iface/rate_limit.h). */
#define CARD_BLK_OPT_BW_LIMIT  "bw-limit"   /* bytes read and written */
#define CARD_BLK_OPT_OPS_LIMIT "ops-limit"  /* requests */

/* azote-card-net's own. */
#define CARD_NET_OPT_TAP    "tap"       /* interface name */
#define CARD_NET_OPT_MAC    "mac"       /* xx:xx:xx:xx:xx:xx */
#define CARD_NET_OPT_QUEUES "queues"    /* 1..CARD_NET_MAX_PAIRS */
#define CARD_NET_OPT_MTU    "mtu"
/* Firecracker's rx_rate_limiter (frames the guest receives) and
 * tx_rate_limiter (it sends), a bucket each (iface/rate_limit.h). */
#define CARD_NET_OPT_RX_BW_LIMIT  "rx-bw-limit"
#define CARD_NET_OPT_RX_OPS_LIMIT "rx-ops-limit"
#define CARD_NET_OPT_TX_BW_LIMIT  "tx-bw-limit"
#define CARD_NET_OPT_TX_OPS_LIMIT "tx-ops-limit"

/* azote-card-vsock's own: Firecracker's vsock device (guest_cid,
 * uds_path). */
#define CARD_VSOCK_OPT_CID "cid"        /* CARD_VSOCK_MIN_CID..UINT32_MAX */
#define CARD_VSOCK_OPT_UDS "uds"        /* PATH: the host's Unix socket */

/* azote-card-rng's own: Firecracker's entropy rate_limiter, a bucket each
 * (iface/rate_limit.h), charged as Firecracker charges it: one op and the
 * request's whole writable length in bytes. */
#define CARD_RNG_OPT_BW_LIMIT  "bw-limit"
#define CARD_RNG_OPT_OPS_LIMIT "ops-limit"

/* azote-card-balloon's own: Firecracker's balloon options that decide
 * the features it offers (virtio/virtio_balloon.h). The target size is
 * not among them: it is in the device configuration, azote's. */
#define CARD_BALLOON_OPT_STATS_INTERVAL "stats-interval"  /* seconds, 0: no statistics */
#define CARD_BALLOON_OPT_DEFLATE_ON_OOM "deflate-on-oom"
#define CARD_BALLOON_OPT_REPORTING      "free-page-reporting"

/* azote-card-pmem's own: Firecracker's pmem device (virtio-pmem). The
 * guest reaches the file's bytes through azote's mapping of it (guest
 * memory is azote's); the card only answers the guest's flush requests,
 * by fsync(2) of the file it opens itself, read-only with --ro. Its
 * rate_limiter is charged as Firecracker charges a flush: one op and the
 * file's whole length in bytes. */
#define CARD_PMEM_OPT_FILE      "file"      /* PATH */
#define CARD_PMEM_OPT_RO        "ro"
#define CARD_PMEM_OPT_BW_LIMIT  "bw-limit"
#define CARD_PMEM_OPT_OPS_LIMIT "ops-limit"

/* A card's log level without --log-level: azote passes its own only when
 * it differs. */
#define CARD_LOG_LEVEL LOG_WARN

/* azote-card-blk --queues: request queues, one worker each. */
#define CARD_BLK_MAX_QUEUES 16
/* azote-card-blk --poll-us: how long a worker spins for the next request. */
#define CARD_BLK_MAX_POLL_US 1000
/* azote-card-net --queues: queue pairs, one TAP queue each. */
#define CARD_NET_MAX_PAIRS 8
/* azote-card-vsock --cid: 0-2 are reserved (hypervisor, local, host). */
#define CARD_VSOCK_MIN_CID 3
/* azote-card-vsock --uds: "<PATH>_<port>" (up to 10 digits) must fit a
 * Unix socket address (sun_path, 108 bytes with its NUL). */
#define CARD_VSOCK_MAX_UDS 96
/* azote-card-rng: the most random bytes one request gets, whatever its
 * buffers' length (Firecracker's MAX_ENTROPY_BYTES): overlapping buffers
 * cannot make the card fill more than this. */
#define CARD_RNG_MAX_REQUEST 65536

/* azote-card-balloon --stats-interval: Firecracker's
 * stats_polling_interval_s is a u16. */
#define CARD_BALLOON_MAX_STATS_INTERVAL 65535

/* Why path cannot be a vsock card's --uds, or NULL: both sides check it
 * (azote's --vsock and PUT /vsock before a card starts, the card's own
 * option parser). */
static inline const char *card_vsock_uds_problem(const char *path)
{
	const char *base = path;

	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	if (!*base || (base[0] == '.' && (!base[1] || (base[1] == '.' && !base[2]))))
		return "not a file name";
	if (__builtin_strlen(path) > CARD_VSOCK_MAX_UDS)
		return "longer than 96 bytes (<path>_<port> must fit a Unix socket address)";
	return NULL;
}

#endif
