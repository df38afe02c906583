/* The host-only vhost-user-net test driver: a hypervisor and a virtio-net
 * guest driver in one process (see vunet_drv.c). This part is the driver:
 * queue pairs in test memory, frames in and out, the TAP's other side. */
#ifndef AZOTE_TESTS_HOST_VUNET_H
#define AZOTE_TESTS_HOST_VUNET_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "drv_ring.h"
#include "pkt.h"
#include "vmm/vhost_frontend.h"

#define MAX_PAIRS   4
#define TX_SLOTS    32
#define TX_SLOT_LEN (72 << 10)   /* a 65550-byte frame, header, and more */
#define FRAME_BUF   (12 + 65550 + 4096)  /* header, largest frame, slack */
#define EXIT_GONE   3

struct pairq {
	struct drv_vq rx, tx;
	uint64_t rx_base;                  /* qsize buffers, one per descriptor */
	uint64_t rx_gpa[VIRTQ_MAX_SIZE];   /* head -> buffer */
	uint64_t tx_slot[TX_SLOTS];
	uint64_t tx_itable[TX_SLOTS];      /* each slot's indirect table */
	int tx_head_slot[VIRTQ_MAX_SIZE];
	int tx_free[TX_SLOTS];
	unsigned nr_tx_free;
	uint64_t rx_frames;
};

struct drv {
	struct vu_frontend fe;
	struct drv_mem mem;
	unsigned nr_pairs, max_pairs, qsize;
	struct pairq *pq;
	struct drv_vq ctrl;
	bool has_ctrl;
	uint64_t ctrl_buf;
	uint64_t features;
	unsigned hdr_len;
	bool mrg;
	uint32_t rx_buf_len;
	unsigned mtu;             /* VIRTIO_NET_F_MTU negotiated: its value */
	bool no_refill;           /* leave used RX buffers unposted */
	bool tx_indirect;         /* send_frame posts through an indirect table */
	struct pkt_addr me, host; /* the guest (card's MAC), the TAP side */
	const char *tap;
	int ifindex;
	int pkt_fd;               /* AF_PACKET on the TAP, in its namespace */
	int timeout_ms;
	pid_t card_pid;
	/* --dirty-log: the log the card is given (fd -1: none), and how many
	 * pages of received buffers were found unmarked. */
	int log_fd;
	uint8_t *log;
	uint64_t log_bytes;
	unsigned log_missing;
	int failures;
	uint64_t calls;           /* call eventfd signals seen */
};

void check(struct drv *d, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
int64_t now_ms(void);

/* Posts one RX buffer (rx_buf_len bytes at gpa) on pair qi. */
void rx_post(struct drv *d, unsigned qi, uint64_t gpa);
/* Posts RX buffers on pair qi until the ring is full. */
void rx_fill(struct drv *d, unsigned qi);
/* Takes the next frame received on pair qi (any pair if qi < 0) into
 * out (header first, hdr_len bytes), waiting up to timeout_ms. Returns the
 * frame's length after the header and the pair in *from, or -1. ARP
 * requests for our address are answered on the way. */
long recv_frame(struct drv *d, int qi, uint8_t *out, int timeout_ms, unsigned *from);
/* Sends frame (len bytes) with header h on pair qi, split into nsegs
 * descriptors (1..16; in one indirect table if d->tx_indirect). Returns
 * the chain's head. */
int send_frame(struct drv *d, unsigned qi, const struct virtio_net_hdr_v1 *h,
	       const uint8_t *frame, size_t len, unsigned nsegs);
/* Reclaims completed TX chains of pair qi; returns how many. */
unsigned tx_reclaim(struct drv *d, unsigned qi);
/* Waits for the completion of TX head on pair qi; returns its used len. */
uint32_t tx_wait(struct drv *d, unsigned qi, int head);
/* Waits for any call eventfd or the deadline; dies if the back-end left. */
void wait_calls(struct drv *d, int64_t deadline);

/* Starts ring q as vring idx from avail index base (with the dirty log
 * when the driver has one); exits on failure. */
void vring_start(struct drv *d, unsigned idx, struct drv_vq *q, uint16_t base);
/* The control queue's vring index for the driver's features. */
unsigned ctrl_vring(const struct drv *d);

/* 128 UDP flows sent into the TAP, received: how many arrived, and on
 * which pairs (per_pair, MAX_PAIRS counts). The TAP spreads flows over
 * the queues attached, those of the pairs in use. */
unsigned rx_spread(struct drv *d, unsigned *per_pair);

/* A control request (class, cmd, data); returns the ack. */
uint8_t ctrl_cmd(struct drv *d, uint8_t class, uint8_t cmd, const void *data,
		 uint32_t len);

/* The TAP's other side: raw frames into it (they reach the card), with a
 * virtio-net header when vnet (PACKET_VNET_HDR). */
int pkt_open(struct drv *d, bool vnet);
void pkt_inject(struct drv *d, int fd, const void *f, size_t len);
/* One of the TAP's counters (/sys/class/net/TAP/statistics/NAME). */
uint64_t tap_stat(struct drv *d, const char *name);

/* The pairs in use across a snapshot's ring restart, a device reset, and
 * a restore into a new card started from card, the card's command line
 * (vunet_pairs.c). */
void test_mq_resume(struct drv *d);
void test_mq_reset(struct drv *d);
void test_mq_restore(struct drv *d, char **card);

#endif
