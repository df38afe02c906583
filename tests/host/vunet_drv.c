/* vunet-drv: a host-only test driver for vhost-user-net back-ends. Like
 * vublk-drv it is a hypervisor and a guest driver in one process: azote's
 * vhost-user front-end library sets up the back-end with a memfd as guest
 * memory, and the driver half (vunet_io.c) runs virtio-net queue pairs in
 * it. The other end of the wire is the TAP the card serves, which must be
 * in this process's network namespace, up, with 10.77.0.1/24: the kernel
 * there answers ARP and ping, and an AF_PACKET socket on the TAP injects
 * and captures raw frames.
 *
 *   vunet-drv --tap NAME [--socket PATH] [--queues N] [--qsize N]
 *             [--timeout MS] [--bench-seconds N] [--bench-size N]
 *             [--warmup-ms MS] [--load-frames N]
 *             [--no-mrg] [--no-guest-tso] [--no-csum] [--legacy]
 *             [--no-event-idx] [--dirty-log] TEST... [-- CARD ARGS...]
 *
 * With "-- CARD ARGS..." the driver starts the card itself over a
 * socketpair as azote does ("{fd}" in ARGS becomes 3).
 *
 * Tests: config echo tx-indirect mtu tso rx-gso inject backpressure load hostile mq
 * mq-resume mq-reset mq-restore fds flood stats bench tx-rate rx-rate crash
 * dirtylog. "mq-resume", "mq-reset" and "mq-restore" (vunet_pairs.c)
 * check that the pairs the driver chose stay in use across a snapshot's
 * stop and restart of the rings, that a device reset takes them back to
 * one, and that a second card started from the command line after "--"
 * with "{ctl}" (a snapshot's restore) takes the count from azote's
 * NET_PAIRS. "flood" keeps the control
 * ring full of chains costly to refuse while it stops that ring. "dirtylog" (with --dirty-log,
 * which gives the card a dirty log at setup and has every received buffer's
 * pages checked as marked) receives frames and checks that the card marked
 * no page besides receive buffers and used rings. "stats" needs "--stats-fd {stats}" in the card's
 * arguments: the driver hands it a counters page as azote does. "tx-rate"
 * and "rx-rate" send, or have the TAP side send, --bench-size-byte frames
 * as fast as the card takes them, and measure frames/s and bytes/s (header
 * included, as a rate limiter counts them) over --bench-seconds after
 * --warmup-ms. One line per check; exit 0 when all pass, 1 on a failed
 * check, 2 on a setup error, 3 when the back-end went away (what crash
 * expects). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drv_card.h"
#include "drv_flood.h"
#include "drv_rate.h"
#include "vunet.h"
#include "virtio/virtio.h"

#define F(b) VIRTIO_BIT(b)
#define PING_ID 0x4242

static uint8_t frame_buf[FRAME_BUF];

static bool has(const struct drv *d, unsigned bit)
{
	return d->features & F(bit);
}

/* Receives until match(frame) or the timeout; counts what else came. */
static long recv_match(struct drv *d, int qi, bool (*match)(struct drv *, const uint8_t *,
							     long, const void *),
		       const void *arg, int timeout_ms, unsigned *from)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		long left = deadline - now_ms();
		long n = left > 0 ? recv_frame(d, qi, frame_buf, (int)left, from) : -1;
		if (n < 0 || match(d, frame_buf + d->hdr_len, n, arg))
			return n;
	}
}

struct echo_want {
	uint16_t seq;
	size_t payload;
};

static bool is_reply(struct drv *d, const uint8_t *f, long n, const void *arg)
{
	const struct echo_want *w = arg;

	(void)d;
	return pkt_is_echo_reply(f, (size_t)n, PING_ID, w->seq, w->payload);
}

/* One ping from the guest to the TAP side, sent on pair qi in nsegs
 * descriptors, with the checksum left to the device when partial. */
static bool ping(struct drv *d, unsigned qi, uint16_t seq, size_t payload,
		 bool partial, unsigned nsegs)
{
	uint8_t f[1600];
	struct virtio_net_hdr_v1 h = { 0 };
	struct echo_want w = { seq, payload };
	uint16_t cs = 0, co = 0;

	size_t len = pkt_icmp_echo(f, &d->me, &d->host, PING_ID, seq, payload, partial,
				   &cs, &co);
	if (partial) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = cs;
		h.csum_offset = co;
	}
	send_frame(d, qi, &h, f, len, nsegs);
	return recv_match(d, -1, is_reply, &w, d->timeout_ms, NULL) >= 0;
}

static bool is_arp_reply(struct drv *d, const uint8_t *f, long n, const void *arg)
{
	return pkt_is_arp_reply(f, (size_t)n, &d->me, d->host.ip, (uint8_t *)arg);
}

/* ---- tests ---- */

static void test_config(struct drv *d)
{
	struct virtio_net_config c;
	struct azerr e;
	unsigned pairs;

	if (vu_fe_get_config(&d->fe, 0, &c, 12, &e) || vu_fe_get_queue_num(&d->fe, &pairs, &e))
		die(2, "%s", e.msg);
	check(d, !(c.mac[0] & 1) && memcmp(c.mac, "\0\0\0\0\0\0", 6),
	      "config mac %02x:%02x:%02x:%02x:%02x:%02x is a unicast address",
	      c.mac[0], c.mac[1], c.mac[2], c.mac[3], c.mac[4], c.mac[5]);
	check(d, c.status == VIRTIO_NET_S_LINK_UP, "config status: link up");
	check(d, c.max_virtqueue_pairs == pairs && pairs >= d->nr_pairs,
	      "config max_virtqueue_pairs %u = GET_QUEUE_NUM %u", c.max_virtqueue_pairs, pairs);
	uint64_t want = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX) |
			F(VIRTIO_RING_F_INDIRECT_DESC) | F(VIRTIO_NET_F_CSUM) |
			F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
			F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_TSO4) |
			F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_MRG_RXBUF) |
			F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS);
	check(d, (d->fe.features & want) == want, "offers 0x%llx (needs 0x%llx)",
	      (unsigned long long)d->fe.features, (unsigned long long)want);
}

static void test_echo(struct drv *d)
{
	uint8_t mac[6], f[64], big[1600];
	struct virtio_net_hdr_v1 h = { 0 };

	size_t len = pkt_arp_request(f, &d->me, d->host.ip);
	send_frame(d, 0, &h, f, len, 1);
	bool got = recv_match(d, -1, is_arp_reply, mac, d->timeout_ms, NULL) >= 0;
	check(d, got && !memcmp(mac, d->host.mac, 6), "ARP: the TAP side answers with "
	      "its MAC %02x:%02x:%02x:%02x:%02x:%02x", d->host.mac[0], d->host.mac[1],
	      d->host.mac[2], d->host.mac[3], d->host.mac[4], d->host.mac[5]);
	/* IP and ICMP headers take 28 bytes of the MTU. */
	size_t top = d->mtu ? d->mtu - 28 : 1472;
	const size_t sizes[] = { 0, 56, 1000, top };
	for (unsigned i = 0; i < 4; i++)
		check(d, ping(d, 0, (uint16_t)(1 + i), sizes[i], false, 1 + i % 3),
		      "ICMP echo with %zu bytes of payload answered intact", sizes[i]);
	if (d->mtu) {
		/* One byte more than the MTU allows with a VLAN tag. */
		struct echo_want w = { 9, top + 5 };
		uint16_t cs, co;
		len = pkt_icmp_echo(big, &d->me, &d->host, PING_ID, 9, top + 5, false, &cs, &co);
		send_frame(d, 0, &h, big, len, 1);
		check(d, recv_match(d, -1, is_reply, &w, 500, NULL) < 0,
		      "a plain frame beyond the negotiated MTU %u is dropped", d->mtu);
	}
	if (has(d, VIRTIO_NET_F_CSUM))
		/* The checksum is left zero: without the offload passing
		 * through the TAP, the kernel would drop the request. */
		check(d, ping(d, 0, 10, 1000, true, 3),
		      "ICMP echo with the checksum offloaded (NEEDS_CSUM) answered");
}

/* Receives from an AF_PACKET socket what came in through the TAP (not
 * what the kernel sent out), until a frame of len bytes or the timeout. */
static long capture(struct drv *d, int fd, uint8_t *buf, size_t cap, size_t want)
{
	int64_t deadline = now_ms() + d->timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&sll, &sl);
		if (n > 0 && sll.sll_pkttype != PACKET_OUTGOING && (size_t)n == want)
			return n;
	}
}

/* Plain frames are held to the MTU the driver negotiated, else to the
 * TAP's (issue 15, finding 8: without --mtu any size up to 64 KiB went
 * through). The largest that fits, a VLAN tag's room included, reaches
 * the TAP; one byte more does not. */
static void test_mtu(struct drv *d)
{
	static uint8_t f[FRAME_BUF], cap[FRAME_BUF];
	struct virtio_net_hdr_v1 h = { 0 };
	int fd = pkt_open(d, false);
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->tap);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		die(2, "SIOCGIFMTU on %s: %s", d->tap, strerror(errno));
	unsigned mtu = d->mtu ? d->mtu : (unsigned)ifr.ifr_mtu;
	const char *whose = d->mtu ? "negotiated" : "the TAP's";
	size_t top = mtu + 14 + 4;

	size_t len = pkt_test_frame(f, d->host.mac, d->me.mac, 1, top);
	send_frame(d, 0, &h, f, len, 2);
	check(d, capture(d, fd, cap, sizeof(cap), len) == (long)len,
	      "a %zu-byte plain frame (MTU %u, %s) reaches the TAP", len, mtu, whose);
	len = pkt_test_frame(f, d->host.mac, d->me.mac, 2, top + 1);
	send_frame(d, 0, &h, f, len, 2);
	int timeout = d->timeout_ms;
	d->timeout_ms = 500;
	check(d, capture(d, fd, cap, sizeof(cap), len) < 0,
	      "a %zu-byte plain frame, one byte beyond MTU %u (%s), is dropped", len,
	      mtu, whose);
	d->timeout_ms = timeout;
	close(fd);
}

/* Frames sent through indirect tables as large as the queue (issue 15: the
 * pointer in the ring was counted with the table's entries, so a table of
 * qsize entries failed), and of 16 entries whatever the queue's size. */
static void test_tx_indirect(struct drv *d)
{
	unsigned sizes[] = { d->qsize < 16 ? d->qsize : 2, 16 };

	d->tx_indirect = true;
	for (unsigned i = 0; i < 2; i++)
		check(d, ping(d, 0, (uint16_t)(20 + i), 1000, false, sizes[i]),
		      "ICMP echo sent through a %u-entry indirect table on a %u-entry "
		      "queue answered", sizes[i], d->qsize);
	d->tx_indirect = false;
}

static void test_tso(struct drv *d)
{
	static uint8_t f[FRAME_BUF], cap[FRAME_BUF];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448 };

	if (!has(d, VIRTIO_NET_F_HOST_TSO4)) {
		printf("skip: HOST_TSO4 not negotiated\n");
		return;
	}
	int fd = pkt_open(d, true);
	size_t len = pkt_tcp_big(f, &d->me, &d->host, 20000, &h.csum_start,
				 &h.csum_offset, &h.hdr_len);
	send_frame(d, 0, &h, f, len, 4);
	long n = capture(d, fd, cap, sizeof(cap), sizeof(struct virtio_net_hdr) + len);
	const struct virtio_net_hdr *got = (const void *)cap;
	check(d, n > 0 && got->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && got->gso_size == 1448 &&
	      !memcmp(cap + sizeof(*got), f, len),
	      "a %zu-byte TCPv4 GSO frame reaches the TAP as one, MSS 1448", len);
	close(fd);
}

struct tcp_want {
	size_t payload;
};

static bool is_big_tcp(struct drv *d, const uint8_t *f, long n, const void *arg)
{
	(void)d;
	(void)arg;
	return n > PKT_ETH_HLEN + PKT_IP_HLEN + 20 && f[12] == 8 && f[13] == 0 &&
	       f[PKT_ETH_HLEN + 9] == 6 && f[PKT_ETH_HLEN + PKT_IP_HLEN] == 0x9c &&
	       f[PKT_ETH_HLEN + PKT_IP_HLEN + 1] == 0x40;   /* source port 40000 */
}

static void test_rx_gso(struct drv *d)
{
	static uint8_t pkt[FRAME_BUF];
	struct virtio_net_hdr *h = (void *)pkt;
	uint8_t *f = pkt + sizeof(*h);
	unsigned from;

	int fd = pkt_open(d, true);
	memset(h, 0, sizeof(*h));
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h->gso_size = 1448;
	size_t len = pkt_tcp_big(f, &d->host, &d->me, 20000, &h->csum_start,
				 &h->csum_offset, &h->hdr_len);
	pkt_inject(d, fd, pkt, sizeof(*h) + len);
	if (has(d, VIRTIO_NET_F_GUEST_TSO4)) {
		long n = recv_match(d, -1, is_big_tcp, NULL, d->timeout_ms, &from);
		const struct virtio_net_hdr_v1 *g = (const void *)frame_buf;
		check(d, n == (long)len && g->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
		      g->gso_size == 1448 && (g->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		      !memcmp(frame_buf + d->hdr_len + PKT_ETH_HLEN + PKT_IP_HLEN + 20,
			      f + PKT_ETH_HLEN + PKT_IP_HLEN + 20, 20000),
		      "a %zu-byte TCPv4 GSO frame reaches the guest whole (%u buffer%s)",
		      len, d->mrg ? g->num_buffers : 1, d->mrg && g->num_buffers > 1 ? "s" : "");
	} else {
		/* The TAP has no TSO: the kernel segments for the guest. */
		size_t got = 0;
		unsigned frames = 0;
		bool small = true;
		long n;
		while (got < 20000 && (n = recv_match(d, -1, is_big_tcp, NULL,
						      d->timeout_ms, &from)) > 0) {
			got += (size_t)n - PKT_ETH_HLEN - PKT_IP_HLEN - 20;
			small &= n <= 1514;
			frames++;
		}
		check(d, got == 20000 && small, "without GUEST_TSO4 the 20000 bytes arrive "
		      "in %u frames of at most 1514 bytes", frames);
	}
	close(fd);
}

static bool is_test_frame(struct drv *d, const uint8_t *f, long n, const void *arg)
{
	(void)d;
	(void)arg;
	return pkt_test_seq(f, (size_t)n) >= 0;
}

/* Receives count numbered frames; true if they are first..first+count-1
 * in order and intact. */
static bool recv_seq(struct drv *d, uint32_t first, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		long n = recv_match(d, -1, is_test_frame, NULL, d->timeout_ms, NULL);
		long seq = n < 0 ? -1 : pkt_test_seq(frame_buf + d->hdr_len, (size_t)n);
		if (seq != (long)(first + i)) {
			printf("  frame %u: got %ld, expected %u\n", i, seq, first + i);
			return false;
		}
	}
	return true;
}

/* The largest plain frame the card passes the driver: 1514 bytes, or with
 * MTU negotiated the MTU's, a VLAN tag's room included (§5.1.4.2). */
static size_t rx_top(const struct drv *d)
{
	return d->mtu && d->mtu + 18 < 1514 ? d->mtu + 18 : 1514;
}

/* Injects count numbered frames from first on, of size bytes, or 0:
 * sizes from 60 to rx_top. */
static void inject_seq(struct drv *d, uint32_t first, unsigned count, size_t size)
{
	uint8_t f[1600];

	for (unsigned i = 0; i < count; i++) {
		size_t len = pkt_test_frame(f, d->me.mac, d->host.mac, first + i,
					    size ? size : 60 + (i * 29) % (rx_top(d) - 59));
		pkt_inject(d, d->pkt_fd, f, len);
	}
}

static void test_inject(struct drv *d)
{
	inject_seq(d, 0, 50, 0);
	check(d, recv_seq(d, 0, 50), "50 frames of 60-%zu bytes sent into the TAP "
	      "arrive in order and intact", rx_top(d));
	if (rx_top(d) == 1514)
		return;
	/* One byte more: dropped, the frame after it arrives. */
	inject_seq(d, 50, 1, rx_top(d) + 1);
	inject_seq(d, 51, 1, 60);
	check(d, recv_seq(d, 51, 1), "a %zu-byte plain frame from the TAP, beyond MTU %u "
	      "(negotiated), is dropped", rx_top(d) + 1, d->mtu);
}

/* --dirty-log: a log for all of the test memory, as azote makes it. */
static void dirty_log_init(struct drv *d)
{
	d->log_bytes = ((DRV_HIGH_GPA + (32ULL << 20)) / 4096 + 7) / 8;
	d->log_fd = memfd_create("vunet-drv-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->log_fd < 0 || ftruncate(d->log_fd, (off_t)d->log_bytes) < 0)
		die(2, "log: %s", strerror(errno));
	d->log = mmap(NULL, d->log_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, d->log_fd, 0);
	if (d->log == MAP_FAILED)
		die(2, "log: %s", strerror(errno));
}

/* Whether guest page n lies in [gpa, gpa + len). */
static bool page_in(uint64_t n, uint64_t gpa, uint64_t len)
{
	return len && n >= gpa / 4096 && n <= (gpa + len - 1) / 4096;
}

/* Frames received with the log on: every buffer they filled was marked
 * (checked as each is taken), and the card marked nothing but receive
 * buffers and used rings (its transmit buffers, rings' other parts and
 * the rest of memory it only reads). */
static void test_dirtylog(struct drv *d)
{
	unsigned extra = 0, marked = 0;

	if (!d->log)
		die(2, "dirtylog needs --dirty-log");
	memset(d->log, 0, d->log_bytes);
	d->log_missing = 0;
	inject_seq(d, 0, 50, 0);
	check(d, recv_seq(d, 0, 50), "50 frames received with the dirty log on");
	for (uint64_t n = 0; n < d->log_bytes * 8; n++) {
		if (!((d->log[n / 8] >> (n % 8)) & 1))
			continue;
		bool ok = false;
		for (unsigned i = 0; i < d->nr_pairs && !ok; i++) {
			const struct pairq *q = &d->pq[i];
			ok = page_in(n, q->rx_base, (uint64_t)d->qsize * d->rx_buf_len) ||
			     page_in(n, q->rx.used_gpa, virtq_used_size(q->rx.num)) ||
			     page_in(n, q->tx.used_gpa, virtq_used_size(q->tx.num));
		}
		if (d->has_ctrl)
			ok = ok || page_in(n, d->ctrl.used_gpa, virtq_used_size(d->ctrl.num));
		marked++;
		if (!ok && extra++ < 4)
			printf("  page 0x%llx marked, the card writes nothing there\n",
			       (unsigned long long)(n * 4096));
	}
	check(d, !d->log_missing && marked, "every page of every buffer received is marked "
	      "(%u not; %u pages marked)", d->log_missing, marked);
	check(d, !extra, "nothing but receive buffers and used rings marked (%u pages more)",
	      extra);
}

static void test_backpressure(struct drv *d)
{
	struct drv_vq *rx = &d->pq[0].rx;
	const unsigned extra = 300;
	uint64_t dropped = tap_stat(d, "tx_dropped");

	/* The ring holds qsize buffers; inject qsize + 300 frames without
	 * giving any buffer back. */
	d->no_refill = true;
	inject_seq(d, 1000, d->qsize + extra, 200);
	usleep(300 * 1000);
	uint16_t used = __atomic_load_n(&rx->used->idx, __ATOMIC_ACQUIRE);
	check(d, (uint16_t)(used - rx->last_used) == d->qsize,
	      "with the ring exhausted the card stops: %u buffers used of %u",
	      (uint16_t)(used - rx->last_used), d->qsize);
	check(d, recv_seq(d, 1000, d->qsize), "the first %u frames arrived in order", d->qsize);
	/* Buffers back: the kick resumes the card where it stopped. */
	d->no_refill = false;
	rx_fill(d, 0);
	check(d, recv_seq(d, 1000 + d->qsize, extra),
	      "after the kick the other %u frames arrive, none lost", extra);
	check(d, tap_stat(d, "tx_dropped") == dropped, "the TAP dropped nothing meanwhile");
}

struct loader {
	struct drv *d;
	unsigned frames;
	size_t size;
	volatile unsigned received;
};

/* Injects frames as fast as the guest takes them: at most 256 ahead, so
 * that the TAP's queue (500) never overflows. */
static void *load_sender(void *arg)
{
	struct loader *l = arg;
	uint8_t f[1600];

	for (unsigned i = 0; i < l->frames; i++) {
		while (i - __atomic_load_n(&l->received, __ATOMIC_ACQUIRE) > 256)
			sched_yield();
		pkt_inject(l->d, l->d->pkt_fd, f,
			   pkt_test_frame(f, l->d->me.mac, l->d->host.mac, 100000 + i, l->size));
	}
	return NULL;
}

static void test_load(struct drv *d, unsigned frames)
{
	struct loader l = { d, frames, 1000, 0 };
	pthread_t t;
	uint64_t dropped = tap_stat(d, "tx_dropped");
	int64_t start = now_ms();
	bool in_order = true;

	pthread_create(&t, NULL, load_sender, &l);
	for (unsigned i = 0; i < frames; i++) {
		long n = recv_match(d, -1, is_test_frame, NULL, d->timeout_ms, NULL);
		if (n < 0 || pkt_test_seq(frame_buf + d->hdr_len, (size_t)n) != 100000 + i) {
			in_order = false;
			printf("  frame %u: %s\n", i, n < 0 ? "missing" : "out of order");
			break;
		}
		__atomic_store_n(&l.received, i + 1, __ATOMIC_RELEASE);
	}
	if (!in_order)
		__atomic_store_n(&l.received, frames, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	double s = (now_ms() - start) / 1000.0;
	check(d, in_order && tap_stat(d, "tx_dropped") == dropped,
	      "%u frames of 1000 bytes under load: all received in order, none dropped "
	      "(%.0f frames/s)", frames, frames / s);
}

/* ---- hostile chains ---- */

/* Publishes a hand-made TX chain of k descriptors and checks it alone
 * fails: completed with length 0. */
static void hostile_tx(struct drv *d, const char *what, unsigned k,
		       void (*make)(struct drv *, struct virtq_desc **, uint16_t *, uint64_t))
{
	struct drv_vq *q = &d->pq[0].tx;
	struct virtq_desc *x[4];
	uint16_t idx[4], id;
	uint32_t len;
	int64_t deadline = now_ms() + d->timeout_ms;

	while (d->pq[0].nr_tx_free < TX_SLOTS)
		if (!tx_reclaim(d, 0))
			wait_calls(d, deadline);
	if (drv_vq_take(q, k, idx) < 0)
		die(2, "out of descriptors");
	for (unsigned i = 0; i < k; i++) {
		x[i] = &q->desc[idx[i]];
		memset(x[i], 0, sizeof(*x[i]));
	}
	make(d, x, idx, d->pq[0].tx_slot[0]);
	drv_vq_publish(q, idx[0]);
	drv_vq_kick(q);
	while (!drv_vq_get_used(q, &id, &len)) {
		if (now_ms() >= deadline)
			die(EXIT_GONE, "hostile chain (%s) never completed", what);
		wait_calls(d, deadline);
	}
	drv_vq_release(q, idx, k);
	check(d, id == idx[0] && len == 0, "hostile TX chain fails alone: %s", what);
}

static uint16_t next_seq = 9000;

/* A ping at slot whose reply must never come: the chain around it is bad. */
static uint32_t put_ping(struct drv *d, uint64_t slot, struct virtio_net_hdr_v1 h)
{
	uint8_t *p = drv_gpa(&d->mem, slot);
	uint16_t cs, co;
	size_t len = pkt_icmp_echo(p + d->hdr_len, &d->me, &d->host, PING_ID, next_seq++,
				   56, false, &cs, &co);

	memcpy(p, &h, d->hdr_len);
	return (uint32_t)(d->hdr_len + len);
}

static void desc(struct virtq_desc *x, uint64_t a, uint32_t l, uint16_t flags, uint16_t next)
{
	*x = (struct virtq_desc){ a, l, flags, next };
}

static void mk_writable(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	desc(x[0], s, put_ping(d, s, (struct virtio_net_hdr_v1){ 0 }), VIRTQ_DESC_F_NEXT, i[1]);
	desc(x[1], s + 4096, 16, VIRTQ_DESC_F_WRITE, 0);
}

static void mk_short(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	(void)i;
	put_ping(d, s, (struct virtio_net_hdr_v1){ 0 });
	desc(x[0], s, 8, 0, 0);
}

static void mk_runt(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	(void)i;
	put_ping(d, s, (struct virtio_net_hdr_v1){ 0 });
	desc(x[0], s, d->hdr_len + 13, 0, 0);
}

static void mk_flags(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	(void)i;
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	desc(x[0], s, put_ping(d, s, h), 0, 0);
}

static void mk_gso_udp(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	(void)i;
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 100,
				       .hdr_len = 42, .csum_start = 34, .csum_offset = 6 };
	desc(x[0], s, put_ping(d, s, h), 0, 0);
}

static void mk_csum_out(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	(void)i;
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .csum_start = 98, .csum_offset = 1 };
	desc(x[0], s, put_ping(d, s, h), 0, 0);
}

static void mk_huge(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	put_ping(d, s, (struct virtio_net_hdr_v1){ 0 });
	desc(x[0], s, 35006, VIRTQ_DESC_F_NEXT, i[1]);
	desc(x[1], s + 35006, 35006, 0, 0);
}

static void mk_outside(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	put_ping(d, s, (struct virtio_net_hdr_v1){ 0 });
	desc(x[0], s, d->hdr_len, VIRTQ_DESC_F_NEXT, i[1]);
	desc(x[1], 0x80000000ULL, 98, 0, 0);
}

static void mk_loop(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	put_ping(d, s, (struct virtio_net_hdr_v1){ 0 });
	desc(x[0], s, d->hdr_len, VIRTQ_DESC_F_NEXT, i[1]);
	desc(x[1], s + d->hdr_len, 98, VIRTQ_DESC_F_NEXT, i[0]);
}

static void mk_bad_next(struct drv *d, struct virtq_desc **x, uint16_t *i, uint64_t s)
{
	(void)i;
	put_ping(d, s, (struct virtio_net_hdr_v1){ 0 });
	desc(x[0], s, d->hdr_len, VIRTQ_DESC_F_NEXT, (uint16_t)(d->qsize + 5));
}

static bool is_hostile_reply(struct drv *d, const uint8_t *f, long n, const void *arg)
{
	(void)d;
	(void)arg;
	for (uint16_t s = 9000; s < next_seq; s++)
		if (pkt_is_echo_reply(f, (size_t)n, PING_ID, s, 56))
			return true;
	return false;
}

static void hostile_rx(struct drv *d)
{
	struct drv_vq *rx = &d->pq[0].rx;
	uint16_t id;
	uint32_t len;

	/* Use up every posted buffer, then post two unusable ones and a
	 * good one: the frame lands in the good one. */
	d->no_refill = true;
	inject_seq(d, 5000, d->qsize, 100);
	recv_seq(d, 5000, d->qsize);
	while (rx->last_used != __atomic_load_n(&rx->used->idx, __ATOMIC_ACQUIRE))
		recv_frame(d, 0, frame_buf, 100, NULL);
	struct drv_buf ro = { d->pq[0].rx_base, 2048, false };
	struct drv_buf tiny = { d->pq[0].rx_base + 4096, 4, true };
	int bad1 = drv_vq_add(rx, &ro, 1, 0);
	int bad2 = drv_vq_add(rx, &tiny, 1, 0);
	int good = drv_vq_add(rx, &(struct drv_buf){ d->pq[0].rx_base + 8192, d->rx_buf_len,
						     true }, 1, 0);
	drv_vq_kick(rx);
	inject_seq(d, 6000, 1, 100);
	int64_t deadline = now_ms() + d->timeout_ms;
	int ok = 0;
	for (int n = 0; n < 3; n++) {
		while (!drv_vq_get_used(rx, &id, &len)) {
			if (now_ms() >= deadline)
				die(EXIT_GONE, "hostile RX buffers never completed");
			wait_calls(d, deadline);
		}
		ok += (id == bad1 && len == 0) || (id == bad2 && len == 0) ||
		      (id == good && len == d->hdr_len + 100 &&
		       pkt_test_seq((uint8_t *)drv_gpa(&d->mem, d->pq[0].rx_base + 8192) +
				    d->hdr_len, 100) == 6000);
	}
	check(d, ok == 3, "RX buffers that are device-readable or smaller than a header "
	      "are returned empty; the frame takes the next good one");
	d->no_refill = false;
	rx_fill(d, 0);
}

static void test_hostile(struct drv *d)
{
	hostile_tx(d, "device-writable descriptor", 2, mk_writable);
	hostile_tx(d, "chain shorter than the header", 1, mk_short);
	hostile_tx(d, "13-byte frame", 1, mk_runt);
	hostile_tx(d, "DATA_VALID flag on transmit", 1, mk_flags);
	hostile_tx(d, "UDP segmentation (never offered)", 1, mk_gso_udp);
	hostile_tx(d, "checksum offset past the frame", 1, mk_csum_out);
	hostile_tx(d, "70000-byte frame", 2, mk_huge);
	hostile_tx(d, "buffer outside guest memory", 2, mk_outside);
	hostile_tx(d, "descriptor loop", 2, mk_loop);
	hostile_tx(d, "next index beyond the table", 1, mk_bad_next);
	/* Had any of those pings reached the TAP, the kernel would answer. */
	check(d, recv_match(d, -1, is_hostile_reply, NULL, 500, NULL) < 0,
	      "none of the hostile frames reached the TAP");
	hostile_rx(d);
	check(d, ping(d, 0, 20, 100, false, 1), "the card still serves after hostile chains");
	if (d->card_pid > 0)
		check(d, kill(d->card_pid, 0) == 0, "card process alive");
}

/* ---- multiqueue ---- */

static void test_mq(struct drv *d)
{
	unsigned per[MAX_PAIRS], used = 0;
	uint16_t v;

	if (d->nr_pairs < 2 || !d->has_ctrl)
		die(2, "mq needs --queues 2 or more and a control queue");
	v = 0;
	check(d, ctrl_cmd(d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2) ==
	      VIRTIO_NET_ERR, "VQ_PAIRS_SET 0 refused");
	v = (uint16_t)(d->max_pairs + 1);
	check(d, ctrl_cmd(d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2) ==
	      VIRTIO_NET_ERR, "VQ_PAIRS_SET %u (more than offered) refused", v);
	v = (uint16_t)d->nr_pairs;
	check(d, ctrl_cmd(d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2) ==
	      VIRTIO_NET_OK, "VQ_PAIRS_SET %u accepted", v);
	unsigned got = rx_spread(d, per);
	for (unsigned i = 0; i < d->nr_pairs; i++)
		used += per[i] > 0;
	check(d, got == 128 && used >= 2, "128 flows arrive on %u of %u pairs", used,
	      d->nr_pairs);
	for (unsigned i = 1; i < d->nr_pairs; i++)
		check(d, ping(d, i, (uint16_t)(30 + i), 200, false, 2),
		      "ping sent on pair %u answered", i);
	v = 1;
	check(d, ctrl_cmd(d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2) ==
	      VIRTIO_NET_OK, "VQ_PAIRS_SET 1 accepted");
	got = rx_spread(d, per);
	check(d, got == 128 && per[0] == 128, "with one pair in use every flow arrives on "
	      "pair 0 (%u of %u)", per[0], got);
}

static bool card_fd_ok(int fd, const char *t)
{
	return fd == 2 || !strncmp(t, "socket:", 7) || !strcmp(t, "anon_inode:[eventfd]") ||
	       !strcmp(t, "/dev/net/tun") || !strcmp(t, "/dev/null");
}

/* A guest that keeps its control ring full of chains costly to refuse
 * and never stops (drv_flood.h): the card still answers that ring's stop
 * at once, as a pause for a snapshot needs. */
static void test_flood(struct drv *d)
{
	char how[160];

	if (!d->has_ctrl) {
		printf("flood: no control ring negotiated: not tried\n");
		return;
	}
	unsigned idx = ctrl_vring(d);
	bool ok = drv_flood_stop_rings(&d->fe, &d->ctrl, drv_costly_bad_chain(&d->ctrl, &d->mem),
				       &idx, 1, how, sizeof(how));
	check(d, ok, "flood: the control ring's stop is answered while the guest keeps it full "
	      "(%s)", how);
}

static void test_fds(struct drv *d)
{
	unsigned n;

	if (d->card_pid <= 0)
		die(2, "the fds test needs a card the driver started");
	unsigned bad = drv_card_bad_fds(d->card_pid, card_fd_ok, &n);
	check(d, n > 0 && !bad, "card holds %u fds, none unexpected", n);
	check(d, drv_card_seccomp(d->card_pid), "card runs under a seccomp filter");
}

/* azote's counters as the card keeps them in its stats page. */
static void test_stats(struct drv *d)
{
	const struct card_stats *cs = drv_card_stats();
	uint8_t f[200];

	if (!cs)
		die(2, "the stats test needs a card given --stats-fd {stats}");
	const struct card_net_stats *s = &cs->net;
	uint64_t tx0 = card_stat_read(&s->tx_packets), txb0 = card_stat_read(&s->tx_bytes);
	uint64_t rx0 = card_stat_read(&s->rx_packets), rxb0 = card_stat_read(&s->rx_bytes);
	uint64_t txf0 = card_stat_read(&s->tx_fails);

	for (uint16_t i = 0; i < 10; i++)
		ping(d, 0, (uint16_t)(200 + i), 100, false, 1);
	/* One frame the card refuses. */
	struct virtio_net_hdr_v1 bad = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	tx_wait(d, 0, send_frame(d, 0, &bad, f, pkt_test_frame(f, d->host.mac, d->me.mac, 0, 60), 1));
	/* Receive counts follow the frame's publication by a moment. */
	for (int i = 0; i < 100 && card_stat_read(&s->rx_packets) - rx0 < 10; i++)
		usleep(10000);
	uint64_t tx = card_stat_read(&s->tx_packets) - tx0, txb = card_stat_read(&s->tx_bytes) - txb0;
	uint64_t rx = card_stat_read(&s->rx_packets) - rx0, rxb = card_stat_read(&s->rx_bytes) - rxb0;
	/* 10 echo requests and replies of 142 bytes, maybe some ARP. */
	check(d, tx >= 10 && tx <= 12 && txb >= 1420, "stats page: %llu frames, %llu bytes sent",
	      (unsigned long long)tx, (unsigned long long)txb);
	check(d, rx >= 10 && rx <= 12 && rxb >= 1420, "stats page: %llu frames, %llu bytes received",
	      (unsigned long long)rx, (unsigned long long)rxb);
	check(d, card_stat_read(&s->tx_fails) - txf0 == 1, "stats page: the refused frame is a tx_fail");
}

/* ---- benchmarks ---- */

/* A MAC nobody has: the host drops frames to it at once, so that sending
 * measures the card, not the host's stack. */
static const uint8_t nobody[6] = { 0x02, 0, 0, 0, 0, 0x99 };

/* Waits until every TX chain of pair 0 has completed. */
static void tx_drain(struct drv *d)
{
	while (d->pq[0].nr_tx_free < TX_SLOTS)
		if (!tx_reclaim(d, 0))
			wait_calls(d, now_ms() + d->timeout_ms);
}

static void bench_tx(struct drv *d, unsigned secs, size_t size)
{
	uint8_t f[1600];
	struct virtio_net_hdr_v1 h = { 0 };
	uint64_t before = tap_stat(d, "rx_packets"), calls = d->calls, sent = 0;
	int64_t start = now_ms(), end = start + secs * 1000LL;

	size_t len = pkt_test_frame(f, nobody, d->me.mac, 0, size);
	while (now_ms() < end) {
		send_frame(d, 0, &h, f, len, 1);
		sent++;
	}
	tx_drain(d);
	double s = (now_ms() - start) / 1000.0;
	uint64_t arrived = tap_stat(d, "rx_packets") - before;
	printf("bench: TX %4zu-byte frames: %8.0f frames/s %7.1f MB/s (%llu sent, %llu on "
	       "the TAP, %.3f interrupts/frame)\n", size, sent / s, sent * size / s / 1e6,
	       (unsigned long long)sent, (unsigned long long)arrived,
	       (double)(d->calls - calls) / (double)sent);
	check(d, arrived == sent, "TX bench: every frame reached the TAP");
}

struct flooder {
	struct drv *d;
	size_t size;
	bool paced;          /* a batch a millisecond at most, not flat out */
	volatile bool stop;
	uint64_t sent;
};

static void *flood(void *arg)
{
	struct flooder *fl = arg;
	struct mmsghdr m[64];
	struct iovec iov[64];
	uint8_t f[64][1600];

	for (int i = 0; i < 64; i++) {
		iov[i] = (struct iovec){ f[i], pkt_test_frame(f[i], fl->d->me.mac,
							      fl->d->host.mac, (uint32_t)i,
							      fl->size) };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (!fl->stop) {
		int n = sendmmsg(fl->d->pkt_fd, m, 64, 0);
		if (n > 0)
			fl->sent += (uint64_t)n;
		if (fl->paced)
			usleep(1000);
		else if (n <= 0)
			sched_yield();
	}
	return NULL;
}

static void bench_rx(struct drv *d, unsigned secs, size_t size)
{
	struct flooder fl = { d, size, false, false, 0 };
	uint64_t dropped = tap_stat(d, "tx_dropped"), got = 0, calls = d->calls;
	pthread_t t;

	pthread_create(&t, NULL, flood, &fl);
	int64_t start = now_ms(), end = start + secs * 1000LL;
	while (now_ms() < end)
		if (recv_frame(d, -1, frame_buf, 100, NULL) >= 0)
			got++;
	fl.stop = true;
	pthread_join(t, NULL);
	while (recv_frame(d, -1, frame_buf, 200, NULL) >= 0)
		got++;
	double s = (now_ms() - start) / 1000.0;
	printf("bench: RX %4zu-byte frames: %8.0f frames/s %7.1f MB/s (%llu offered, %llu "
	       "dropped by the host's TAP queue, %.3f interrupts/frame)\n", size, got / s,
	       got * size / s / 1e6, (unsigned long long)fl.sent,
	       (unsigned long long)(tap_stat(d, "tx_dropped") - dropped),
	       got ? (double)(d->calls - calls) / (double)got : 0.0);
}

static void test_bench(struct drv *d, unsigned secs)
{
	bench_tx(d, secs, 60);
	bench_tx(d, secs, 1514);
	bench_rx(d, secs, 60);
	bench_rx(d, secs, 1514);
}

/* ---- rates, for the rate limiters ---- */

/* The card's count of throttle events (rx or tx), 0 without a page. */
static uint64_t throttled(bool rx)
{
	const struct card_stats *cs = drv_card_stats();

	if (!cs)
		return 0;
	return card_stat_read(rx ? &cs->net.rx_rate_limiter_throttled
				 : &cs->net.tx_rate_limiter_throttled);
}

static void print_rate(struct drv *d, const struct drv_rate *m, bool rx, size_t size,
		       uint64_t throttled_before)
{
	char desc[96];

	snprintf(desc, sizeof(desc), "%zu-byte frames %s, %u-byte header", size,
		 rx ? "received" : "sent", d->hdr_len);
	drv_rate_print(m, rx ? "rx-rate" : "tx-rate", desc, d->hdr_len + size);
	if (drv_card_stats())
		printf("%s: the card was throttled %llu times\n", rx ? "rx-rate" : "tx-rate",
		       (unsigned long long)(throttled(rx) - throttled_before));
}

/* Frames sent on pair 0 as fast as the card takes them. */
static void tx_rate(struct drv *d, unsigned secs, unsigned warmup_ms, size_t size)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint64_t before = throttled(false), sent = 0;
	struct drv_rate m;
	uint8_t f[1600];

	size_t len = pkt_test_frame(f, nobody, d->me.mac, 0, size);
	drv_rate_start(&m, warmup_ms, secs);
	do {
		send_frame(d, 0, &h, f, len, 1);
		sent++;
		/* Completed: sent, less the chains still in the card's hands. */
	} while (drv_rate_note(&m, sent - (TX_SLOTS - d->pq[0].nr_tx_free)));
	tx_drain(d);
	print_rate(d, &m, false, len, before);
}

/* Frames from the TAP side (a batch a millisecond, far more than the
 * limits tested), received as fast as the card delivers them; the rest
 * wait in, then overflow, the TAP's queue. */
static void rx_rate(struct drv *d, unsigned secs, unsigned warmup_ms, size_t size)
{
	struct flooder fl = { d, size, true, false, 0 };
	uint64_t before = throttled(true), got = 0;
	struct drv_rate m;
	pthread_t t;

	pthread_create(&t, NULL, flood, &fl);
	drv_rate_start(&m, warmup_ms, secs);
	do {
		if (recv_frame(d, -1, frame_buf, 100, NULL) >= 0)
			got++;
	} while (drv_rate_note(&m, got));
	fl.stop = true;
	pthread_join(t, NULL);
	while (recv_frame(d, -1, frame_buf, 200, NULL) >= 0)
		;
	print_rate(d, &m, true, size, before);
}

/* Pings until the back-end disappears (wait_calls exits 3). */
static void crash(struct drv *d)
{
	fprintf(stderr, "crash: running\n");
	for (uint16_t seq = 0;; seq++)
		ping(d, 0, seq, 56, false, 1);
}

/* ---- setup ---- */

static void tap_side(struct drv *d)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	d->ifindex = (int)if_nametoindex(d->tap);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->tap);
	if (!d->ifindex || s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die(2, "TAP %s not found in this network namespace", d->tap);
	close(s);
	memcpy(d->host.mac, ifr.ifr_hwaddr.sa_data, 6);
	d->host.ip = inet_addr("10.77.0.1");
	d->me.ip = inet_addr("10.77.0.2");
	d->pkt_fd = pkt_open(d, false);
}

static void setup(struct drv *d, uint64_t drop)
{
	struct virtio_net_config c;
	struct azerr e;

	bool log = d->log_fd >= 0;

	if (vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES |
			    (log ? 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD : 0), &e) ||
	    vu_fe_get_queue_num(&d->fe, &d->max_pairs, &e) ||
	    vu_fe_get_config(&d->fe, 0, &c, 12, &e))
		die(2, "%s", e.msg);
	if (log && (!d->fe.can_log ||
		    !(d->fe.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD))))
		die(2, "back-end does not offer dirty logging (VHOST_F_LOG_ALL, LOG_SHMFD)");
	d->features = d->fe.features & ~drop;
	if (d->nr_pairs > d->max_pairs || d->nr_pairs > MAX_PAIRS ||
	    (d->nr_pairs > 1 && !has(d, VIRTIO_NET_F_MQ)))
		die(2, "%u pairs asked, back-end has %u", d->nr_pairs, d->max_pairs);
	if (d->nr_pairs == 1)
		d->features &= ~(F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ));
	d->has_ctrl = has(d, VIRTIO_NET_F_CTRL_VQ);
	d->hdr_len = has(d, VIRTIO_F_VERSION_1) || has(d, VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10;
	d->mrg = has(d, VIRTIO_NET_F_MRG_RXBUF);
	/* Linux's choices: small buffers, big ones for TSO, or mergeable. */
	d->rx_buf_len = d->mrg ? 2048 : has(d, VIRTIO_NET_F_GUEST_TSO4) ||
		has(d, VIRTIO_NET_F_GUEST_TSO6) ? 12 + 65550 : d->hdr_len + 1514;
	if ((uint64_t)d->qsize * d->rx_buf_len * d->nr_pairs > (30ULL << 20))
		die(2, "%u buffers of %u bytes per pair do not fit the test memory",
		    d->qsize, d->rx_buf_len);
	memcpy(d->me.mac, c.mac, 6);
	d->mtu = has(d, VIRTIO_NET_F_MTU) ? c.mtu : 0;
	if (vu_fe_set_features(&d->fe, d->features | (log ? F(VHOST_F_LOG_ALL) : 0), &e))
		die(2, "%s", e.msg);
	if (drv_mem_init(&d->mem))
		die(2, "guest memory: %s", strerror(errno));
	if (drv_set_mem_table(&d->fe, &d->mem, &e))
		die(2, "%s", e.msg);
	if (log && vu_fe_set_log_base(&d->fe, d->log_fd, d->log_bytes, &e))
		die(2, "%s", e.msg);
	bool ev = has(d, VIRTIO_RING_F_EVENT_IDX);
	d->pq = calloc(MAX_PAIRS, sizeof(*d->pq));
	for (unsigned i = 0; i < d->nr_pairs; i++) {
		struct pairq *q = &d->pq[i];
		if (drv_vq_init(&q->rx, &d->mem, d->qsize, ev) ||
		    drv_vq_init(&q->tx, &d->mem, d->qsize, ev))
			die(2, "rings: %s", strerror(errno));
		q->rx_base = drv_alloc(&d->mem, (uint64_t)d->qsize * d->rx_buf_len, 4096, true);
		for (unsigned s = 0; s < TX_SLOTS; s++) {
			q->tx_slot[s] = drv_alloc(&d->mem, TX_SLOT_LEN, 4096, false);
			q->tx_itable[s] = drv_alloc(&d->mem, 16 * sizeof(struct virtq_desc), 16, false);
			q->tx_free[q->nr_tx_free++] = (int)s;
		}
		for (unsigned h = 0; h < VIRTQ_MAX_SIZE; h++)
			q->tx_head_slot[h] = -1;
		vring_start(d, 2 * i, &q->rx, 0);
		vring_start(d, 2 * i + 1, &q->tx, 0);
	}
	if (d->has_ctrl) {
		if (drv_vq_init(&d->ctrl, &d->mem, 64, ev))
			die(2, "rings: %s", strerror(errno));
		d->ctrl_buf = drv_alloc(&d->mem, 4096, 4096, false);
		vring_start(d, ctrl_vring(d), &d->ctrl, 0);
	}
	for (unsigned i = 0; i < d->nr_pairs; i++)
		rx_fill(d, i);
	tap_side(d);
}

static void teardown(struct drv *d)
{
	struct azerr e;
	uint16_t base;

	for (unsigned i = 0; i < d->nr_pairs; i++) {
		struct pairq *q = &d->pq[i];
		/* Receive buffers the card did not fill stay the driver's. */
		if (vu_fe_vring_stop(&d->fe, 2 * i, &base, &e))
			die(EXIT_GONE, "%s", e.msg);
		check(d, base == q->rx.used->idx, "pair %u: RX base %u = %u buffers used", i,
		      base, q->rx.used->idx);
		if (vu_fe_vring_stop(&d->fe, 2 * i + 1, &base, &e))
			die(EXIT_GONE, "%s", e.msg);
		check(d, base == q->tx.avail_idx, "pair %u: TX base %u = %u posted", i,
		      base, q->tx.avail_idx);
	}
	if (vu_fe_reset(&d->fe, &e))
		die(EXIT_GONE, "%s", e.msg);
}

int main(int argc, char **argv)
{
	static struct drv d;
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "tap", required_argument, NULL, 'T' },
		{ "queues", required_argument, NULL, 'q' },
		{ "qsize", required_argument, NULL, 'Q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "bench-seconds", required_argument, NULL, 'b' },
		{ "bench-size", required_argument, NULL, 'z' },
		{ "warmup-ms", required_argument, NULL, 'w' },
		{ "load-frames", required_argument, NULL, 'L' },
		{ "no-mrg", no_argument, NULL, 'm' },
		{ "no-guest-tso", no_argument, NULL, 'g' },
		{ "no-csum", no_argument, NULL, 'c' },
		{ "legacy", no_argument, NULL, 'l' },
		{ "no-event-idx", no_argument, NULL, 'e' },
		{ "dirty-log", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL;
	unsigned bench_secs = 2, load_frames = 20000, bench_size = 1514, warmup_ms = 1000;
	uint64_t drop = 0;
	int c;

	d.nr_pairs = 1;
	d.qsize = 256;
	d.timeout_ms = 5000;
	d.log_fd = -1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'T': d.tap = optarg; break;
		case 'q': d.nr_pairs = (unsigned)atoi(optarg); break;
		case 'Q': d.qsize = (unsigned)atoi(optarg); break;
		case 't': d.timeout_ms = atoi(optarg); break;
		case 'b': bench_secs = (unsigned)atoi(optarg); break;
		case 'z': bench_size = (unsigned)atoi(optarg); break;
		case 'w': warmup_ms = (unsigned)atoi(optarg); break;
		case 'L': load_frames = (unsigned)atoi(optarg); break;
		case 'm': drop |= F(VIRTIO_NET_F_MRG_RXBUF); break;
		case 'D': dirty_log_init(&d); break;
		case 'g': drop |= F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6); break;
		case 'c':
			/* Segmentation offloads depend on checksum offload. */
			drop |= F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
				F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
				F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6);
			break;
		case 'l': drop |= F(VIRTIO_F_VERSION_1); break;
		case 'e': drop |= F(VIRTIO_RING_F_EVENT_IDX); break;
		default: die(2, "bad arguments");
		}
	}
	if (!d.tap || d.qsize < 8 || d.qsize > 1024 || (d.qsize & (d.qsize - 1)))
		die(2, "give --tap NAME; --qsize is a power of 2 in 8..1024");
	if (bench_size < 60 || bench_size > 1514)
		die(2, "--bench-size: 60..1514 bytes");
	char **tests = argv + optind;
	signal(SIGPIPE, SIG_IGN);
	char **card = drv_card_argv(tests);
	d.card_pid = drv_connect(&d.fe, card, socket_path, d.timeout_ms);
	setup(&d, drop);
	for (char **t = tests; *t; t++) {
		printf("== %s\n", *t);
		fflush(stdout);
		if (!strcmp(*t, "config")) test_config(&d);
		else if (!strcmp(*t, "echo")) test_echo(&d);
		else if (!strcmp(*t, "tx-indirect")) test_tx_indirect(&d);
		else if (!strcmp(*t, "mtu")) test_mtu(&d);
		else if (!strcmp(*t, "tso")) test_tso(&d);
		else if (!strcmp(*t, "rx-gso")) test_rx_gso(&d);
		else if (!strcmp(*t, "inject")) test_inject(&d);
		else if (!strcmp(*t, "backpressure")) test_backpressure(&d);
		else if (!strcmp(*t, "load")) test_load(&d, load_frames);
		else if (!strcmp(*t, "hostile")) test_hostile(&d);
		else if (!strcmp(*t, "mq")) test_mq(&d);
		else if (!strcmp(*t, "mq-resume")) test_mq_resume(&d);
		else if (!strcmp(*t, "mq-reset")) test_mq_reset(&d);
		else if (!strcmp(*t, "mq-restore")) test_mq_restore(&d, card);
		else if (!strcmp(*t, "fds")) test_fds(&d);
		else if (!strcmp(*t, "flood")) test_flood(&d);
		else if (!strcmp(*t, "stats")) test_stats(&d);
		else if (!strcmp(*t, "bench")) test_bench(&d, bench_secs);
		else if (!strcmp(*t, "tx-rate")) tx_rate(&d, bench_secs, warmup_ms, bench_size);
		else if (!strcmp(*t, "rx-rate")) rx_rate(&d, bench_secs, warmup_ms, bench_size);
		else if (!strcmp(*t, "crash")) crash(&d);
		else if (!strcmp(*t, "dirtylog")) test_dirtylog(&d);
		else die(2, "unknown test %s", *t);
	}
	if (d.log)
		check(&d, !d.log_missing, "--dirty-log: every page of every buffer received "
		      "in the run was marked (%u not)", d.log_missing);
	teardown(&d);
	vu_fe_close(&d.fe);
	if (d.card_pid > 0) {
		int status;
		waitpid(d.card_pid, &status, 0);
		check(&d, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "card exits cleanly when the front-end goes away (status 0x%x)", status);
	}
	printf("%d failed\n", d.failures);
	return d.failures ? 1 : 0;
}
