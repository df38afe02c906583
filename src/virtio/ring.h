/* Split virtqueue layout (virtio 1.2 §2.7). All fields little-endian, in
 * guest memory shared with a driver that may be hostile: device code reads
 * each field once into a local before checking it. */
#ifndef AZOTE_VIRTIO_RING_H
#define AZOTE_VIRTIO_RING_H

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

/* Largest queue size virtio allows (§2.7: a power of 2, at most 32768). */
#define VIRTQ_MAX_SIZE 32768

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];  /* num entries, then used_event if EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];  /* num entries, then avail_event */
};

/* Byte sizes of the three parts for a queue of num entries, with the
 * trailing event field that EVENT_IDX adds (always counted: the driver
 * allocates it either way). */
static inline uint64_t virtq_desc_size(unsigned num)
{
	return 16ULL * num;
}

static inline uint64_t virtq_avail_size(unsigned num)
{
	return 4 + 2ULL * num + 2;
}

static inline uint64_t virtq_used_size(unsigned num)
{
	return 4 + 8ULL * num + 2;
}

/* True when an index moving from old to new_idx has passed event
 * (§2.7.10: the notification threshold EVENT_IDX sets). */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif
