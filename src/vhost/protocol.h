/* The vhost-user protocol (QEMU docs/interop/vhost-user.rst): message
 * numbers, flags, feature bits and payload layouts. Little-endian on the
 * wire; azote only runs on little-endian hosts, so structs map directly. */
#ifndef AZOTE_VHOST_PROTOCOL_H
#define AZOTE_VHOST_PROTOCOL_H

#include <stdint.h>

/* Front-end → back-end requests. */
enum vhost_user_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_REQUEST_MAX = 64,  /* bound for tables indexed by request */
};

/* Header flags. */
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_VERSION      0x1
#define VHOST_USER_REPLY        (1u << 2)
#define VHOST_USER_NEED_REPLY   (1u << 3)

/* The virtio feature bit announcing protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
/* The vhost feature bit (not a virtio one: never shown to a guest) by which
 * a back-end offers, and a front-end asks, that the back-end log the guest
 * pages it writes (the spec's "Migration" section). */
#define VHOST_F_LOG_ALL 26

/* Protocol feature bits. */
#define VHOST_USER_PROTOCOL_F_MQ            0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD     1
#define VHOST_USER_PROTOCOL_F_REPLY_ACK     3
#define VHOST_USER_PROTOCOL_F_MTU           4
#define VHOST_USER_PROTOCOL_F_CONFIG        9
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE  13
#define VHOST_USER_PROTOCOL_F_STATUS        16

/* Vring fd messages: bits 0-7 the index, bit 8 "no fd attached". */
#define VHOST_USER_VRING_IDX_MASK 0xff
#define VHOST_USER_VRING_NOFD     (1u << 8)

/* Limits. */
#define VHOST_USER_MAX_FDS        8    /* = memory regions per SET_MEM_TABLE */
#define VHOST_USER_MAX_CONFIG     256
#define VHOST_USER_MAX_QUEUES     64

struct vhost_user_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;    /* payload bytes following the header */
};

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

/* SET_VRING_ADDR flag: log the writes to this ring's used ring, at the
 * guest physical address in log. */
#define VHOST_VRING_F_LOG 1

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;    /* front-end virtual addresses */
	uint64_t used;
	uint64_t avail;
	uint64_t log;     /* the used ring's guest physical address, with F_LOG */
};

/* SET_LOG_BASE (with LOG_SHMFD): the log is mmap_size bytes at mmap_offset
 * of the fd the message carries; bit n (byte n / 8, bit n % 8) stands for
 * the guest page at n * VHOST_LOG_PAGE. */
struct vhost_user_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
};

#define VHOST_LOG_PAGE 4096u

struct vhost_user_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MAX_FDS];
};

struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VHOST_USER_MAX_CONFIG];
};

#define VHOST_USER_CONFIG_HDR 12

union vhost_user_payload {
	uint64_t u64;
	struct vhost_user_vring_state state;
	struct vhost_user_vring_addr addr;
	struct vhost_user_mem_table mem;
	struct vhost_user_config config;
	struct vhost_user_log log;
};

#endif
