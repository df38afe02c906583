/* The vsock card's worker: one thread, one epoll loop over its command
 * eventfd, the rings' kick fds, the listener at --uds and every
 * connection's host socket. Guest packets come off the tx ring
 * (handle_tx), packets for the guest go into the rx ring's buffers
 * (fill_rx): control packets each connection owes first, then host data
 * read straight into the guest's buffer, as much as the guest's credit
 * allows. Nothing blocks: host sockets are non-blocking, bytes a host
 * socket cannot take yet wait in the connection's buffer, which the credit
 * the card advertises (VSOCK_CONN_BUF) bounds, and a host side that sends
 * faster than the guest reads is left unread (no EPOLLIN) until the guest
 * gives credit again: a slow or stuck party stalls its own connection
 * only. */
#include "cards/vsock/device.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cards/virtio/iov.h"
#include "cards/vsock/conn.h"
#include "cards/vsock/pkt.h"
#include "common/log.h"
#include "virtio/virtio.h"

/* epoll tags: the fixed fds, then connection i as TAG_CONN + i. */
enum { TAG_CMD, TAG_KICK_RX, TAG_KICK_TX, TAG_KICK_EVT, TAG_LISTEN, TAG_CONN };

#define CMD_LINE_MAX 32  /* "CONNECT 4294967295\n" and room */
#define MAX_IOV      260 /* a chain's buffers the card maps at once */
/* Chains one pass over a ring may take (malformed ones count): a guest
 * that keeps its rings full cannot keep the worker from its commands
 * (a ring's stop) and its other sources. */
#define PASS_BUDGET  64
/* The connections' slots: those counted in VSOCK_MAX_CONNS, and the host
 * connections still in HOST_CMD. */
#define NR_SLOTS     (VSOCK_MAX_CONNS + VSOCK_MAX_HOST_CMD)
/* The first host-initiated connection's local port, as Firecracker's:
 * far from the ports guests and hosts pick. */
#define HOST_PORT_FIRST (1u << 30)

struct vconn {
	bool used;
	bool killed;              /* reset: its socket is closed, the slot
				   * waits to send the guest its RST */
	struct vsock_conn c;
	int fd;
	unsigned events;          /* the epoll interest set now (0: not in
				   * the epoll set: a socket there reports a
				   * hang-up over and over, so it is there
				   * only while a hang-up changes something) */
	bool readable;            /* EPOLLIN seen, not read dry since */
	bool shut_wr;             /* shut the host socket's writing side once buf is out */
	bool finish;              /* the guest closed: RST once buf is out (or at deadline) */
	uint64_t deadline;        /* ms (CLOCK_MONOTONIC), 0: none */
	uint8_t *buf;             /* bytes for the host socket, VSOCK_CONN_BUF */
	uint32_t buf_off, buf_len;
	char cmd[CMD_LINE_MAX];
	unsigned cmd_len;
};

enum cmd_op { CMD_NONE, CMD_START, CMD_STOP, CMD_RESET };

struct vsock_muxer {
	uint64_t cid;
	int ep, cmd_fd, listen_fd;
	const char *base;
	struct card_vsock_stats *stats;
	pthread_t thread;

	/* The control thread's request and the worker's answer. */
	pthread_mutex_t lock;
	pthread_cond_t done;
	enum cmd_op op;
	unsigned cmd_idx;
	struct virtq *cmd_q;
	bool running;             /* the worker's start-up is over */

	/* The worker's own. */
	struct virtq *ring[VSOCK_NR_RINGS];
	unsigned seen;            /* bit i: ring i ran in this process */
	bool took_over;           /* rings came in use: a restored guest's */
	bool reset_owed;          /* TRANSPORT_RESET for the event ring */
	bool reset_unacked;       /* sent; the guest has not refilled the ring */
	uint16_t reset_avail;     /* the event ring's avail index when sent */
	struct vconn conns[NR_SLOTS];
	unsigned nr_conns, rr;    /* rr: where the rx round-robin goes on */
	unsigned nr_cmds;         /* of the conns, in HOST_CMD (not in nr_conns) */
	/* The earliest connection deadline (ms, 0: none): expire() sets it,
	 * conn_timer() lowers it, so that a deadline set after the worker
	 * worked out its wait (by fill_rx) still ends that wait. */
	uint64_t next_deadline;
	uint32_t next_port;
	struct vsock_hdr rst[VSOCK_RST_QUEUE];
	unsigned rst_head, rst_len;
	struct iovec iov[MAX_IOV];
};

#define STAT(m, field, n)						\
	do {								\
		if ((m)->stats)						\
			card_stat_add(&(m)->stats->field, (n));		\
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void watch(struct vsock_muxer *m, int fd, uint64_t tag, unsigned events, int op)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(m->ep, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL)
		log_warn("vsock: epoll_ctl on fd %d: %s", fd, strerror(errno));
}

/* --- connections --------------------------------------------------- */

static struct vconn *conn_find(struct vsock_muxer *m, uint32_t local, uint32_t peer)
{
	for (unsigned i = 0; i < NR_SLOTS; i++) {
		struct vconn *v = &m->conns[i];
		if (v->used && vsock_conn_is(&v->c, local, peer))
			return v;
	}
	return NULL;
}

static bool local_port_used(const struct vsock_muxer *m, uint32_t port)
{
	for (unsigned i = 0; i < NR_SLOTS; i++)
		if (m->conns[i].used && m->conns[i].c.local_port == port)
			return true;
	return false;
}

/* Where a card that takes over a restored guest's rings starts its ports
 * (the one before the first): anywhere in [2^30, 2^31), from the time, so
 * that its ports are not the old card's (Firecracker keeps its counter in
 * the snapshot; a card has no state of its own there). */
static uint32_t port_after_restore(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) *
		     0x9e3779b97f4a7c15ull;
	return HOST_PORT_FIRST | (uint32_t)(x >> 34);
}

/* A local port for a host-initiated connection, in [2^30, 2^31). */
static uint32_t alloc_port(struct vsock_muxer *m)
{
	do {
		m->next_port = HOST_PORT_FIRST | ((m->next_port + 1) & (HOST_PORT_FIRST - 1));
	} while (local_port_used(m, m->next_port));
	return m->next_port;
}

/* The count of the connections in state: those whose host has not sent
 * its CONNECT line have their own, so that host programs that say nothing
 * cannot take the guest's room. */
static unsigned *conn_count(struct vsock_muxer *m, enum vsock_conn_state state)
{
	return state == VSOCK_CONN_HOST_CMD ? &m->nr_cmds : &m->nr_conns;
}

static bool conn_full(struct vsock_muxer *m, enum vsock_conn_state state)
{
	return *conn_count(m, state) ==
	       (state == VSOCK_CONN_HOST_CMD ? VSOCK_MAX_HOST_CMD : VSOCK_MAX_CONNS);
}

static struct vconn *conn_add(struct vsock_muxer *m, int fd, uint32_t local,
			      uint32_t peer, enum vsock_conn_state state)
{
	if (conn_full(m, state))
		return NULL;
	for (unsigned i = 0; i < NR_SLOTS; i++) {
		struct vconn *v = &m->conns[i];
		if (v->used)
			continue;
		*v = (struct vconn){ .used = true, .fd = fd, .events = EPOLLIN };
		vsock_conn_init(&v->c, local, peer, state);
		watch(m, fd, TAG_CONN + i, EPOLLIN, EPOLL_CTL_ADD);
		(*conn_count(m, state))++;
		STAT(m, conns_added, 1);
		return v;
	}
	return NULL;
}

/* Closes v's host socket and lets go of what v held for it. */
static void conn_close(struct vsock_muxer *m, struct vconn *v)
{
	if (v->events)
		watch(m, v->fd, 0, 0, EPOLL_CTL_DEL);
	close(v->fd);
	free(v->buf);
}

/* killed: the card ended v, not one of its parties. */
static void conn_remove(struct vsock_muxer *m, struct vconn *v, bool killed)
{
	/* One killed before has no socket left, and was counted then. */
	bool was_killed = v->killed;

	if (!was_killed)
		conn_close(m, v);
	(*conn_count(m, v->c.state))--;
	*v = (struct vconn){ 0 };
	STAT(m, conns_removed, 1);
	if (killed && !was_killed)
		STAT(m, conns_killed, 1);
}

static struct vsock_hdr rst_hdr(const struct vsock_muxer *m, uint32_t local, uint32_t peer)
{
	return (struct vsock_hdr){ .src_cid = VSOCK_HOST_CID, .dst_cid = m->cid,
				   .src_port = local, .dst_port = peer,
				   .type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RST };
}

/* An RST owed for (local, peer) with no connection behind it: the answer
 * to a REQUEST the card refuses or to a packet for no connection. Lossy:
 * the guest's next packet there gets another, and its connect() times
 * out. */
static void queue_rst(struct vsock_muxer *m, uint32_t local, uint32_t peer)
{
	if (m->rst_len == VSOCK_RST_QUEUE) {
		m->rst_head = (m->rst_head + 1) % VSOCK_RST_QUEUE;
		m->rst_len--;
	}
	m->rst[(m->rst_head + m->rst_len++) % VSOCK_RST_QUEUE] = rst_hdr(m, local, peer);
}

/* Whether the guest knows of v: it sent the REQUEST, or had the card's. */
static bool guest_knows(const struct vconn *v)
{
	return v->c.state != VSOCK_CONN_HOST_CMD && !(v->c.pending & VSOCK_PEND_REQUEST);
}

/* Ends v. Its host socket closes now; if the guest knows of v, v keeps
 * its slot (and its ports) until the guest has had its RST: never
 * dropped, unlike queue_rst's, since a guest that missed it would keep its
 * socket established for ever (Firecracker keeps a killed connection
 * until its RST goes too). */
static void conn_reset(struct vsock_muxer *m, struct vconn *v)
{
	if (v->killed)
		return;
	if (!guest_knows(v)) {
		conn_remove(m, v, true);
		return;
	}
	conn_close(m, v);
	*v = (struct vconn){ .used = true, .killed = true, .c = v->c, .fd = -1 };
	STAT(m, conns_killed, 1);
}

/* v's current step (the host's CONNECT line, the guest's answer, a slow
 * host socket's drain) must be over in VSOCK_TIMEOUT_MS, or v is reset. */
static void conn_timer(struct vsock_muxer *m, struct vconn *v)
{
	v->deadline = now_ms() + VSOCK_TIMEOUT_MS;
	if (!m->next_deadline || v->deadline < m->next_deadline)
		m->next_deadline = v->deadline;
}

/* Writes what v's buffer holds, then data (n bytes of iov), to the host
 * socket; what it cannot take now joins the buffer. -1: the socket failed
 * (the connection must be reset). */
static int conn_write(struct vsock_muxer *m, struct vconn *v, const struct iovec *iov,
		      unsigned n, uint32_t len)
{
	ssize_t w = 0;

	if (!v->buf_len && len) {
		w = writev(v->fd, iov, (int)n);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			STAT(m, tx_write_fails, 1);
			return -1;
		}
		if (w < 0)
			w = 0;
		vsock_conn_forwarded(&v->c, (uint32_t)w);
	}
	if ((uint32_t)w == len)
		return 0;
	if (!v->buf && !(v->buf = malloc(VSOCK_CONN_BUF))) {
		log_warn("vsock: out of memory for a connection's buffer");
		return -1;
	}
	if (v->buf_off + v->buf_len + (len - (uint32_t)w) > VSOCK_CONN_BUF) {
		memmove(v->buf, v->buf + v->buf_off, v->buf_len);
		v->buf_off = 0;
	}
	/* conn.c kept buffered + len within VSOCK_CONN_BUF. */
	v->buf_len += (uint32_t)iov_to_buf(iov, n, (size_t)w, v->buf + v->buf_off + v->buf_len,
					   len - (uint32_t)w);
	return 0;
}

/* The host socket can take more: its buffer first. */
static int conn_flush(struct vsock_muxer *m, struct vconn *v)
{
	while (v->buf_len) {
		ssize_t w = write(v->fd, v->buf + v->buf_off, v->buf_len);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0) {
			STAT(m, tx_write_fails, 1);
			return -1;
		}
		v->buf_off += (uint32_t)w;
		v->buf_len -= (uint32_t)w;
		vsock_conn_forwarded(&v->c, (uint32_t)w);
	}
	v->buf_off = 0;
	if (v->shut_wr) {
		shutdown(v->fd, SHUT_WR);
		v->shut_wr = false;
	}
	return 0;
}

/* The "OK <port>\n" a host-initiated connection gets: the first bytes on
 * a fresh socket, which takes them whole (or the connection is reset).
 * Not the guest's bytes: they count against no credit. */
static int conn_write_str(struct vconn *v, const char *s)
{
	size_t len = strlen(s);

	return write(v->fd, s, len) == (ssize_t)len ? 0 : -1;
}

/* --- from the guest (tx ring) ------------------------------------- */

/* A guest REQUEST to host port h->dst_port: the Unix socket
 * "<base>_<port>" in the working directory. */
static void guest_connect(struct vsock_muxer *m, const struct vsock_hdr *h)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct vconn *v;
	int fd;

	if (conn_full(m, VSOCK_CONN_ESTABLISHED)) {
		log_warn("vsock: %u connections already: guest port %u refused",
			 VSOCK_MAX_CONNS, h->src_port);
		queue_rst(m, h->dst_port, h->src_port);
		return;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", m->base, h->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		log_debug("vsock: guest port %u to %s: %s", h->src_port, a.sun_path,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		queue_rst(m, h->dst_port, h->src_port);
		return;
	}
	v = conn_add(m, fd, h->dst_port, h->src_port, VSOCK_CONN_ESTABLISHED);
	v->c.peer_buf_alloc = h->buf_alloc;
	v->c.peer_fwd_cnt = h->fwd_cnt;
	v->c.pending |= VSOCK_PEND_RESPONSE;
}

static void guest_pkt(struct vsock_muxer *m, const struct vsock_hdr *h,
		      const struct virtq_chain *c)
{
	struct vconn *v = conn_find(m, h->dst_port, h->src_port);
	struct iovec data[MAX_IOV];
	int n;

	if (!v) {
		if (h->op == VSOCK_OP_REQUEST)
			guest_connect(m, h);
		else if (h->op != VSOCK_OP_RST)
			queue_rst(m, h->dst_port, h->src_port);
		return;
	}
	if (v->killed) {
		/* The guest's RST makes the card's needless; anything else
		 * is answered by the RST on its way. */
		if (h->op == VSOCK_OP_RST)
			conn_remove(m, v, false);
		return;
	}
	switch (vsock_conn_guest_pkt(&v->c, h, v->buf_len)) {
	case VSOCK_ACT_NONE:
		return;
	case VSOCK_ACT_WRITE:
		STAT(m, tx_bytes, h->len);
		n = iov_slice(c->iov, c->nr_out, VSOCK_HDR_SIZE, h->len, data, MAX_IOV);
		if (n < 0 || conn_write(m, v, data, (unsigned)n, h->len) < 0)
			conn_reset(m, v);
		return;
	case VSOCK_ACT_SEND_OK: {
		char ok[24];
		snprintf(ok, sizeof(ok), "OK %u\n", v->c.local_port);
		v->deadline = 0;
		if (conn_write_str(v, ok) < 0)
			conn_reset(m, v);
		return;
	}
	case VSOCK_ACT_SHUT_WR:
		v->shut_wr = true;
		if (conn_flush(m, v) < 0)
			conn_reset(m, v);
		return;
	case VSOCK_ACT_FINISH:
		/* Linux's close() waits 8 s for the RST; the card waits for
		 * a slow host socket to take the buffer at most its own
		 * timeout (as Firecracker's). */
		if (conn_flush(m, v) < 0 || !v->buf_len) {
			conn_reset(m, v);
			return;
		}
		v->finish = true;
		if (!v->deadline)
			conn_timer(m, v);
		return;
	case VSOCK_ACT_CLOSE:
		conn_remove(m, v, false);
		return;
	case VSOCK_ACT_RESET:
		/* What the guest sent before is flushed if the socket takes it. */
		conn_flush(m, v);
		conn_reset(m, v);
		return;
	}
}

/* One pass over the tx ring, at most PASS_BUDGET tries: true when it
 * ended with packets left (the worker comes back without waiting). */
static bool handle_tx(struct vsock_muxer *m)
{
	struct virtq *q = m->ring[VSOCK_TX_RING];
	struct virtq_chain c = { .iov = m->iov, .cap = MAX_IOV };
	bool pushed = false, more = q != NULL;

	for (unsigned n = 0; more && n < PASS_BUDGET; n++) {
		uint8_t raw[VSOCK_HDR_SIZE];
		struct vsock_hdr h = { 0 };
		const char *why;

		if (virtq_pop(q, &c) != 1) {
			more = virtq_rearm(q);
			continue;
		}
		if (iov_to_buf(c.iov, c.nr_out, 0, raw, sizeof(raw)) == sizeof(raw))
			vsock_hdr_decode(raw, &h);
		STAT(m, tx_packets, 1);
		switch (vsock_pkt_check(&h, c.out_len, m->cid, &why)) {
		case VSOCK_PKT_OK:
			guest_pkt(m, &h, &c);
			break;
		case VSOCK_PKT_RST: {
			struct vconn *v = conn_find(m, h.dst_port, h.src_port);

			STAT(m, bad_packets, 1);
			log_debug("vsock: %s from guest port %u: %s, reset",
				  vsock_op_name(h.op), h.src_port, why);
			if (v)
				conn_reset(m, v);
			else
				queue_rst(m, h.dst_port, h.src_port);
			break;
		}
		case VSOCK_PKT_DROP:
			STAT(m, bad_packets, 1);
			log_debug("vsock: packet dropped: %s", why);
			break;
		}
		virtq_push(q, &c, 0);
		pushed = true;
	}
	if (pushed)
		virtq_notify(q);
	return more;
}

/* --- to the guest (rx ring) ---------------------------------------- */

/* Puts header h (and the payload already read behind it) into chain c. */
static void rx_put(struct vsock_muxer *m, struct virtq *q, const struct virtq_chain *c,
		   const struct vsock_hdr *h)
{
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_hdr_encode(h, raw);
	iov_from_buf(c->iov + c->nr_out, c->nr_in, 0, raw, sizeof(raw));
	virtq_push(q, c, VSOCK_HDR_SIZE + h->len);
	STAT(m, rx_packets, 1);
	STAT(m, rx_bytes, h->len);
}

/* A control packet v owes, into h: false when it owes none. */
static bool conn_ctl_pkt(struct vsock_muxer *m, struct vconn *v, struct vsock_hdr *h)
{
	static const struct { unsigned bit; uint16_t op; } order[] = {
		{ VSOCK_PEND_REQUEST, VSOCK_OP_REQUEST },
		{ VSOCK_PEND_RESPONSE, VSOCK_OP_RESPONSE },
		{ VSOCK_PEND_SHUTDOWN, VSOCK_OP_SHUTDOWN },
		{ VSOCK_PEND_CREDIT_REQUEST, VSOCK_OP_CREDIT_REQUEST },
		{ VSOCK_PEND_CREDIT_UPDATE, VSOCK_OP_CREDIT_UPDATE },
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(v->c.pending & order[i].bit))
			continue;
		v->c.pending &= ~order[i].bit;
		vsock_conn_hdr(&v->c, m->cid, order[i].op, 0,
			       order[i].op == VSOCK_OP_SHUTDOWN ? VSOCK_SHUTDOWN_BOTH : 0, h);
		if (order[i].op == VSOCK_OP_SHUTDOWN)
			conn_timer(m, v);
		return true;
	}
	return false;
}

static bool wants_data(const struct vconn *v)
{
	return v->readable && v->c.state == VSOCK_CONN_ESTABLISHED &&
	       !(v->c.peer_shut & VSOCK_SHUTDOWN_RCV) && vsock_conn_peer_credit(&v->c) > 0;
}

/* Reads host data for v into chain c behind the header. 1: a packet is
 * in c; 0: nothing to read (c unused); -1: the connection ended. */
static int conn_read(struct vsock_muxer *m, struct vconn *v, const struct virtq_chain *c,
		     struct vsock_hdr *h)
{
	struct iovec data[MAX_IOV];
	uint64_t room = c->in_len - VSOCK_HDR_SIZE;
	uint32_t max = vsock_conn_peer_credit(&v->c);
	int n;
	ssize_t r;

	if (room < max)
		max = (uint32_t)room;
	if (max > VSOCK_MAX_PAYLOAD)
		max = VSOCK_MAX_PAYLOAD;
	/* A buffer with room for a header only: a read of no bytes would
	 * look like the host's end. */
	if (!max)
		return 0;
	n = iov_slice(c->iov + c->nr_out, c->nr_in, VSOCK_HDR_SIZE, max, data, MAX_IOV);
	if (n < 0)
		return 0;
	r = readv(v->fd, data, n);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		v->readable = false;
		return 0;
	}
	if (r <= 0) {
		if (r < 0)
			STAT(m, rx_read_fails, 1);
		v->readable = false;
		vsock_conn_host_eof(&v->c);
		return -1;
	}
	vsock_conn_hdr(&v->c, m->cid, VSOCK_OP_RW, (uint32_t)r, 0, h);
	vsock_conn_sent(&v->c, (uint32_t)r);
	return 1;
}

/* The next packet for the guest into chain c: 1 when c holds one, 0 when
 * nothing is owed. */
static int next_rx(struct vsock_muxer *m, const struct virtq_chain *c, struct vsock_hdr *h)
{
	if (m->rst_len) {
		*h = m->rst[m->rst_head];
		m->rst_head = (m->rst_head + 1) % VSOCK_RST_QUEUE;
		m->rst_len--;
		return 1;
	}
	for (unsigned k = 0; k < NR_SLOTS; k++) {
		unsigned i = (m->rr + k) % NR_SLOTS;
		struct vconn *v = &m->conns[i];

		if (!v->used)
			continue;
		if (v->killed) {
			*h = rst_hdr(m, v->c.local_port, v->c.peer_port);
			conn_remove(m, v, false);
			m->rr = i + 1;
			return 1;
		}
		if (conn_ctl_pkt(m, v, h)) {
			m->rr = i + 1;
			return 1;
		}
		if (wants_data(v)) {
			int r = conn_read(m, v, c, h);
			if (r > 0) {
				m->rr = i + 1;
				return 1;
			}
			if (r < 0 && conn_ctl_pkt(m, v, h))
				return 1;
		}
		if (v->readable && v->c.state == VSOCK_CONN_ESTABLISHED &&
		    !vsock_conn_peer_credit(&v->c)) {
			vsock_conn_want_credit(&v->c);
			if (conn_ctl_pkt(m, v, h))
				return 1;
		}
	}
	return 0;
}

static bool rx_owed(const struct vsock_muxer *m)
{
	if (m->rst_len)
		return true;
	for (unsigned i = 0; i < NR_SLOTS; i++) {
		const struct vconn *v = &m->conns[i];
		if (v->used && (v->killed || v->c.pending || wants_data(v) ||
				(v->readable && v->c.state == VSOCK_CONN_ESTABLISHED &&
				 !v->c.credit_asked)))
			return true;
	}
	return false;
}

/* Fills the rx ring's buffers with what is owed, at most PASS_BUDGET
 * tries: true when it ended with more owed and buffers left. */
static bool fill_rx(struct vsock_muxer *m)
{
	struct virtq *q = m->ring[VSOCK_RX_RING];
	struct virtq_chain c = { .iov = m->iov, .cap = MAX_IOV };
	bool pushed = false, more = false;

	for (unsigned n = 0; q && !m->reset_unacked && rx_owed(m); n++) {
		struct vsock_hdr h;

		if (n == PASS_BUDGET) {
			more = true;
			break;
		}
		if (virtq_pop(q, &c) != 1) {
			if (virtq_rearm(q))
				continue;
			break;
		}
		if (c.nr_out || c.in_len < VSOCK_HDR_SIZE) {
			/* Not a receive buffer: given back empty. */
			STAT(m, bad_packets, 1);
			virtq_push(q, &c, 0);
			pushed = true;
			continue;
		}
		if (!next_rx(m, &c, &h)) {
			virtq_unpop(q, 1);
			break;
		}
		rx_put(m, q, &c, &h);
		pushed = true;
	}
	if (pushed)
		virtq_notify(q);
	return more;
}

/* Whether the guest gave back an event buffer since the reset was sent;
 * if not, asks for a kick when it does. */
static void check_reset_acked(struct vsock_muxer *m)
{
	struct virtq *q = m->ring[VSOCK_EVT_RING];

	if (m->reset_unacked && q && virtq_rearm_at(q, m->reset_avail))
		m->reset_unacked = false;
}

/* TRANSPORT_RESET: the guest drops every connection it has (a card that
 * takes over rings in use, after a snapshot's restore, knows none). */
static void send_reset_event(struct vsock_muxer *m)
{
	struct virtq *q = m->ring[VSOCK_EVT_RING];
	struct virtq_chain c = { .iov = m->iov, .cap = MAX_IOV };
	uint32_t ev = htole32(VSOCK_EVENT_TRANSPORT_RESET);

	if (!m->reset_owed || !q || virtq_pop(q, &c) != 1)
		return;
	if (c.in_len >= VSOCK_EVENT_SIZE) {
		iov_from_buf(c.iov + c.nr_out, c.nr_in, 0, &ev, sizeof(ev));
		m->reset_owed = false;
		/* Nothing goes to the guest until it has handled the event,
		 * or a connection made now would be reset with the old ones.
		 * Its driver then gives the buffer back: an entry beyond the
		 * ones available now (read before the push, so a refill is
		 * never counted in). A kick alone says nothing: the front-end
		 * kicks every ring it starts, and that kick may come later. */
		m->reset_unacked = true;
		m->reset_avail = virtq_avail_idx(q);
		virtq_push(q, &c, VSOCK_EVENT_SIZE);
		check_reset_acked(m);
		log_info("vsock: transport reset sent to the guest");
	} else {
		virtq_push(q, &c, 0);
	}
	virtq_notify(q);
}

/* --- host side ----------------------------------------------------- */

static void accept_host(struct vsock_muxer *m)
{
	for (;;) {
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vconn *v;

		if (fd < 0)
			return;
		if (!(v = conn_add(m, fd, 0, 0, VSOCK_CONN_HOST_CMD))) {
			log_warn("vsock: %u host connections await their CONNECT line already: "
				 "one more closed", VSOCK_MAX_HOST_CMD);
			close(fd);
			continue;
		}
		conn_timer(m, v);
	}
}

/* Bytes of a host connection's "CONNECT <port>\n", one at a time so that
 * data the host sends right behind it stays in the socket. */
static void host_cmd(struct vsock_muxer *m, struct vconn *v)
{
	uint32_t port;
	int r = 0;

	while (!r) {
		ssize_t n = read(v->fd, v->cmd + v->cmd_len, 1);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_remove(m, v, false);
			return;
		}
		v->cmd_len++;
		r = vsock_parse_connect(v->cmd, v->cmd_len, sizeof(v->cmd), &port);
	}
	if (r < 0) {
		log_debug("vsock: a host connection sent no CONNECT <port> line: closed");
		conn_remove(m, v, true);
		return;
	}
	if (conn_full(m, VSOCK_CONN_CONNECTING)) {
		log_warn("vsock: %u connections already: host connection closed",
			 VSOCK_MAX_CONNS);
		conn_remove(m, v, true);
		return;
	}
	v->c.local_port = alloc_port(m);
	v->c.peer_port = port;
	v->c.state = VSOCK_CONN_CONNECTING;
	v->c.pending |= VSOCK_PEND_REQUEST;
	m->nr_cmds--;      /* counted with the connections from now on */
	m->nr_conns++;
	/* Its REQUEST must go out and be answered in that time: a guest
	 * that takes no packets cannot keep the host program waiting. */
	conn_timer(m, v);
}

/* v's socket can take bytes (EPOLLOUT), or will take none ever again
 * (gone: hung up or failed): what v holds goes out, or the connection
 * ends. False when it ended. A hang-up stays reported while the socket is
 * in the epoll set, and a guest that gives no credit never lets the card
 * read the EOF behind it: the bytes held are what ends the connection. */
static bool conn_writable(struct vsock_muxer *m, struct vconn *v, bool gone)
{
	if (conn_flush(m, v) < 0 || (gone && v->buf_len) || (v->finish && !v->buf_len)) {
		conn_reset(m, v);
		return false;
	}
	return true;
}

static void conn_event(struct vsock_muxer *m, struct vconn *v, unsigned events)
{
	bool gone = events & (EPOLLHUP | EPOLLERR);

	if (v->c.state == VSOCK_CONN_HOST_CMD) {
		host_cmd(m, v);
		return;
	}
	if (v->c.state == VSOCK_CONN_CONNECTING) {
		/* The host left before the guest answered. */
		if (gone)
			conn_reset(m, v);
		return;
	}
	if (((events & EPOLLOUT) || (gone && v->buf_len)) && !conn_writable(m, v, gone))
		return;
	/* A hang-up reads as EOF: conn_read finds it. */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		v->readable = true;
}

/* What to wait for on v's socket now. */
static void conn_rewatch(struct vsock_muxer *m, unsigned i)
{
	struct vconn *v = &m->conns[i];
	unsigned want = 0;

	if (v->killed)
		return;
	if (v->c.state == VSOCK_CONN_HOST_CMD)
		want = EPOLLIN;
	else if (v->c.state == VSOCK_CONN_CONNECTING)
		/* Its hang-up only: the bytes the host sent behind its line
		 * wait in the socket for the guest's answer, and a host that
		 * shut down its writing side only (sent all, awaits the
		 * answer) is still there. */
		want = EPOLLHUP;
	else if (v->c.state == VSOCK_CONN_ESTABLISHED && !v->readable && !v->c.host_eof &&
		 !(v->c.peer_shut & VSOCK_SHUTDOWN_RCV))
		want = EPOLLIN;
	if (v->buf_len)
		want |= EPOLLOUT;
	if (want != v->events) {
		watch(m, v->fd, TAG_CONN + i, want,
		      !want ? EPOLL_CTL_DEL : v->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
		v->events = want;
	}
}

/* Resets the connections past their deadline; sets the next one. */
static void expire(struct vsock_muxer *m)
{
	uint64_t now = now_ms(), next = 0;

	for (unsigned i = 0; i < NR_SLOTS; i++) {
		struct vconn *v = &m->conns[i];
		if (!v->used || !v->deadline)
			continue;
		if (v->deadline <= now) {
			log_debug("vsock: connection %u:%u timed out", v->c.local_port,
				  v->c.peer_port);
			conn_reset(m, v);
			continue;
		}
		if (!next || v->deadline < next)
			next = v->deadline;
	}
	m->next_deadline = next;
}

/* How long the worker may sleep (ms, -1: until an event). */
static int wait_ms(const struct vsock_muxer *m)
{
	uint64_t now = now_ms();

	if (!m->next_deadline)
		return -1;
	return m->next_deadline > now ? (int)(m->next_deadline - now) : 0;
}

/* The driver is gone (vu_device_ops.reset): the connections it knew of
 * end with it, as do the RSTs owed to it and what the card knew of its
 * rings; a host connection it never heard of waits for the next driver
 * (within its timeout). */
static void driver_gone(struct vsock_muxer *m)
{
	for (unsigned i = 0; i < NR_SLOTS; i++)
		if (m->conns[i].used && guest_knows(&m->conns[i]))
			conn_remove(m, &m->conns[i], true);
	m->rst_len = 0;
	m->seen = 0;
	m->took_over = m->reset_owed = m->reset_unacked = false;
}

/* --- commands from the vhost-user thread --------------------------- */

static void ring_start(struct vsock_muxer *m, unsigned idx, struct virtq *q)
{
	/* A ring that starts again is the same driver's, wherever it
	 * starts (a pause, a new memory table or log: a ring at 0 may be one
	 * the guest has not used yet); a new driver comes after a reset
	 * (driver_gone). A ring this card never ran that starts past 0 was
	 * in use before this card (a restored snapshot): the guest must
	 * forget its connections, and the ports the old card gave them may
	 * still name sockets the guest has not closed yet, so new ones are
	 * drawn from elsewhere. */
	if (!(m->seen & (1u << idx)) && (q->last_avail || q->used_idx) && !m->took_over) {
		m->took_over = m->reset_owed = true;
		m->next_port = port_after_restore();
	}
	m->seen |= 1u << idx;
	m->ring[idx] = q;
	watch(m, q->kickfd, TAG_KICK_RX + idx, EPOLLIN, EPOLL_CTL_ADD);
}

static void ring_stop(struct vsock_muxer *m, unsigned idx)
{
	struct virtq *q = m->ring[idx];

	if (!q)
		return;
	watch(m, q->kickfd, 0, 0, EPOLL_CTL_DEL);
	m->ring[idx] = NULL;
}

static void take_cmd(struct vsock_muxer *m)
{
	uint64_t v;

	if (read(m->cmd_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("vsock: command eventfd: %s", strerror(errno));
	pthread_mutex_lock(&m->lock);
	if (m->op == CMD_START)
		ring_start(m, m->cmd_idx, m->cmd_q);
	else if (m->op == CMD_STOP)
		ring_stop(m, m->cmd_idx);
	else if (m->op == CMD_RESET)
		driver_gone(m);
	m->op = CMD_NONE;
	pthread_cond_broadcast(&m->done);
	pthread_mutex_unlock(&m->lock);
}

static void *worker(void *arg)
{
	struct vsock_muxer *m = arg;
	struct epoll_event evs[64];
	int timeout = -1;

	pthread_setname_np(pthread_self(), "vsock-w");
	pthread_mutex_lock(&m->lock);
	m->running = true;
	pthread_cond_broadcast(&m->done);
	pthread_mutex_unlock(&m->lock);
	for (;;) {
		int n = epoll_wait(m->ep, evs, 64, timeout);

		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_CMD) {
				take_cmd(m);
			} else if (tag < TAG_LISTEN) {
				struct virtq *q = m->ring[tag - TAG_KICK_RX];
				if (q && !virtq_take_kicks(q->kickfd))
					log_warn("vsock: kick fd: %s", strerror(errno));
				if (tag == TAG_KICK_EVT)
					check_reset_acked(m);
			} else if (tag == TAG_LISTEN) {
				accept_host(m);
			} else if (m->conns[tag - TAG_CONN].used) {
				conn_event(m, &m->conns[tag - TAG_CONN], evs[i].events);
			}
		}
		/* Every source is looked at on every turn: the work of one
		 * (a guest's CREDIT_UPDATE) unblocks another (a host read). */
		send_reset_event(m);
		bool more = handle_tx(m);
		/* The connections past their deadline end before fill_rx,
		 * which sends their RSTs in this pass; the wait is worked out
		 * after it, since it sets deadlines too (a SHUTDOWN's). */
		expire(m);
		more = fill_rx(m) || more;
		for (unsigned i = 0; i < NR_SLOTS; i++)
			if (m->conns[i].used)
				conn_rewatch(m, i);
		timeout = more ? 0 : wait_ms(m);
	}
	return NULL;
}

static void send_cmd(struct vsock_muxer *m, enum cmd_op op, unsigned idx, struct virtq *q)
{
	uint64_t one = 1;

	pthread_mutex_lock(&m->lock);
	m->op = op;
	m->cmd_idx = idx;
	m->cmd_q = q;
	if (write(m->cmd_fd, &one, sizeof(one)) < 0)
		log_warn("vsock: command eventfd: %s", strerror(errno));
	while (m->op != CMD_NONE)
		pthread_cond_wait(&m->done, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

/* --- vhost-user device --------------------------------------------- */

static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	const struct vsock_device *d = dev;
	uint64_t cid = htole64(d->cid);

	memcpy(buf, (const uint8_t *)&cid + off, len);
}

static void set_features(void *dev, uint64_t features)
{
	(void)dev;
	(void)features;
}

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	struct vsock_device *d = dev;

	if (idx >= VSOCK_NR_RINGS)
		return azerr_set(e, "vsock has %d rings, not %u", VSOCK_NR_RINGS, idx + 1);
	send_cmd(d->mux, CMD_START, idx, q);
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	struct vsock_device *d = dev;

	(void)q;
	send_cmd(d->mux, CMD_STOP, idx, NULL);
}

static void reset(void *dev)
{
	struct vsock_device *d = dev;

	send_cmd(d->mux, CMD_RESET, 0, NULL);
}

static const struct vu_device_ops vsock_ops = {
	.get_config = get_config,
	.set_features = set_features,
	.queue_start = queue_start,
	.queue_stop = queue_stop,
	.reset = reset,
};

int vsock_device_init(struct vsock_device *d, uint64_t cid, int listen_fd,
		      const char *base, struct card_vsock_stats *stats, struct azerr *e)
{
	struct vsock_muxer *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return azerr_set(e, "vsock: out of memory");
	*m = (struct vsock_muxer){ .cid = cid, .listen_fd = listen_fd, .base = base,
				   .stats = stats, .next_port = HOST_PORT_FIRST - 1 };
	m->ep = epoll_create1(EPOLL_CLOEXEC);
	m->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->ep < 0 || m->cmd_fd < 0) {
		azerr_set(e, "vsock: cannot create its epoll or eventfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->done, NULL);
	watch(m, m->cmd_fd, TAG_CMD, EPOLLIN, EPOLL_CTL_ADD);
	watch(m, listen_fd, TAG_LISTEN, EPOLLIN, EPOLL_CTL_ADD);
	if ((err = pthread_create(&m->thread, NULL, worker, m))) {
		azerr_set(e, "vsock: cannot start its worker: %s", strerror(err));
		goto fail;
	}
	/* Its start-up is over before the seccomp filter arrives. */
	pthread_mutex_lock(&m->lock);
	while (!m->running)
		pthread_cond_wait(&m->done, &m->lock);
	pthread_mutex_unlock(&m->lock);
	d->cid = cid;
	d->mux = m;
	d->vu = (struct vu_device){
		.ops = &vsock_ops, .dev = d,
		.features = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES),
		.protocol_features = VU_BACKEND_PROTOCOL_FEATURES,
		.nr_queues = VSOCK_NR_RINGS,
		.config_size = VSOCK_CONFIG_SIZE,
	};
	return 0;
fail:
	if (m->ep >= 0)
		close(m->ep);
	if (m->cmd_fd >= 0)
		close(m->cmd_fd);
	free(m);
	return -1;
}
