/* The counters a card keeps for azote's metrics, in one shared page.
 *
 * azote creates a small memfd for each card it starts and hands it over as
 * `--stats-fd 4`; the card maps it read-write and bumps the counters as it
 * completes requests (relaxed atomic adds: several queue threads share the
 * page), azote maps it read-only and copies the totals into its metrics
 * before each line. No message, no lock, nothing on the data path but an
 * add. Cards started by someone else simply have no page. */
#ifndef AZOTE_IFACE_CARD_STATS_H
#define AZOTE_IFACE_CARD_STATS_H

#include <stdint.h>

#include "common/err.h"
#include "iface/card.h"

#define CARD_STATS_MAGIC   0x737461747a6f7a61ULL  /* "azozstat" */
#define CARD_STATS_SIZE    4096

struct card_blk_stats {
	uint64_t read_count, write_count, flush_count;
	uint64_t read_bytes, write_bytes;
	uint64_t invalid_reqs;      /* requests answered IOERR/UNSUPP unread */
	uint64_t io_errors;         /* requests whose I/O failed */
	/* Requests the rate limiter left on the ring for later (Firecracker's
	 * rate_limiter_throttled_events). */
	uint64_t rate_limiter_throttled;
};

struct card_net_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_fails, tx_fails;
	/* Frames the rate limiters held back for later: from the TAP to the
	 * guest, from the guest's ring to the TAP (Firecracker's names). */
	uint64_t rx_rate_limiter_throttled, tx_rate_limiter_throttled;
};

/* Firecracker's vsock metrics, as far as the card has them: packets and
 * payload bytes to (rx) and from (tx) the guest, connections made and
 * ended (killed: ended by an RST the card sent or a timeout), failed
 * writes to and reads from host sockets, and packets the card dropped or
 * answered with RST for being malformed. */
struct card_vsock_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_bytes, tx_bytes;
	uint64_t conns_added, conns_killed, conns_removed;
	uint64_t tx_write_fails, rx_read_fails;
	uint64_t bad_packets;
};

/* Firecracker's entropy metrics (EntropyDeviceMetrics), as the rng card
 * counts them: requests taken from the ring (entropy_event_count), random
 * bytes given (entropy_bytes), requests that got none for a malformed
 * chain or a failed host source (entropy_event_fails), failures of the
 * host's source itself (host_rng_fails), and requests the rate limiter
 * left on the ring for later (entropy_rate_limiter_throttled). */
struct card_rng_stats {
	uint64_t event_count, bytes, event_fails, host_rng_fails;
	uint64_t rate_limiter_throttled;
};

/* Firecracker's balloon metrics (BalloonDeviceMetrics) as the balloon
 * card counts them: chains taken from the inflate and deflate rings (one
 * per chain, where Firecracker counts one per ring event), statistics
 * buffers taken (stats_updates_count) and refused as malformed
 * (stats_update_fails), inflate and deflate chains the card could not
 * wholly use (event_fails), and free page reports: ranges reported, the
 * bytes given back (whole pages) and the ranges that could not be
 * (free_page_report_*); inflated_pages counts the 4 KiB pages the inflate
 * ring gave back to the host. Then the guest's latest statistics
 * (virtio/virtio_balloon.h's tags, which iface/ may not include: the card
 * checks that the counts agree): stat[tag] is valid once bit tag of
 * stat_seen is set (a driver may leave some out, as Firecracker's
 * optional fields). */
#define CARD_BALLOON_NR_STATS 16  /* virtio/virtio_balloon.h's VIRTIO_BALLOON_S_NR */
struct card_balloon_stats {
	uint64_t inflate_count, deflate_count;
	uint64_t stats_updates_count, stats_update_fails, event_fails;
	uint64_t free_page_report_count, free_page_report_freed, free_page_report_fails;
	uint64_t inflated_pages;
	uint64_t stat_seen;
	uint64_t stat[CARD_BALLOON_NR_STATS];
};

/* Firecracker's pmem metrics (PmemMetrics) as the pmem card counts them:
 * flush requests taken from the ring (queue_event_count: one per request,
 * where Firecracker counts one per ring event), requests refused as
 * malformed or whose flush failed (event_fails), and requests the rate
 * limiter left on the ring for later (rate_limiter_throttled_events). */
struct card_pmem_stats {
	uint64_t flush_count, event_fails, rate_limiter_throttled;
};

struct card_stats {
	uint64_t magic;             /* written by azote */
	/* Every card's: lines its log limiter held back (common/log.h), for
	 * the metrics' logger.rate_limited_log_count. */
	uint64_t log_held_back;
	union {
		struct card_blk_stats blk;
		struct card_net_stats net;
		struct card_vsock_stats vsock;
		struct card_rng_stats rng;
		struct card_balloon_stats balloon;
		struct card_pmem_stats pmem;
	};
};

_Static_assert(sizeof(struct card_stats) <= CARD_STATS_SIZE, "stats fit the page");

static inline void card_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline uint64_t card_stat_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Card side: maps the page azote passed as fd and closes fd (the mapping
 * stays). Checks the size and azote's magic. */
struct card_stats *card_stats_map(int fd, struct azerr *e);

#endif
