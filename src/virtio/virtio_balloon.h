/* virtio-balloon constants (virtio 1.2 §5.5) shared by azote, which shows
 * the device and its configuration, and azote-card-balloon, which serves
 * its rings: feature bits, the configuration layout, statistics tags, and
 * which ring does what. Macros and inline functions only. */
#ifndef AZOTE_VIRTIO_VIRTIO_BALLOON_H
#define AZOTE_VIRTIO_VIRTIO_BALLOON_H

#include <stdint.h>

#define VIRTIO_BALLOON_F_MUST_TELL_HOST  0
#define VIRTIO_BALLOON_F_STATS_VQ        1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM  2
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT  3
#define VIRTIO_BALLOON_F_PAGE_POISON     4
#define VIRTIO_BALLOON_F_PAGE_REPORTING  5

/* Page frame numbers on the inflate and deflate rings count 4 KiB pages,
 * whatever the guest's page size (§5.5.6). */
#define VIRTIO_BALLOON_PFN_SHIFT 12
#define VIRTIO_BALLOON_PAGES_PER_MIB 256u

/* The configuration (§5.5.4), little-endian: num_pages is the host's
 * target, actual what the driver says it holds. The hinting and poison
 * fields follow only with their features, which azote does not offer. */
#define VIRTIO_BALLOON_CFG_NUM_PAGES 0
#define VIRTIO_BALLOON_CFG_ACTUAL    4
#define VIRTIO_BALLOON_CONFIG_SIZE   8

/* Statistics tags (§5.5.6.3; 10 and above are Linux 6.12's, which
 * Firecracker reports too). A statistic is a packed le16 tag, le64 value. */
enum {
	VIRTIO_BALLOON_S_SWAP_IN, VIRTIO_BALLOON_S_SWAP_OUT, VIRTIO_BALLOON_S_MAJFLT,
	VIRTIO_BALLOON_S_MINFLT, VIRTIO_BALLOON_S_MEMFREE, VIRTIO_BALLOON_S_MEMTOT,
	VIRTIO_BALLOON_S_AVAIL, VIRTIO_BALLOON_S_CACHES, VIRTIO_BALLOON_S_HTLB_PGALLOC,
	VIRTIO_BALLOON_S_HTLB_PGFAIL, VIRTIO_BALLOON_S_OOM_KILL,
	VIRTIO_BALLOON_S_ALLOC_STALL, VIRTIO_BALLOON_S_ASYNC_SCAN,
	VIRTIO_BALLOON_S_DIRECT_SCAN, VIRTIO_BALLOON_S_ASYNC_RECLAIM,
	VIRTIO_BALLOON_S_DIRECT_RECLAIM,
	VIRTIO_BALLOON_S_NR
};
#define VIRTIO_BALLOON_STAT_SIZE 10

/* What a ring is for. The rings are numbered without gaps in this order,
 * each optional one present only when its feature is offered: Linux's
 * driver (virtio_find_vqs skips absent rings) and Firecracker number them
 * so, although §5.5.2 lists fixed indices. */
enum balloon_ring {
	BALLOON_RING_INFLATE, BALLOON_RING_DEFLATE, BALLOON_RING_STATS,
	BALLOON_RING_REPORTING, BALLOON_RING_NONE
};

static inline unsigned balloon_nr_rings(uint64_t features)
{
	return 2 + !!(features & 1ULL << VIRTIO_BALLOON_F_STATS_VQ) +
	       !!(features & 1ULL << VIRTIO_BALLOON_F_PAGE_REPORTING);
}

/* The role of ring idx for a device offering features. */
static inline enum balloon_ring balloon_ring_role(uint64_t features, unsigned idx)
{
	if (idx < 2)
		return idx == 0 ? BALLOON_RING_INFLATE : BALLOON_RING_DEFLATE;
	if (features & 1ULL << VIRTIO_BALLOON_F_STATS_VQ) {
		if (idx == 2)
			return BALLOON_RING_STATS;
		idx--;
	}
	if (idx == 2 && features & 1ULL << VIRTIO_BALLOON_F_PAGE_REPORTING)
		return BALLOON_RING_REPORTING;
	return BALLOON_RING_NONE;
}

#endif
