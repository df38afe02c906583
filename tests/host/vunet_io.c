#include "vunet.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drv_card.h"
#include "virtio/virtio.h"

void check(struct drv *d, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!ok)
		d->failures++;
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vunet-drv: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(code);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void wait_calls(struct drv *d, int64_t deadline)
{
	struct pollfd p[2 * MAX_PAIRS + 2];
	unsigned n = 0;

	for (unsigned i = 0; i < d->nr_pairs; i++) {
		p[n++] = (struct pollfd){ .fd = d->pq[i].rx.callfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = d->pq[i].tx.callfd, .events = POLLIN };
	}
	p[n++] = (struct pollfd){ .fd = vu_fe_fd(&d->fe), .events = POLLIN };
	int64_t left = deadline - now_ms();
	if (left <= 0)
		return;
	if (poll(p, n, (int)left) < 0 && errno != EINTR)
		die(2, "poll: %s", strerror(errno));
	/* The back-end never writes unasked: readable means it is gone. */
	if (p[n - 1].revents)
		die(EXIT_GONE, "back-end closed the connection");
	for (unsigned i = 0; i + 1 < n; i++) {
		uint64_t v;
		if ((p[i].revents & POLLIN) && read(p[i].fd, &v, sizeof(v)) == sizeof(v))
			d->calls += v;
	}
}

void rx_post(struct drv *d, unsigned qi, uint64_t gpa)
{
	struct pairq *q = &d->pq[qi];
	struct drv_buf b = { gpa, d->rx_buf_len, true };
	int head = drv_vq_add(&q->rx, &b, 1, 0);

	if (head < 0)
		die(2, "pair %u: RX ring full", qi);
	q->rx_gpa[head] = gpa;
}

void rx_fill(struct drv *d, unsigned qi)
{
	struct pairq *q = &d->pq[qi];

	/* Buffer i goes with descriptor i (each buffer is one descriptor),
	 * so a buffer is never posted twice. */
	while (q->rx.nr_free)
		rx_post(d, qi, q->rx_base + (uint64_t)q->rx.free_head * d->rx_buf_len);
	drv_vq_kick(&q->rx);
}

/* With a dirty log: counts the pages of [gpa, gpa + len), which the card
 * wrote before publishing them, that it did not mark. */
static void log_check(struct drv *d, uint64_t gpa, uint32_t len)
{
	for (uint64_t n = gpa / 4096; len && n <= (gpa + len - 1) / 4096; n++)
		if (n / 8 >= d->log_bytes || !((d->log[n / 8] >> (n % 8)) & 1))
			d->log_missing++;
}

/* Takes one used RX buffer, or false. */
static bool rx_used(struct drv *d, unsigned qi, uint64_t *gpa, uint32_t *len)
{
	uint16_t id;

	if (!drv_vq_get_used(&d->pq[qi].rx, &id, len))
		return false;
	if (id >= d->qsize)
		die(1, "pair %u: RX used id %u out of range", qi, id);
	*gpa = d->pq[qi].rx_gpa[id];
	if (d->log)
		log_check(d, *gpa, *len);
	return true;
}

/* One frame from pair qi if one is there: its buffers gathered, handed
 * back (unless no_refill), the length after the header returned. */
static long rx_take(struct drv *d, unsigned qi, uint8_t *out)
{
	uint64_t gpa;
	uint32_t len;
	size_t total;

	if (!rx_used(d, qi, &gpa, &len))
		return -1;
	if (len > d->rx_buf_len || len < d->hdr_len)
		die(1, "pair %u: RX used length %u (buffers are %u bytes)", qi, len,
		    d->rx_buf_len);
	memcpy(out, drv_gpa(&d->mem, gpa), len);
	total = len;
	unsigned nbufs = d->hdr_len == 12 ? ((struct virtio_net_hdr_v1 *)out)->num_buffers : 1;
	if (!d->mrg && nbufs != 1)
		die(1, "pair %u: num_buffers %u without MRG_RXBUF", qi, nbufs);
	for (unsigned i = 1; i < nbufs; i++) {
		uint64_t g;
		/* The device publishes a frame whole: every buffer of it is
		 * already on the used ring. */
		if (!rx_used(d, qi, &g, &len))
			die(1, "pair %u: frame of %u buffers published partially (%u)",
			    qi, nbufs, i);
		if (total + len > FRAME_BUF)
			die(1, "pair %u: frame larger than %d bytes", qi, FRAME_BUF);
		memcpy(out + total, drv_gpa(&d->mem, g), len);
		total += len;
	}
	d->pq[qi].rx_frames++;
	if (!d->no_refill)
		rx_fill(d, qi);
	return (long)(total - d->hdr_len);
}

long recv_frame(struct drv *d, int qi, uint8_t *out, int timeout_ms, unsigned *from)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		for (unsigned i = 0; i < d->nr_pairs; i++) {
			if (qi >= 0 && i != (unsigned)qi)
				continue;
			long n = rx_take(d, i, out);
			if (n < 0)
				continue;
			uint8_t reply[64];
			size_t rlen;
			if (pkt_arp_answer(out + d->hdr_len, (size_t)n, &d->me, reply, &rlen)) {
				struct virtio_net_hdr_v1 h = { 0 };
				send_frame(d, i, &h, reply, rlen, 1);
				continue;
			}
			if (from)
				*from = i;
			return n;
		}
		if (now_ms() >= deadline)
			return -1;
		wait_calls(d, deadline);
	}
}

unsigned tx_reclaim(struct drv *d, unsigned qi)
{
	struct pairq *q = &d->pq[qi];
	unsigned n = 0;
	uint16_t id;
	uint32_t len;

	while (drv_vq_get_used(&q->tx, &id, &len)) {
		if (id >= d->qsize || q->tx_head_slot[id] < 0)
			die(1, "pair %u: TX used id %u is no chain of ours", qi, id);
		if (len != 0)
			die(1, "pair %u: TX chain %u completed with length %u (must be 0)",
			    qi, id, len);
		q->tx_free[q->nr_tx_free++] = q->tx_head_slot[id];
		q->tx_head_slot[id] = -1;
		n++;
	}
	return n;
}

int send_frame(struct drv *d, unsigned qi, const struct virtio_net_hdr_v1 *h,
	       const uint8_t *frame, size_t len, unsigned nsegs)
{
	struct pairq *q = &d->pq[qi];
	int64_t deadline = now_ms() + d->timeout_ms;
	struct drv_buf b[16];

	unsigned ring_descs = d->tx_indirect ? 1 : nsegs;

	while (tx_reclaim(d, qi), !q->nr_tx_free || q->tx.nr_free < ring_descs) {
		if (now_ms() >= deadline)
			die(EXIT_GONE, "pair %u: TX ring stuck", qi);
		wait_calls(d, deadline);
	}
	int slot = q->tx_free[--q->nr_tx_free];
	uint8_t *p = drv_gpa(&d->mem, q->tx_slot[slot]);
	size_t total = d->hdr_len + len;
	if (total > TX_SLOT_LEN || nsegs < 1 || nsegs > 16)
		die(2, "send_frame: %zu bytes in %u segments", total, nsegs);
	memcpy(p, h, d->hdr_len);
	memcpy(p + d->hdr_len, frame, len);
	size_t off = 0;
	for (unsigned i = 0; i < nsegs; i++) {
		size_t chunk = i + 1 == nsegs ? total - off : total / nsegs;
		b[i] = (struct drv_buf){ q->tx_slot[slot] + off, (uint32_t)chunk, false };
		off += chunk;
	}
	int head = drv_vq_add(&q->tx, b, nsegs, d->tx_indirect ? q->tx_itable[slot] : 0);
	if (head < 0)
		die(2, "pair %u: TX ring full", qi);
	q->tx_head_slot[head] = slot;
	drv_vq_kick(&q->tx);
	return head;
}

uint32_t tx_wait(struct drv *d, unsigned qi, int head)
{
	struct pairq *q = &d->pq[qi];
	int64_t deadline = now_ms() + d->timeout_ms;

	for (;;) {
		tx_reclaim(d, qi);
		if (q->tx_head_slot[head] < 0)
			return 0;
		if (now_ms() >= deadline)
			die(EXIT_GONE, "pair %u: TX chain %d never completed", qi, head);
		wait_calls(d, deadline);
	}
}

uint8_t ctrl_cmd(struct drv *d, uint8_t class, uint8_t cmd, const void *data,
		 uint32_t len)
{
	uint8_t *p = drv_gpa(&d->mem, d->ctrl_buf);
	int64_t deadline = now_ms() + d->timeout_ms;
	uint16_t id;
	uint32_t used;

	p[0] = class;
	p[1] = cmd;
	memcpy(p + 2, data, len);
	p[256] = 0xee;
	struct drv_buf b[2] = { { d->ctrl_buf, 2 + len, false },
				{ d->ctrl_buf + 256, 1, true } };
	int head = drv_vq_add(&d->ctrl, b, 2, 0);
	drv_vq_kick(&d->ctrl);
	/* Drivers poll the control queue for the answer. */
	while (!drv_vq_get_used(&d->ctrl, &id, &used)) {
		if (now_ms() >= deadline)
			die(EXIT_GONE, "control request %u/%u never answered", class, cmd);
		usleep(100);
	}
	if (id != head || used != 1)
		die(1, "control answer id %u len %u (head %d)", id, used, head);
	return p[256];
}

int pkt_open(struct drv *d, bool vnet)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = d->ifindex };
	int one = 1;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die(2, "AF_PACKET socket on %s: %s", d->tap, strerror(errno));
	if (vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		die(2, "PACKET_VNET_HDR: %s", strerror(errno));
	return fd;
}

void pkt_inject(struct drv *d, int fd, const void *f, size_t len)
{
	int64_t deadline = now_ms() + d->timeout_ms;

	/* ENOBUFS: the TAP's queue is full for a moment. */
	while (send(fd, f, len, 0) < 0) {
		if (errno != ENOBUFS || now_ms() >= deadline)
			die(2, "sending into %s: %s", d->tap, strerror(errno));
		usleep(100);
	}
}

uint64_t tap_stat(struct drv *d, const char *name)
{
	char path[128];
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", d->tap, name);
	FILE *f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		die(2, "cannot read %s", path);
	fclose(f);
	return v;
}

void vring_start(struct drv *d, unsigned idx, struct drv_vq *q, uint16_t base)
{
	struct vu_fe_vring v = drv_fe_vring(q);
	struct azerr e;

	v.base = base;
	v.log = d->log_fd >= 0;
	v.log_gpa = q->used_gpa;
	if (vu_fe_vring_start(&d->fe, idx, &v, &e))
		die(2, "%s", e.msg);
}

unsigned ctrl_vring(const struct drv *d)
{
	/* §5.1.2: after the pairs the device has, or 2 without MQ. */
	return d->features & VIRTIO_BIT(VIRTIO_NET_F_MQ) ? 2 * d->max_pairs : 2;
}

unsigned rx_spread(struct drv *d, unsigned *per_pair)
{
	static uint8_t buf[FRAME_BUF];
	uint8_t f[128];
	unsigned got = 0, from;

	memset(per_pair, 0, MAX_PAIRS * sizeof(*per_pair));
	for (unsigned i = 0; i < 128; i++)
		pkt_inject(d, d->pkt_fd, f, pkt_udp(f, &d->host, &d->me,
						    (uint16_t)(1000 + i), 7777, 18));
	/* Until all have come: other frames (the host's own) may come too. */
	while (got < 128) {
		long n = recv_frame(d, -1, buf, d->timeout_ms, &from);
		if (n < 0)
			break;
		uint8_t *p = buf + d->hdr_len;
		if (n >= 42 && p[12] == 8 && p[23] == 17 && p[36] == 0x1e && p[37] == 0x61) {
			per_pair[from]++;
			got++;
		}
	}
	return got;
}
