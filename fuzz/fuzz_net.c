/* libFuzzer target: the net card's guest-facing data path — transmit
 * chains and their headers, frames delivered into receive buffers, and
 * control requests — on a ring and buffers the input makes. Guest memory
 * is two adjacent regions (buffers may straddle them).
 *
 * Input: features (8 bytes, little-endian), queue size selector (1 byte:
 * 2^(b % 7) entries), what to run (1 byte: bit 0 TX, 1 RX, 2 control),
 * next avail index (2 bytes), then the memory image (rings at 0x0, 0x1000
 * and 0x2000, buffers anywhere), whose last 2 KiB are also the RX frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cards/net/ctrl.h"
#include "cards/net/rx.h"
#include "cards/net/tx.h"
#include "common/log.h"
#include "cards/virtio/iov.h"

#include "fuzz_pop.h"

#define MEM_SIZE  (64 << 10)
#define DESC_GPA  0x0
#define AVAIL_GPA 0x1000
#define USED_GPA  0x2000
#define HDR_BYTES 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t mem[MEM_SIZE];
static uint8_t frame[NET_HDR_LEN + NET_MAX_FRAME];
static struct net_rx_bufs bufs;

static void run_tx(struct virtq *q, const struct net_mode *m)
{
	struct iovec iov[NET_IOV_MAX], out[NET_IOV_MAX + 1];
	struct virtq_chain c = { .iov = iov, .cap = NET_IOV_MAX };
	struct virtio_net_hdr_v1 hdr;
	static uint8_t sink[NET_HDR_LEN + NET_MAX_FRAME];
	struct azerr e;

	for (unsigned i = 0; i < 2 * q->num && fuzz_pop(q, &c); i++) {
		int n = net_tx_prepare(&c, m, &hdr, out, NET_IOV_MAX + 1, &e);
		/* What would be written to the TAP: every byte readable. */
		if (n > 0 && iov_to_buf(out, (unsigned)n, 0, sink, sizeof(sink)) !=
		    m->hdr_len + c.out_len - m->hdr_len)
			abort();
		virtq_push(q, &c, 0);
	}
}

static void run_rx(struct virtq *q, const struct net_mode *m, size_t len)
{
	struct azerr e;

	for (int i = 0; i < 3; i++) {
		uint16_t before = q->used_idx;
		enum net_rx_result r = net_rx_deliver(q, &bufs, m, frame, len, &e);
		uint16_t taken = (uint16_t)(q->used_idx - before);
		/* A frame never takes more buffers than allowed; without
		 * mergeable buffers exactly one, besides unusable ones. */
		if (r == NET_RX_DONE && taken < 1)
			abort();
		if (r == NET_RX_NO_BUFFERS)
			break;
	}
}

static void run_ctrl(struct virtq *q)
{
	struct iovec iov[16];
	struct virtq_chain c = { .iov = iov, .cap = 16 };
	struct net_ctrl_result r;

	for (unsigned i = 0; i < 2 * q->num && fuzz_pop(q, &c); i++) {
		net_ctrl_handle(&c, true, 4, &r);
		if (r.pairs > 4 || (r.pairs && r.ack))
			abort();
		virtq_push(q, &c, r.used_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmem gm = { .nr = 2 };
	struct virtq q = { .callfd = -1, .kickfd = -1 };
	struct net_mode m;
	uint64_t features;
	struct azerr e;

	/* Hostile rings are the point here: no warning per bad chain. */
	log_set_level(LOG_ERROR);
	if (size < HDR_BYTES)
		return 0;
	memcpy(&features, data, 8);
	unsigned num = 1u << (data[8] % 7);
	uint8_t ops = data[9];
	uint16_t last_avail = (uint16_t)(data[10] | data[11] << 8);
	data += HDR_BYTES;
	size -= HDR_BYTES;

	memset(mem, 0, sizeof(mem));
	memcpy(mem, data, size < MEM_SIZE ? size : MEM_SIZE);
	gm.r[0] = (struct gmem_region){ .gpa = 0, .size = MEM_SIZE / 2, .hva = mem };
	gm.r[1] = (struct gmem_region){ .gpa = MEM_SIZE / 2, .size = MEM_SIZE / 2,
					.hva = mem + MEM_SIZE / 2 };
	if (virtq_start(&q, &gm, num, DESC_GPA, AVAIL_GPA, USED_GPA, false, last_avail,
			features, &e))
		abort();
	net_mode_init(&m, features, 1500, 9000);
	if (ops & 1)
		run_tx(&q, &m);
	if (ops & 2) {
		size_t len = size > 2048 ? 2048 : size;
		memcpy(frame, data + size - len, len);
		run_rx(&q, &m, len);
	}
	if (ops & 4)
		run_ctrl(&q);
	return 0;
}
