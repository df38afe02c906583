/* vuvsock-drv: a host-only test driver for the vsock card. Like
 * vublk-drv it is a hypervisor and a guest driver in one process: azote's
 * vhost-user front-end sets the card up over a memfd as guest memory, and
 * the driver plays the guest's virtio-vsock driver on the three rings
 * while it plays the host's programs on the Unix sockets.
 *
 *   vuvsock-drv --uds PATH [--cid N] [--timeout MS] [--base N] [--rx-buf N] TEST... -- CARD ARGS...
 *
 * The card is started as azote does ("{fd}", "{stats}" as vublk-drv).
 * --base N hands it rings at index N, as after a snapshot's restore;
 * --rx-buf N offers receive buffers of N bytes (44 to 4140, default 4140).
 * Tests: resume (first) config host-connect connect-line host-refused
 * guest-connect guest-refused credit overrun drain hup quiet idle-host
 * host-leaves rst-owed hostile seccomp stats reset takeover (with --base:
 * the card's TRANSPORT_RESET first) header-only (with --rx-buf 44) flood
 * (last). Prints one line per check; exits 0 when all pass, 1 on a failed
 * check, 2 on a setup error. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "cards/vsock/conn.h"
#include "cards/vsock/device.h"
#include "cards/vsock/pkt.h"
#include "drv_card.h"
#include "drv_flood.h"
#include "drv_report.h"
#include "drv_ring.h"
#include "vmm/vhost_frontend.h"
#include "virtio/virtio.h"

#define QSIZE      128
#define RX_BUF     (VSOCK_HDR_SIZE + 4096)
#define TX_PAYLOAD VSOCK_MAX_PAYLOAD
#define GUEST_BUF  (256u << 10)   /* the guest's buf_alloc unless a test says */
#define EVT_BUFS   8              /* posted on the event ring, as Linux does */

struct drv {
	struct vu_frontend fe;
	struct drv_mem mem;
	struct drv_vq rx, tx, evt;
	uint64_t rx_bufs, tx_hdr, tx_data, evt_bufs;
	uint16_t rx_head_buf[VIRTQ_MAX_SIZE];
	uint64_t cid;
	uint16_t base;            /* the rings' first index */
	uint32_t rx_len;          /* bytes of each receive buffer offered (RX_BUF at most) */
	const char *uds;
	int timeout_ms;
	bool quiet;               /* receive buffers go back without a kick */
	bool hold;                /* receive buffers are kept, not given back */
	uint16_t held[QSIZE];     /* their slots */
	unsigned nr_held;
	pid_t card_pid;
	int failures;
};

/* --- the guest's rings ---------------------------------------------- */

static void rx_post(struct drv *d, unsigned slot)
{
	struct drv_buf b = { d->rx_bufs + (uint64_t)slot * RX_BUF, d->rx_len, true };
	int head = drv_vq_add(&d->rx, &b, 1, 0);

	if (head < 0)
		drv_die(2, "rx ring full");
	d->rx_head_buf[head] = (uint16_t)slot;
}

/* Waits up to ms for the card's next packet; its payload (up to 4096
 * bytes) into data. The buffer goes back to the ring. */
static bool rx_get(struct drv *d, struct vsock_hdr *h, uint8_t *data, int ms)
{
	uint64_t end = drv_now_ms() + (uint64_t)ms;
	uint16_t id;
	uint32_t len;

	for (;;) {
		if (drv_vq_get_used(&d->rx, &id, &len)) {
			unsigned slot = d->rx_head_buf[id];
			uint8_t *p = drv_gpa(&d->mem, d->rx_bufs + (uint64_t)slot * RX_BUF);

			if (len < VSOCK_HDR_SIZE)
				drv_die(1, "rx: used length %u", len);
			vsock_hdr_decode(p, h);
			if (len != VSOCK_HDR_SIZE + h->len)
				drv_die(1, "rx: used length %u for a %u-byte payload", len, h->len);
			if (data)
				memcpy(data, p + VSOCK_HDR_SIZE, h->len);
			if (d->hold) {
				d->held[d->nr_held++] = (uint16_t)slot;
				return true;
			}
			rx_post(d, slot);
			if (!d->quiet)
				drv_vq_kick(&d->rx);
			return true;
		}
		uint64_t t = drv_now_ms();
		if (t >= end)
			return false;
		struct pollfd p = { d->rx.callfd, POLLIN, 0 };
		uint64_t v;
		if (poll(&p, 1, (int)(end - t < 20 ? end - t : 20)) > 0)
			(void)!read(d->rx.callfd, &v, sizeof(v));
	}
}

/* Sends one packet: a descriptor for the header, one for the payload
 * (chain_len bytes of it offered, h->len claimed), then waits for the
 * card to give the chain back. */
static void tx_raw(struct drv *d, const struct vsock_hdr *h, const void *payload,
		   uint32_t chain_len, uint32_t hdr_len)
{
	struct drv_buf b[2] = {
		{ d->tx_hdr, hdr_len, false }, { d->tx_data, chain_len, false },
	};
	uint64_t end = drv_now_ms() + (uint64_t)d->timeout_ms;
	uint16_t id;
	uint32_t len;

	vsock_hdr_encode(h, drv_gpa(&d->mem, d->tx_hdr));
	if (payload && chain_len)
		memcpy(drv_gpa(&d->mem, d->tx_data), payload, chain_len);
	if (drv_vq_add(&d->tx, b, chain_len ? 2 : 1, 0) < 0)
		drv_die(2, "tx ring full");
	drv_vq_kick(&d->tx);
	while (!drv_vq_get_used(&d->tx, &id, &len)) {
		if (drv_now_ms() > end)
			drv_die(1, "tx: the card did not complete a packet in %d ms", d->timeout_ms);
		struct pollfd p = { d->tx.callfd, POLLIN, 0 };
		uint64_t v;
		if (poll(&p, 1, 20) > 0)
			(void)!read(d->tx.callfd, &v, sizeof(v));
	}
}

static struct vsock_hdr mk(struct drv *d, uint32_t src_port, uint32_t dst_port, uint16_t op,
			   uint32_t len)
{
	return (struct vsock_hdr){ .src_cid = d->cid, .dst_cid = VSOCK_HOST_CID,
				   .src_port = src_port, .dst_port = dst_port, .len = len,
				   .type = VSOCK_TYPE_STREAM, .op = op, .buf_alloc = GUEST_BUF };
}

static void tx(struct drv *d, struct vsock_hdr h, const void *payload)
{
	tx_raw(d, &h, payload, h.len, VSOCK_HDR_SIZE);
}

/* The next packet, which must be op between the two ports. */
static bool expect(struct drv *d, uint16_t op, uint32_t host_port, uint32_t guest_port,
		   struct vsock_hdr *h, uint8_t *data, const char *what)
{
	struct vsock_hdr tmp;

	if (!h)
		h = &tmp;
	if (!rx_get(d, h, data, d->timeout_ms)) {
		drv_check(&d->failures, false, "%s: no %s within %d ms", what, vsock_op_name(op), d->timeout_ms);
		return false;
	}
	bool ok = h->op == op && h->src_cid == VSOCK_HOST_CID && h->dst_cid == d->cid &&
		  (host_port == UINT32_MAX || h->src_port == host_port) &&
		  h->dst_port == guest_port && h->type == VSOCK_TYPE_STREAM;
	drv_check(&d->failures, ok, "%s: %s %u -> %u (got %s %u -> %u)", what, vsock_op_name(op), host_port,
	      guest_port, vsock_op_name(h->op), h->src_port, h->dst_port);
	return ok;
}

static void expect_nothing(struct drv *d, int ms, const char *what)
{
	struct vsock_hdr h;
	bool got = rx_get(d, &h, NULL, ms);

	drv_check(&d->failures, !got, "%s: nothing for %d ms%s%s", what, ms, got ? ", got " : "",
	      got ? vsock_op_name(h.op) : "");
}

/* After a test closed its host sockets: answers each SHUTDOWN the card
 * sends for them with RST, as the guest's close() does, until the card
 * is quiet, so that no RST its timeout would send later reaches the next
 * test. */
static void settle(struct drv *d)
{
	struct vsock_hdr h;

	while (rx_get(d, &h, NULL, 300))
		if (h.op == VSOCK_OP_SHUTDOWN)
			tx(d, mk(d, h.dst_port, h.src_port, VSOCK_OP_RST, 0), NULL);
}

/* --- the host's programs -------------------------------------------- */

static int host_connect(struct drv *d)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", d->uds);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		drv_die(2, "connect %s: %s", d->uds, strerror(errno));
	return fd;
}

static int host_listen(struct drv *d, uint32_t port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", d->uds, port);
	unlink(a.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0)
		drv_die(2, "listen %s: %s", a.sun_path, strerror(errno));
	/* The card may run as another uid. */
	chmod(a.sun_path, 0777);
	return fd;
}

/* Reads exactly len bytes within the timeout; returns how many came. */
static size_t host_read(struct drv *d, int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, d->timeout_ms) <= 0)
			break;
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* How many of the n host sockets fds reach EOF (or a reset) by end
 * (ms, drv_now_ms's). */
static unsigned host_eofs(const int *fds, unsigned n, uint64_t end)
{
	unsigned got = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t now = drv_now_ms();
		struct pollfd p = { fds[i], POLLIN, 0 };
		char c;

		if (poll(&p, 1, now < end ? (int)(end - now) : 0) > 0 && read(fds[i], &c, 1) <= 0)
			got++;
	}
	return got;
}

/* Whether fd reaches EOF (or a reset) within the timeout. */
static bool host_eof(struct drv *d, int fd)
{
	return host_eofs(&fd, 1, drv_now_ms() + (uint64_t)d->timeout_ms) == 1;
}

/* --- tests ---------------------------------------------------------- */

static void test_config(struct drv *d)
{
	uint64_t cid = 0;
	struct azerr e;

	if (vu_fe_get_config(&d->fe, 0, &cid, sizeof(cid), &e))
		drv_die(1, "%s", e.msg);
	drv_check(&d->failures, le64toh(cid) == d->cid, "config space guest_cid %llu (want %llu)",
	      (unsigned long long)le64toh(cid), (unsigned long long)d->cid);
}

/* The host's "CONNECT gport" on a new connection to the card. */
static int host_connect_to(struct drv *d, uint32_t gport)
{
	int fd = host_connect(d);

	dprintf(fd, "CONNECT %u\n", gport);
	return fd;
}

/* The guest answers RESPONSE to the card's REQUEST from hport for the
 * host's connection fd to guest port gport: the host reads its OK. */
static void guest_answers(struct drv *d, int fd, uint32_t gport, uint32_t hport,
			  const char *what)
{
	char line[32], want[32];

	tx(d, mk(d, gport, hport, VSOCK_OP_RESPONSE, 0), NULL);
	snprintf(want, sizeof(want), "OK %u\n", hport);
	size_t n = host_read(d, fd, line, strlen(want));
	line[n] = 0;
	drv_check(&d->failures, !strcmp(line, want), "%s: the host reads '%.*s' (want '%.*s')", what,
	      (int)strcspn(line, "\n"), line, (int)strcspn(want, "\n"), want);
}

/* The guest accepts the card's REQUEST for the host's connection fd to
 * guest port gport: *hport is the port the card assigned. */
static void guest_accepts(struct drv *d, int fd, uint32_t gport, uint32_t *hport,
			  const char *what)
{
	struct vsock_hdr h;

	if (!expect(d, VSOCK_OP_REQUEST, UINT32_MAX, gport, &h, NULL, what))
		return;
	drv_check(&d->failures, h.src_port >= (1u << 30), "%s: the card's port %u is at least 2^30", what,
	      h.src_port);
	*hport = h.src_port;
	guest_answers(d, fd, gport, h.src_port, what);
}

/* A host-initiated connection to guest port gport, accepted by the
 * guest: returns the host socket, *hport the port the card assigned. */
static int host_initiated(struct drv *d, uint32_t gport, uint32_t *hport, const char *what)
{
	int fd = host_connect_to(d, gport);

	guest_accepts(d, fd, gport, hport, what);
	return fd;
}

static void test_host_connect(struct drv *d)
{
	uint8_t buf[4096];
	struct vsock_hdr h;
	uint32_t hport = 0;
	int fd = host_initiated(d, 52, &hport, "host-connect");

	/* Host to guest. */
	(void)!write(fd, "hello guest", 11);
	if (expect(d, VSOCK_OP_RW, hport, 52, &h, buf, "host-connect data"))
		drv_check(&d->failures, h.len == 11 && !memcmp(buf, "hello guest", 11),
		      "host-connect: the guest gets the host's 11 bytes (%u)", h.len);
	/* Guest to host. */
	tx(d, mk(d, 52, hport, VSOCK_OP_RW, 11), "hello host!");
	char got[16] = { 0 };
	drv_check(&d->failures, host_read(d, fd, got, 11) == 11 && !memcmp(got, "hello host!", 11),
	      "host-connect: the host gets the guest's 11 bytes");
	/* The host closes: SHUTDOWN, the guest answers RST, done. */
	close(fd);
	if (expect(d, VSOCK_OP_SHUTDOWN, hport, 52, &h, NULL, "host-connect close"))
		drv_check(&d->failures, h.flags == VSOCK_SHUTDOWN_BOTH, "host-connect: SHUTDOWN flags %u",
		      h.flags);
	tx(d, mk(d, 52, hport, VSOCK_OP_RST, 0), NULL);
	expect_nothing(d, 200, "host-connect after RST");
}

/* Lines a host program written for Firecracker may send: "connect" in
 * any case, other white space, CRLF, words past the port; the bytes
 * right behind the line, in the same write, are the stream's first. */
static void test_connect_line(struct drv *d)
{
	static const char *const lines[] = {
		"connect 60\n", "CONNECT  60\n", "CONNECT 60\r\n", "\tConnect +60 x\n",
	};
	uint8_t buf[4096];
	struct vsock_hdr h;
	char what[32];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		uint32_t hport = 0;
		int fd = host_connect(d);

		snprintf(what, sizeof(what), "connect-line %zu", i);
		dprintf(fd, "%shi", lines[i]);
		guest_accepts(d, fd, 60, &hport, what);
		if (expect(d, VSOCK_OP_RW, hport, 60, &h, buf, what))
			drv_check(&d->failures, h.len == 2 && !memcmp(buf, "hi", 2),
				  "%s: the bytes behind the line reach the guest", what);
		close(fd);
		if (expect(d, VSOCK_OP_SHUTDOWN, hport, 60, NULL, NULL, what))
			tx(d, mk(d, 60, hport, VSOCK_OP_RST, 0), NULL);
	}
}

static void test_host_refused(struct drv *d)
{
	struct vsock_hdr h;
	int fd = host_connect(d);

	dprintf(fd, "CONNECT 53\n");
	if (expect(d, VSOCK_OP_REQUEST, UINT32_MAX, 53, &h, NULL, "host-refused"))
		tx(d, mk(d, 53, h.src_port, VSOCK_OP_RST, 0), NULL);
	drv_check(&d->failures, host_eof(d, fd), "host-refused: the host socket is closed on the guest's RST");
	close(fd);
	/* A line that is not CONNECT: closed, nothing for the guest. */
	fd = host_connect(d);
	(void)!write(fd, "GET / HTTP/1.0\r\n", 16);
	drv_check(&d->failures, host_eof(d, fd), "host-refused: a bad command line closes the socket");
	close(fd);
	expect_nothing(d, 200, "host-refused bad line");
	/* The guest never answers: the card gives up after its timeout. */
	fd = host_connect(d);
	dprintf(fd, "CONNECT 54\n");
	expect(d, VSOCK_OP_REQUEST, UINT32_MAX, 54, &h, NULL, "host-refused silent guest");
	uint64_t t0 = drv_now_ms();
	bool eof = host_eof(d, fd);
	drv_check(&d->failures, eof && drv_now_ms() - t0 >= 1500, "host-refused: closed after %llu ms without "
	      "RESPONSE", (unsigned long long)(drv_now_ms() - t0));
	close(fd);
	expect(d, VSOCK_OP_RST, h.src_port, 54, NULL, NULL, "host-refused timeout RST");
}

/* A guest-initiated connection from gport to host port hport; returns
 * the host's accepted socket, -1 when the card refused it. */
static int guest_initiated(struct drv *d, int lfd, uint32_t gport, uint32_t hport,
			   uint32_t buf_alloc, const char *what)
{
	struct vsock_hdr req = mk(d, gport, hport, VSOCK_OP_REQUEST, 0);

	req.buf_alloc = buf_alloc;
	tx(d, req, NULL);
	if (!expect(d, VSOCK_OP_RESPONSE, hport, gport, NULL, NULL, what))
		return -1;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	drv_check(&d->failures, fd >= 0, "%s: the host accepts on %s_%u", what, d->uds, hport);
	return fd;
}

static void test_guest_connect(struct drv *d)
{
	uint8_t buf[4096];
	struct vsock_hdr h;
	int lfd = host_listen(d, 1234);
	int fd = guest_initiated(d, lfd, 40000, 1234, GUEST_BUF, "guest-connect");

	tx(d, mk(d, 40000, 1234, VSOCK_OP_RW, 5), "ping!");
	char got[8] = { 0 };
	drv_check(&d->failures, host_read(d, fd, got, 5) == 5 && !memcmp(got, "ping!", 5),
	      "guest-connect: the host gets 'ping!'");
	(void)!write(fd, "pong", 4);
	if (expect(d, VSOCK_OP_RW, 1234, 40000, &h, buf, "guest-connect data"))
		drv_check(&d->failures, h.len == 4 && !memcmp(buf, "pong", 4), "guest-connect: the guest gets 'pong'");
	/* The guest says it sends no more: the host reads EOF, can still
	 * write. */
	struct vsock_hdr sh = mk(d, 40000, 1234, VSOCK_OP_SHUTDOWN, 0);
	sh.flags = VSOCK_SHUTDOWN_SEND;
	tx(d, sh, NULL);
	drv_check(&d->failures, host_eof(d, fd), "guest-connect: SHUTDOWN SEND is EOF for the host");
	(void)!write(fd, "late", 4);
	if (expect(d, VSOCK_OP_RW, 1234, 40000, &h, buf, "guest-connect half-closed"))
		drv_check(&d->failures, h.len == 4, "guest-connect: the host still sends after the guest's SEND "
		      "shutdown");
	/* Full close: the card answers RST. */
	sh.flags = VSOCK_SHUTDOWN_BOTH;
	tx(d, sh, NULL);
	expect(d, VSOCK_OP_RST, 1234, 40000, NULL, NULL, "guest-connect close");
	close(fd);
	close(lfd);
}

static void test_guest_refused(struct drv *d)
{
	/* No one listens on <uds>_999. */
	tx(d, mk(d, 40001, 999, VSOCK_OP_REQUEST, 0), NULL);
	expect(d, VSOCK_OP_RST, 999, 40001, NULL, NULL, "guest-refused: no listener");
	/* Data on a connection that does not exist. */
	tx(d, mk(d, 40002, 998, VSOCK_OP_RW, 3), "abc");
	expect(d, VSOCK_OP_RST, 998, 40002, NULL, NULL, "guest-refused: RW without connection");
	/* An RST for nothing is not answered. */
	tx(d, mk(d, 40003, 997, VSOCK_OP_RST, 0), NULL);
	expect_nothing(d, 200, "guest-refused RST for nothing");
}

/* The guest stops reading one connection: the card sends it no more than
 * its credit and asks for more, while a second connection carries on. */
static void test_credit(struct drv *d)
{
	static uint8_t big[64 << 10];
	uint8_t buf[4096];
	struct vsock_hdr h;
	int lfd = host_listen(d, 2000);
	int stuck = guest_initiated(d, lfd, 41000, 2000, 8192, "credit stuck");
	int other = guest_initiated(d, lfd, 41001, 2000, GUEST_BUF, "credit other");
	uint32_t got = 0;
	bool asked = false;

	fcntl(stuck, F_SETFL, O_NONBLOCK);
	memset(big, 'x', sizeof(big));
	(void)!write(stuck, big, sizeof(big));
	while (rx_get(d, &h, buf, 300)) {
		if (h.dst_port != 41000)
			continue;
		if (h.op == VSOCK_OP_RW)
			got += h.len;
		else if (h.op == VSOCK_OP_CREDIT_REQUEST)
			asked = true;
	}
	drv_check(&d->failures, got == 8192, "credit: the stuck guest got exactly its 8192-byte credit (%u)", got);
	drv_check(&d->failures, asked, "credit: the card asked the stuck guest for credit");
	/* The other connection is not held back. */
	tx(d, mk(d, 41001, 2000, VSOCK_OP_RW, 3), "abc");
	char t[4] = { 0 };
	drv_check(&d->failures, host_read(d, other, t, 3) == 3, "credit: another connection still carries data "
	      "to the host");
	(void)!write(other, "xyz", 3);
	if (expect(d, VSOCK_OP_RW, 2000, 41001, &h, buf, "credit other data"))
		drv_check(&d->failures, h.len == 3, "credit: and from it");
	/* The stuck guest reads: a CREDIT_UPDATE lets the rest through. */
	struct vsock_hdr up = mk(d, 41000, 2000, VSOCK_OP_CREDIT_UPDATE, 0);
	up.buf_alloc = 8192;
	while (got < sizeof(big)) {
		up.fwd_cnt = got;
		tx(d, up, NULL);
		uint32_t before = got;
		while (rx_get(d, &h, buf, 300))
			if (h.dst_port == 41000 && h.op == VSOCK_OP_RW)
				got += h.len;
		if (got == before)
			break;
	}
	drv_check(&d->failures, got == sizeof(big), "credit: all %zu bytes arrive as the guest gives credit "
	      "(%u)", sizeof(big), got);
	close(stuck);
	close(other);
	close(lfd);
	settle(d);
}

/* A guest that ignores the card's credit while the host does not read:
 * its connection is reset, the card's memory stays bounded. */
static void test_overrun(struct drv *d)
{
	static uint8_t big[TX_PAYLOAD];
	struct vsock_hdr h;
	int lfd = host_listen(d, 3000);
	int fd = guest_initiated(d, lfd, 42000, 3000, GUEST_BUF, "overrun");
	bool reset = false;

	memset(big, 'y', sizeof(big));
	for (unsigned i = 0; i < 256 && !reset; i++) {
		tx(d, mk(d, 42000, 3000, VSOCK_OP_RW, sizeof(big)), big);
		while (rx_get(d, &h, NULL, 0))
			reset |= h.op == VSOCK_OP_RST && h.dst_port == 42000;
	}
	if (!reset)
		reset = rx_get(d, &h, NULL, d->timeout_ms) && h.op == VSOCK_OP_RST;
	drv_check(&d->failures, reset, "overrun: a guest beyond its credit is reset");
	close(fd);
	close(lfd);
	settle(d);
}

/* Bytes the host reads from fd until EOF, each checked to be c. */
static size_t host_read_all(struct drv *d, int fd, uint8_t c, bool *same)
{
	uint8_t buf[16384];
	size_t got = 0;

	*same = true;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, d->timeout_ms) <= 0)
			return got;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return got;
		for (ssize_t i = 0; i < n; i++)
			*same &= buf[i] == c;
		got += (size_t)n;
	}
}

/* Bytes in the host socket fd that its program has not read. */
static uint32_t host_queued(int fd)
{
	int n = 0;

	if (ioctl(fd, SIOCINQ, &n) < 0)
		drv_die(2, "SIOCINQ: %s", strerror(errno));
	return (uint32_t)n;
}

/* The guest sends from gport to hport (telling the card its buf_alloc)
 * until the host socket fd, which its program does not read, is full and
 * the card holds the rest. The card writes a packet's payload before it
 * gives the chain back: what the socket holds then is what the card
 * forwarded, and the guest never goes beyond its credit. Returns the
 * bytes sent. */
static uint32_t fill_host(struct drv *d, int fd, uint32_t gport, uint32_t hport,
			  uint32_t buf_alloc, const char *what)
{
	static uint8_t chunk[16384];
	struct vsock_hdr rw = mk(d, gport, hport, VSOCK_OP_RW, sizeof(chunk));
	uint32_t sent = 0;

	rw.buf_alloc = buf_alloc;
	memset(chunk, 'z', sizeof(chunk));
	while (sent == host_queued(fd) && sent < (16u << 20)) {
		tx(d, rw, chunk);
		sent += sizeof(chunk);
	}
	drv_check(&d->failures, sent > host_queued(fd), "%s: the host socket is full, the card "
		  "holds what the guest sent beyond it (%u sent, %u in the socket)", what, sent,
		  host_queued(fd));
	return sent;
}

/* fill_host, then the guest closes both ways. */
static uint32_t fill_and_close(struct drv *d, int fd, uint32_t gport, uint32_t hport,
			       const char *what)
{
	uint32_t sent = fill_host(d, fd, gport, hport, GUEST_BUF, what);
	struct vsock_hdr sh = mk(d, gport, hport, VSOCK_OP_SHUTDOWN, 0);

	sh.flags = VSOCK_SHUTDOWN_BOTH;
	tx(d, sh, NULL);
	return sent;
}

/* The card's RST for (hport, gport) within the timeout, past packets the
 * guest ignores after its close: ms it took, or -1. */
static int64_t wait_rst(struct drv *d, uint32_t hport, uint32_t gport)
{
	uint64_t t0 = drv_now_ms();
	struct vsock_hdr h;

	while (rx_get(d, &h, NULL, d->timeout_ms))
		if (h.op == VSOCK_OP_RST && h.src_port == hport && h.dst_port == gport)
			return (int64_t)(drv_now_ms() - t0);
	return -1;
}

/* A guest closes while the card holds bytes for a slow host program: the
 * card writes them all out before its RST; a host that never reads gets
 * what its socket took, and the guest its RST after the card's timeout. */
static void test_drain(struct drv *d)
{
	int lfd = host_listen(d, 5000);
	int fd = guest_initiated(d, lfd, 44000, 5000, GUEST_BUF, "drain");
	uint32_t sent = fill_and_close(d, fd, 44000, 5000, "drain");
	bool same;
	size_t got = host_read_all(d, fd, 'z', &same);

	drv_check(&d->failures, got == sent && same, "drain: after the guest's SHUTDOWN the host reads "
		  "all %u bytes, then EOF (%zu)", sent, got);
	drv_check(&d->failures, wait_rst(d, 5000, 44000) >= 0, "drain: then the card's RST");
	close(fd);

	fd = guest_initiated(d, lfd, 44001, 5000, GUEST_BUF, "drain stuck");
	sent = fill_and_close(d, fd, 44001, 5000, "drain stuck");
	int64_t ms = wait_rst(d, 5000, 44001);
	drv_check(&d->failures, ms >= 1500, "drain stuck: a host that does not read: the card's RST "
		  "after its timeout (%lld ms)", (long long)ms);
	got = host_read_all(d, fd, 'z', &same);
	drv_check(&d->failures, got < sent && same, "drain stuck: the host gets what its socket took "
		  "(%zu of %u), then EOF", got, sent);
	close(fd);
	close(lfd);
	settle(d);
}

/* The card's CPU time so far, in clock ticks (utime + stime, the 14th
 * and 15th fields of /proc/PID/stat, after the command's parenthesis). */
static long card_ticks(pid_t pid)
{
	char path[64], buf[1024];
	long ut = -1, st = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		drv_die(2, "%s: %s", path, strerror(errno));
	char *p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut,
			 &st) != 2)
		drv_die(2, "%s: not understood", path);
	return ut + st;
}

/* The card, with nothing to do, uses (almost) no CPU for a second: a
 * worker spinning on some event would use all of it. */
static void check_idle(struct drv *d, const char *what)
{
	long hz = sysconf(_SC_CLK_TCK);

	if (d->card_pid <= 0)
		return;
	long t0 = card_ticks(d->card_pid);
	usleep(1000 * 1000);
	long used = card_ticks(d->card_pid) - t0;
	drv_check(&d->failures, used < hz / 5, "%s: the card idles (%ld of %ld ticks in a second)",
		  what, used, hz);
}

/* The card holds bytes for a host socket whose program then shuts it
 * down both ways, and the guest gives no credit (so the card never reads
 * the end there): the hang-up ends the connection, the guest gets RST,
 * and the card goes idle. */
static void test_hup(struct drv *d)
{
	int lfd = host_listen(d, 8000);
	int fd = guest_initiated(d, lfd, 48000, 8000, 0, "hup");

	fill_host(d, fd, 48000, 8000, 0, "hup");
	shutdown(fd, SHUT_RDWR);
	drv_check(&d->failures, wait_rst(d, 8000, 48000) >= 0,
		  "hup: the host's hang-up resets the connection the card holds bytes for");
	check_idle(d, "hup");
	close(fd);
	close(lfd);
}

/* A guest that gives its receive buffers back without a kick (Linux
 * under EVENT_IDX, whose rx ring never runs dry, kicks only when the card
 * asks): the card's timeouts run all the same. One that never answers
 * the REQUEST for a host's CONNECT: the host socket is closed, the guest
 * gets RST; one that never answers the SHUTDOWN for a host socket that
 * ended: RST after the timeout. */
static void test_quiet(struct drv *d)
{
	struct vsock_hdr h;
	uint32_t hport = 0;
	int fd = host_connect_to(d, 58);

	d->quiet = true;
	if (expect(d, VSOCK_OP_REQUEST, UINT32_MAX, 58, &h, NULL, "quiet")) {
		drv_check(&d->failures, host_eof(d, fd),
			  "quiet: the host socket is closed without the guest's answer");
		expect(d, VSOCK_OP_RST, h.src_port, 58, NULL, NULL, "quiet: the REQUEST's end");
	}
	close(fd);
	fd = host_initiated(d, 59, &hport, "quiet shutdown");
	close(fd);
	if (expect(d, VSOCK_OP_SHUTDOWN, hport, 59, NULL, NULL, "quiet shutdown")) {
		int64_t ms = wait_rst(d, hport, 59);
		drv_check(&d->failures, ms >= 1500, "quiet: the SHUTDOWN unanswered, the card's RST "
			  "after its timeout (%lld ms)", (long long)ms);
	}
	d->quiet = false;
	drv_vq_kick(&d->rx);
}

/* Host programs that connect and send nothing, or half a CONNECT line,
 * as many as the card has connections: the card keeps VSOCK_MAX_HOST_CMD
 * of them, apart from the guest's room (a guest's REQUEST is answered),
 * closes the others at once and the ones it kept after its timeout; then
 * a host connection works again. */
static void test_idle_host(struct drv *d)
{
	static int fds[VSOCK_MAX_CONNS];
	const unsigned kept = VSOCK_MAX_HOST_CMD, extra = VSOCK_MAX_CONNS - kept;
	int lfd = host_listen(d, 7000);
	uint64_t t0 = drv_now_ms();
	uint32_t hport = 0;

	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		fds[i] = host_connect(d);
		if (i % 2)
			(void)!write(fds[i], "CONNECT 1", 9);
	}
	/* The card accepts them in order. */
	unsigned n = host_eofs(fds + kept, extra, drv_now_ms() + 1000);
	drv_check(&d->failures, n == extra, "idle-host: %u of the %u host connections past the "
		  "first %u closed at once", n, extra, kept);
	int fd = guest_initiated(d, lfd, 47000, 7000, GUEST_BUF, "idle-host: the guest connects");
	n = host_eofs(fds, kept, t0 + VSOCK_TIMEOUT_MS + (uint64_t)d->timeout_ms);
	uint64_t ms = drv_now_ms() - t0;
	drv_check(&d->failures, n == kept && ms >= VSOCK_TIMEOUT_MS - 500, "idle-host: the %u "
		  "kept closed after the card's timeout (%u, %llu ms)", kept, n,
		  (unsigned long long)ms);
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		close(fds[i]);
	int hfd = host_initiated(d, 64, &hport, "idle-host: then a host connection");
	close(hfd);
	close(fd);
	close(lfd);
	settle(d);
}

/* A host that leaves while its CONNECT awaits the guest's answer: the
 * guest gets RST at once, not at the card's timeout. One that only shuts
 * down its writing side, its bytes behind the line sent, is still there
 * (and the card does not spin on its half-close): the guest's answer
 * gets it its OK, the guest the bytes, then the end. */
static void test_host_leaves(struct drv *d)
{
	uint8_t buf[4096];
	struct vsock_hdr h;
	uint32_t hport = 0;
	int fd = host_connect_to(d, 62);

	if (expect(d, VSOCK_OP_REQUEST, UINT32_MAX, 62, &h, NULL, "host-leaves")) {
		uint64_t t0 = drv_now_ms();
		close(fd);
		if (expect(d, VSOCK_OP_RST, h.src_port, 62, NULL, NULL, "host-leaves: its end"))
			drv_check(&d->failures, drv_now_ms() - t0 < VSOCK_TIMEOUT_MS / 2,
				  "host-leaves: at once, not at the card's timeout (%llu ms)",
				  (unsigned long long)(drv_now_ms() - t0));
	}
	fd = host_connect(d);
	dprintf(fd, "CONNECT 63\nhi");
	shutdown(fd, SHUT_WR);
	check_idle(d, "host-leaves: half-closed");
	guest_accepts(d, fd, 63, &hport, "host-leaves: half-closed");
	if (expect(d, VSOCK_OP_RW, hport, 63, &h, buf, "host-leaves: half-closed"))
		drv_check(&d->failures, h.len == 2 && !memcmp(buf, "hi", 2),
			  "host-leaves: the half-closed host's bytes reach the guest");
	if (expect(d, VSOCK_OP_SHUTDOWN, hport, 63, NULL, NULL, "host-leaves: half-closed"))
		tx(d, mk(d, 63, hport, VSOCK_OP_RST, 0), NULL);
	close(fd);
}

/* The guest gives the card every receive buffer it kept, and kicks. */
static void rx_give_back(struct drv *d)
{
	d->hold = false;
	while (d->nr_held)
		rx_post(d, d->held[--d->nr_held]);
	drv_vq_kick(&d->rx);
}

/* More connections than the card's RST queue holds end while the guest
 * has no receive buffer: once it posts some, each gets its RST (a guest
 * that missed one would keep its socket established for ever). */
static void test_rst_owed(struct drv *d)
{
	enum { N = VSOCK_RST_QUEUE + 16, GPORT = 49000, HPORT = 9000 };
	static int fds[N];
	bool seen[N] = { false };
	struct vsock_hdr h;
	unsigned got = 0;
	int lfd = host_listen(d, HPORT);

	for (unsigned i = 0; i < N; i++)
		fds[i] = guest_initiated(d, lfd, GPORT + i, HPORT, GUEST_BUF, "rst-owed");
	/* Every receive buffer used up (each stray packet's RST takes one),
	 * and kept. */
	settle(d);
	d->hold = true;
	for (unsigned i = 0; i < QSIZE; i++) {
		tx(d, mk(d, 48999, 8999, VSOCK_OP_RW, 1), "x");
		if (!expect(d, VSOCK_OP_RST, 8999, 48999, NULL, NULL, "rst-owed: a stray packet"))
			break;
	}
	/* A REQUEST on a live connection: the card resets it. */
	for (unsigned i = 0; i < N; i++)
		tx(d, mk(d, GPORT + i, HPORT, VSOCK_OP_REQUEST, 0), NULL);
	unsigned closed = host_eofs(fds, N, drv_now_ms() + (uint64_t)d->timeout_ms);
	drv_check(&d->failures, closed == N, "rst-owed: %u of the %u host sockets closed at once",
		  closed, N);
	rx_give_back(d);
	while (got < N && rx_get(d, &h, NULL, d->timeout_ms)) {
		unsigned i = h.dst_port - GPORT;
		if (h.op == VSOCK_OP_RST && h.src_port == HPORT && i < N && !seen[i]) {
			seen[i] = true;
			got++;
		}
	}
	drv_check(&d->failures, got == N, "rst-owed: the guest gets the RST of each of the %u "
		  "connections (%u)", N, got);
	for (unsigned i = 0; i < N; i++)
		close(fds[i]);
	close(lfd);
	expect_nothing(d, 200, "rst-owed: then");
}

/* Until the card has accepted a host connection beyond the added ones it
 * had counted: by its stats page, or (none given) a pause that is ample
 * for an idle card. */
static void wait_accepted(struct drv *d, uint64_t added)
{
	const struct card_stats *s = drv_card_stats();
	uint64_t end = drv_now_ms() + (uint64_t)d->timeout_ms;

	if (!s) {
		usleep(300 * 1000);
		return;
	}
	while (card_stat_read(&s->vsock.conns_added) == added && drv_now_ms() < end)
		usleep(1000);
	drv_check(&d->failures, card_stat_read(&s->vsock.conns_added) > added,
		  "hostile: the card accepted the host's connection");
}

/* A host connection whose CONNECT line is not in yet has no ports (0, 0):
 * guest packets between those ports are not its, and neither end it. */
static void hostile_ports_zero(struct drv *d)
{
	const struct card_stats *s = drv_card_stats();
	uint64_t added = s ? card_stat_read(&s->vsock.conns_added) : 0;
	struct vsock_hdr h;
	int fd = host_connect(d);

	(void)!write(fd, "CONN", 4);
	wait_accepted(d, added);
	tx(d, mk(d, 0, 0, VSOCK_OP_RST, 0), NULL);
	expect_nothing(d, 200, "hostile: an RST between ports 0 and 0");
	tx(d, mk(d, 0, 0, VSOCK_OP_RW, 3), "abc");
	expect(d, VSOCK_OP_RST, 0, 0, NULL, NULL, "hostile: RW between ports 0 and 0");
	h = mk(d, 0, 0, 99, 0);
	tx(d, h, NULL);
	expect(d, VSOCK_OP_RST, 0, 0, NULL, NULL, "hostile: an unknown op between ports 0 and 0");
	(void)!write(fd, "ECT 55\n", 7);
	if (expect(d, VSOCK_OP_REQUEST, UINT32_MAX, 55, &h, NULL,
		   "hostile: the half-sent CONNECT survived the guest's packets"))
		tx(d, mk(d, 55, h.src_port, VSOCK_OP_RST, 0), NULL);
	drv_check(&d->failures, host_eof(d, fd), "hostile: then closed by the guest's RST");
	close(fd);
}

static void test_hostile(struct drv *d)
{
	struct vsock_hdr h;

	h = mk(d, 43000, 52, VSOCK_OP_REQUEST, 0);
	h.src_cid = d->cid + 1;
	tx(d, h, NULL);
	expect_nothing(d, 200, "hostile: another src_cid is dropped");
	h = mk(d, 43000, 52, VSOCK_OP_REQUEST, 0);
	h.dst_cid = 7;
	tx(d, h, NULL);
	expect_nothing(d, 200, "hostile: a dst_cid not the host's is dropped");
	h = mk(d, 43000, 52, VSOCK_OP_REQUEST, 0);
	h.type = 2;
	tx(d, h, NULL);
	expect(d, VSOCK_OP_RST, 52, 43000, NULL, NULL, "hostile: SEQPACKET type");
	h = mk(d, 43000, 52, 99, 0);
	tx(d, h, NULL);
	expect(d, VSOCK_OP_RST, 52, 43000, NULL, NULL, "hostile: unknown op");
	h = mk(d, 43000, 52, VSOCK_OP_RW, 4000);
	tx_raw(d, &h, "x", 1, VSOCK_HDR_SIZE);
	expect(d, VSOCK_OP_RST, 52, 43000, NULL, NULL, "hostile: len beyond the chain");
	h = mk(d, 43000, 52, VSOCK_OP_RW, 0x7fffffff);
	tx_raw(d, &h, "x", 1, VSOCK_HDR_SIZE);
	expect(d, VSOCK_OP_RST, 52, 43000, NULL, NULL, "hostile: len 2^31-1");
	h = mk(d, 43000, 52, VSOCK_OP_REQUEST, 0);
	tx_raw(d, &h, NULL, 0, 20);
	expect_nothing(d, 200, "hostile: a 20-byte header is dropped");
	hostile_ports_zero(d);
	/* Still serving. */
	int lfd = host_listen(d, 4000);
	int fd = guest_initiated(d, lfd, 43001, 4000, GUEST_BUF, "hostile: still serving");
	close(fd);
	close(lfd);
	settle(d);
}

/* The card's next event within ms: its id, or -1. The buffer goes back
 * to the ring only with give_back (the guest's driver refills it once it
 * has handled the event, and kicks). */
static int event_get(struct drv *d, int ms, bool give_back)
{
	uint64_t end = drv_now_ms() + (uint64_t)ms;
	uint16_t id;
	uint32_t len;

	while (!drv_vq_get_used(&d->evt, &id, &len)) {
		if (drv_now_ms() > end)
			return -1;
		usleep(10000);
	}
	if (id >= EVT_BUFS || len != VSOCK_EVENT_SIZE)
		drv_die(1, "event ring: used entry %u of %u bytes", id, len);
	uint32_t ev;
	memcpy(&ev, drv_gpa(&d->mem, d->evt_bufs + 8u * id), sizeof(ev));
	if (give_back) {
		struct drv_buf b = { d->evt_bufs + 8u * id, 8, true };
		drv_vq_add(&d->evt, &b, 1, 0);
		drv_vq_kick(&d->evt);
	}
	return (int)le32toh(ev);
}

/* A card handed rings in use (--base): the guest is told to drop its
 * connections before anything else, and hears nothing more until it has
 * handled that; a card that ran its rings from 0 never says so. */
static void test_takeover(struct drv *d)
{
	uint32_t hport = 0;

	if (!d->base) {
		drv_check(&d->failures, event_get(d, 300, true) < 0,
			  "takeover: rings from 0: no event");
		return;
	}
	int ev = event_get(d, d->timeout_ms, false);
	drv_check(&d->failures, ev == VSOCK_EVENT_TRANSPORT_RESET,
		  "takeover: the first event is TRANSPORT_RESET (got %d)", ev);
	int fd = host_connect_to(d, 61);
	expect_nothing(d, 300, "takeover: the host's connection before the guest took the reset");
	/* The guest handles it: refills the event ring, and kicks. */
	struct drv_buf b = { d->evt_bufs, 8, true };
	drv_vq_add(&d->evt, &b, 1, 0);
	drv_vq_kick(&d->evt);
	guest_accepts(d, fd, 61, &hport, "takeover: then the host's connection");
	/* Not 2^30, where a card that starts afresh begins: a restored
	 * guest may still hold a socket the old card's first one named. */
	drv_check(&d->failures, hport != (1u << 30),
		  "takeover: the card's first port is not the old card's (%u)", hport);
	close(fd);
	if (expect(d, VSOCK_OP_SHUTDOWN, hport, 61, NULL, NULL, "takeover close"))
		tx(d, mk(d, 61, hport, VSOCK_OP_RST, 0), NULL);
	drv_check(&d->failures, event_get(d, 200, true) < 0, "takeover: one reset only");
}

/* Receive buffers with room for a header only (--rx-buf 44): control
 * packets fit, data does not. Host data waits in its socket; it is not
 * taken for the host's end (a read of no bytes). */
static void test_header_only(struct drv *d)
{
	struct vsock_hdr h;
	int lfd = host_listen(d, 6000);
	int fd = guest_initiated(d, lfd, 45000, 6000, GUEST_BUF, "header-only");

	(void)!write(fd, "data", 4);
	bool got = rx_get(d, &h, NULL, 500);
	drv_check(&d->failures, !got, "header-only: no packet for host data that fits no buffer%s%s",
		  got ? ", got " : "", got ? vsock_op_name(h.op) : "");
	struct pollfd p = { fd, POLLIN, 0 };
	drv_check(&d->failures, poll(&p, 1, 0) == 0, "header-only: the host socket stays open");
	tx(d, mk(d, 45000, 6000, VSOCK_OP_RW, 3), "abc");
	char t[4] = { 0 };
	drv_check(&d->failures, host_read(d, fd, t, 3) == 3 && !memcmp(t, "abc", 3),
		  "header-only: the guest's data still reaches the host");
	struct vsock_hdr sh = mk(d, 45000, 6000, VSOCK_OP_SHUTDOWN, 0);
	sh.flags = VSOCK_SHUTDOWN_BOTH;
	tx(d, sh, NULL);
	expect(d, VSOCK_OP_RST, 6000, 45000, NULL, NULL, "header-only: a close still gets its RST");
	close(fd);
	close(lfd);
}

/* A guest that keeps its tx ring full of chains costly to refuse and
 * never stops (drv_flood.h): the card still answers a ring's stop at
 * once, as a pause for a snapshot needs. Leaves the tx ring unusable:
 * run it last. */
static void test_flood(struct drv *d)
{
	const unsigned rx = 0;
	char how[160];
	bool ok = drv_flood_stop_rings(&d->fe, &d->tx, drv_costly_bad_chain(&d->tx, &d->mem), &rx, 1,
				       how, sizeof(how));

	drv_check(&d->failures, ok, "flood: the rx ring's stop is answered while the guest keeps "
		  "the tx ring full (%s)", how);
}

static void test_seccomp(struct drv *d)
{
	if (d->card_pid <= 0)
		return;
	drv_check(&d->failures, drv_card_seccomp(d->card_pid), "seccomp: the card runs under its filter");
}

static void test_stats(struct drv *d)
{
	const struct card_stats *s = drv_card_stats();

	if (!s) {
		drv_check(&d->failures, false, "stats: no stats page (give {stats})");
		return;
	}
	const struct card_vsock_stats *v = &s->vsock;
	printf("stats: rx %llu packets %llu bytes, tx %llu packets %llu bytes, conns +%llu "
	       "-%llu (killed %llu), bad %llu\n",
	       (unsigned long long)v->rx_packets, (unsigned long long)v->rx_bytes,
	       (unsigned long long)v->tx_packets, (unsigned long long)v->tx_bytes,
	       (unsigned long long)v->conns_added, (unsigned long long)v->conns_removed,
	       (unsigned long long)v->conns_killed, (unsigned long long)v->bad_packets);
	drv_check(&d->failures, v->rx_packets > 0 && v->tx_packets > 0 && v->conns_added > 0,
	      "stats: the card counts packets and connections");
}

static void post_events(struct drv *d)
{
	for (unsigned s = 0; s < EVT_BUFS; s++) {
		struct drv_buf b = { d->evt_bufs + 8 * s, 8, true };
		drv_vq_add(&d->evt, &b, 1, 0);
	}
}

static struct drv_vq *ring(struct drv *d, unsigned idx)
{
	struct drv_vq *qs[VSOCK_NR_RINGS] = { &d->rx, &d->tx, &d->evt };

	return qs[idx];
}

/* Ring idx runs from avail index base. */
static void ring_start(struct drv *d, unsigned idx, uint16_t base)
{
	struct vu_fe_vring v = drv_fe_vring(ring(d, idx));
	struct azerr e;

	v.base = base;
	if (vu_fe_vring_start(&d->fe, idx, &v, &e))
		drv_die(2, "%s", e.msg);
}

/* Every ring stopped (GET_VRING_BASE): base[i], where ring i did. */
static void rings_stop(struct drv *d, uint16_t *base)
{
	struct azerr e;

	for (unsigned i = 0; i < VSOCK_NR_RINGS; i++)
		if (vu_fe_vring_stop(&d->fe, i, &base[i], &e))
			drv_die(2, "%s", e.msg);
}

/* The guest's memory and buffers, once. */
static void setup_mem(struct drv *d)
{
	if (drv_mem_init(&d->mem))
		drv_die(2, "guest memory: %s", strerror(errno));
	d->rx_bufs = drv_alloc(&d->mem, (uint64_t)QSIZE * RX_BUF, 4096, true);
	d->tx_hdr = drv_alloc(&d->mem, 4096, 4096, false);
	d->tx_data = drv_alloc(&d->mem, TX_PAYLOAD, 4096, false);
	d->evt_bufs = drv_alloc(&d->mem, 4096, 4096, false);
}

/* A driver sets the device up: features, memory, rings from d->base
 * (past 0: a restored guest's, in use), every buffer posted. */
static void setup(struct drv *d)
{
	struct azerr e;
	unsigned nq = 0;

	if (vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES, &e) ||
	    vu_fe_get_queue_num(&d->fe, &nq, &e))
		drv_die(2, "%s", e.msg);
	if (nq != VSOCK_NR_RINGS)
		drv_die(1, "the card offers %u rings, not 3", nq);
	if (!(d->fe.features & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		drv_die(1, "the card does not offer VERSION_1");
	if (vu_fe_set_features(&d->fe, d->fe.features & ~VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX), &e))
		drv_die(2, "%s", e.msg);
	if (drv_set_mem_table(&d->fe, &d->mem, &e))
		drv_die(2, "%s", e.msg);
	for (unsigned i = 0; i < VSOCK_NR_RINGS; i++) {
		if (drv_vq_init(ring(d, i), &d->mem, QSIZE, false))
			drv_die(2, "rings: %s", strerror(errno));
		drv_vq_set_base(ring(d, i), d->base);
	}
	/* A restored guest's event buffers are in the ring before the card
	 * gets it, and it kicks only when it refills one (the ack the card
	 * waits for after TRANSPORT_RESET); a new driver posts them once
	 * the device runs, and kicks. */
	if (d->base)
		post_events(d);
	for (unsigned i = 0; i < VSOCK_NR_RINGS; i++)
		ring_start(d, i, d->base);
	for (unsigned s = 0; s < QSIZE; s++)
		rx_post(d, s);
	drv_vq_kick(&d->rx);
	if (!d->base) {
		post_events(d);
		drv_vq_kick(&d->evt);
	}
}

/* The guest resets the device (its driver goes): the rings stop and
 * azote sends RESET_DEVICE. setup() is the next driver's. */
static void device_down(struct drv *d)
{
	uint16_t base[VSOCK_NR_RINGS];
	struct azerr e;

	rings_stop(d, base);
	if (vu_fe_reset(&d->fe, &e))
		drv_die(2, "%s", e.msg);
	for (unsigned i = 0; i < VSOCK_NR_RINGS; i++) {
		close(ring(d, i)->kickfd);
		close(ring(d, i)->callfd);
	}
	d->base = 0;
}

/* A pause and resume as azote's (a snapshot taken, dirty logging
 * started): every ring stops, then starts again where it stopped. */
static void rings_restart(struct drv *d)
{
	uint16_t base[VSOCK_NR_RINGS];

	rings_stop(d, base);
	for (unsigned i = 0; i < VSOCK_NR_RINGS; i++)
		ring_start(d, i, base[i]);
}

/* A pause and resume before the guest's first packet, its tx ring at 0
 * as a new driver's would be: the card keeps its connections, and a
 * host connection made before is the guest's after. Run it first. */
static void test_resume(struct drv *d)
{
	struct vsock_hdr h;
	int fd;

	if (d->tx.avail_idx != d->base)
		drv_die(2, "resume: run it before any test that sends a packet");
	fd = host_connect_to(d, 65);
	if (expect(d, VSOCK_OP_REQUEST, UINT32_MAX, 65, &h, NULL, "resume")) {
		rings_restart(d);
		guest_answers(d, fd, 65, h.src_port, "resume: the connection made before the pause");
		close(fd);
		if (expect(d, VSOCK_OP_SHUTDOWN, h.src_port, 65, NULL, NULL, "resume: its end"))
			tx(d, mk(d, 65, h.src_port, VSOCK_OP_RST, 0), NULL);
	}
}

/* A device reset: the connections the old driver knew end; a host
 * connection made while the device was down is the new driver's. */
static void test_reset(struct drv *d)
{
	uint32_t hport = 0;
	int old = host_initiated(d, 66, &hport, "reset");

	device_down(d);
	drv_check(&d->failures, host_eof(d, old), "reset: the old driver's connection ends");
	close(old);
	int fd = host_connect_to(d, 67);
	setup(d);
	guest_accepts(d, fd, 67, &hport, "reset: a host connection made while the device was down");
	close(fd);
	if (expect(d, VSOCK_OP_SHUTDOWN, hport, 67, NULL, NULL, "reset: its end"))
		tx(d, mk(d, 67, hport, VSOCK_OP_RST, 0), NULL);
	expect_nothing(d, 200, "reset: then, nothing of the old driver's");
}

int main(int argc, char **argv)
{
	static struct drv d;
	static const struct option longopts[] = {
		{ "uds", required_argument, NULL, 'u' },
		{ "cid", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "base", required_argument, NULL, 'b' },
		{ "rx-buf", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	drv_name = "vuvsock-drv";
	d.cid = 3;
	d.timeout_ms = 5000;
	d.rx_len = RX_BUF;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': d.uds = optarg; break;
		case 'c': d.cid = strtoull(optarg, NULL, 0); break;
		case 't': d.timeout_ms = atoi(optarg); break;
		case 'b': d.base = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'r': d.rx_len = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: drv_die(2, "bad arguments");
		}
	}
	if (!d.uds)
		drv_die(2, "give --uds PATH (the card's --uds)");
	if (d.rx_len < VSOCK_HDR_SIZE || d.rx_len > RX_BUF)
		drv_die(2, "--rx-buf %u: want %u to %u", d.rx_len, VSOCK_HDR_SIZE, RX_BUF);
	char **tests = argv + optind;
	signal(SIGPIPE, SIG_IGN);
	d.card_pid = drv_connect(&d.fe, drv_card_argv(tests), NULL, d.timeout_ms);
	setup_mem(&d);
	setup(&d);
	for (char **t = tests; *t; t++) {
		printf("== %s\n", *t);
		fflush(stdout);
		if (!strcmp(*t, "config")) test_config(&d);
		else if (!strcmp(*t, "host-connect")) test_host_connect(&d);
		else if (!strcmp(*t, "host-refused")) test_host_refused(&d);
		else if (!strcmp(*t, "connect-line")) test_connect_line(&d);
		else if (!strcmp(*t, "guest-connect")) test_guest_connect(&d);
		else if (!strcmp(*t, "guest-refused")) test_guest_refused(&d);
		else if (!strcmp(*t, "credit")) test_credit(&d);
		else if (!strcmp(*t, "overrun")) test_overrun(&d);
		else if (!strcmp(*t, "hostile")) test_hostile(&d);
		else if (!strcmp(*t, "drain")) test_drain(&d);
		else if (!strcmp(*t, "seccomp")) test_seccomp(&d);
		else if (!strcmp(*t, "stats")) test_stats(&d);
		else if (!strcmp(*t, "takeover")) test_takeover(&d);
		else if (!strcmp(*t, "header-only")) test_header_only(&d);
		else if (!strcmp(*t, "hup")) test_hup(&d);
		else if (!strcmp(*t, "quiet")) test_quiet(&d);
		else if (!strcmp(*t, "idle-host")) test_idle_host(&d);
		else if (!strcmp(*t, "host-leaves")) test_host_leaves(&d);
		else if (!strcmp(*t, "rst-owed")) test_rst_owed(&d);
		else if (!strcmp(*t, "resume")) test_resume(&d);
		else if (!strcmp(*t, "reset")) test_reset(&d);
		else if (!strcmp(*t, "flood")) test_flood(&d);
		else drv_die(2, "unknown test %s", *t);
	}
	return drv_finish(&d.fe, d.card_pid, &d.failures);
}
