#include "cards/net/pair.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cards/net/ctrl.h"
#include "cards/net/rx.h"
#include "cards/net/tap.h"
#include "cards/net/tx.h"
#include "cards/limiter.h"
#include "common/log.h"

/* Frames handled per direction before looking at the other one (and at
 * commands) again. */
#define NET_BUDGET 256
/* Dropped frames logged per ring start; the rest are only counted. */
#define DROP_LOG_LIMIT 8
#define CTRL_IOV_MAX 16
/* How often the control ring answers VQ_PAIRS_SET over time, after a
 * burst of PAIRS_SET_BURST. Each may move up to 7 TAP queues with
 * TUNSETQUEUE, about a millisecond each under the host's RTNL lock with an
 * expedited RCU grace period (an IPI to every CPU): a driver flipping
 * between 1 and 8 pairs as fast as it is answered would hold the host's
 * network configuration. Drivers send one at probe, on a reset and per
 * `ethtool -L`, and busy-wait for each control command's answer: the
 * burst keeps those, and the commands that follow them at boot (receive
 * mode, MAC table), from ever waiting. */
#define PAIRS_SET_INTERVAL_NS (100 * 1000000ull)
#define PAIRS_SET_BURST       4

struct net_pair {
	unsigned idx;
	int tapfd, cmdfd;
	const struct net_pair_env *env;
	pthread_t thread;

	/* What the controlling threads want, under lock; req and ack count
	 * requests and the last one the worker applied. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned req, ack;
	struct virtq *want[NET_NR_QKINDS];
	bool want_active;

	/* The worker's own state. */
	struct virtq *q[NET_NR_QKINDS];
	bool run[NET_NR_QKINDS];    /* process this ring in this iteration */
	bool kick_dead[NET_NR_QKINDS]; /* its kick fd is not a working eventfd */
	bool attached;              /* the TAP queue gets frames */
	bool active;                /* the driver uses the pair (multiqueue) */
	bool tap_gone;              /* the TAP was deleted: ignored now */
	bool rx_wait_bufs;          /* a frame waits for receive buffers */
	size_t rx_len;              /* its length (0: none read) */
	bool rx_paid;               /* the rx limiter let that frame go */
	bool rx_mmds;               /* that frame is an answer of MMDS's */
	bool tx_wait_tap;           /* a prepared frame waits for the TAP */
	bool tx_more;               /* the budget ran out with chains left */
	bool rx_more;               /* a delivery stopped short (NET_RX_AGAIN) */
	bool ctrl_more;             /* the control ring's budget ran out */
	/* Until when a rate limiter holds each direction back (monotonic
	 * ns, 0: it does not): the TAP is not read, or the transmit ring
	 * not taken from, until then. */
	uint64_t rx_until, tx_until;
	/* Until when the control ring waits after VQ_PAIRS_SET came too
	 * often (0: it does not), and when the pace allows the next one
	 * without a burst (pairs_set_due; see PAIRS_SET_BURST); both kept
	 * across a restart of the ring. */
	uint64_t ctrl_until, pairs_set_due;
	int tx_n;
	unsigned drops_logged;
	struct net_stats st;
	struct virtio_net_hdr_v1 tx_hdr;
	struct virtq_chain tx_chain;
	struct iovec tx_iov[NET_IOV_MAX];
	struct iovec tx_out[NET_IOV_MAX + 1];
	struct net_rx_bufs rxb;
	uint8_t rx_frame[NET_HDR_LEN + NET_MAX_FRAME];
	uint8_t mmds_frame[NET_MAX_FRAME];  /* a transmitted frame MMDS reads */
};

/* One frame through, in the pair's counters and azote's page. */
static void count_frame(struct net_pair *p, bool rx, uint64_t bytes)
{
	struct card_net_stats *s = p->env->stats;

	*(rx ? &p->st.rx_frames : &p->st.tx_frames) += 1;
	*(rx ? &p->st.rx_bytes : &p->st.tx_bytes) += bytes;
	if (s) {
		card_stat_add(rx ? &s->rx_packets : &s->tx_packets, 1);
		card_stat_add(rx ? &s->rx_bytes : &s->tx_bytes, bytes);
	}
}

/* One frame dropped; why (if any) is logged a few times per ring start. */
static void count_drop(struct net_pair *p, bool rx, const char *why)
{
	*(rx ? &p->st.rx_dropped : &p->st.tx_dropped) += 1;
	if (p->env->stats)
		card_stat_add(rx ? &p->env->stats->rx_fails : &p->env->stats->tx_fails, 1);
	if (why && p->drops_logged++ < DROP_LOG_LIMIT)
		log_warn("%s queue pair %u: frame dropped: %s", p->env->tap_name,
			 p->idx, why);
}

static void tap_failed(struct net_pair *p, int err)
{
	log_error("%s queue pair %u: the TAP failed (%s); frames are dropped from "
		  "now on", p->env->tap_name, p->idx, strerror(err));
	p->tap_gone = true;
}

/* Whether limiter l lets a frame of bytes go now (one op, its bytes with
 * the virtio-net header, as Firecracker counts them); if not, counts it
 * and sets *until to when it will. */
static bool admit(struct net_pair *p, struct card_limiter *l, uint64_t bytes,
		  uint64_t *until, bool rx)
{
	uint64_t now, wait;

	if (!l->on)
		return true;
	now = rl_now();
	if (card_limiter_take(l, bytes, now, &wait))
		return true;
	*until = now + wait;
	if (p->env->stats)
		card_stat_add(rx ? &p->env->stats->rx_rate_limiter_throttled
				 : &p->env->stats->tx_rate_limiter_throttled, 1);
	return false;
}

static void tx_run(struct net_pair *p)
{
	struct virtq *q = p->q[NET_TXQ];
	struct azerr e;

	p->tx_more = false;
	if (p->tx_until)
		return;
	for (unsigned budget = NET_BUDGET; budget; budget--) {
		if (!p->tx_wait_tap) {
			if (virtq_pop(q, &p->tx_chain) != 1) {
				if (virtq_rearm(q))
					continue;
				return;
			}
			p->tx_n = net_tx_prepare(&p->tx_chain, p->env->mode, &p->tx_hdr,
						 p->tx_out, NET_IOV_MAX + 1, &e);
			if (p->tx_n >= 0 && p->env->mmds &&
			    net_mmds_tx(p->env->mmds, p->tx_out + 1, (unsigned)p->tx_n - 1,
					p->tx_chain.out_len - p->env->mode->hdr_len,
					p->tx_hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
					p->mmds_frame, sizeof(p->mmds_frame))) {
				virtq_push(q, &p->tx_chain, 0);
				continue;
			}
			/* Frames dropped are not counted against the limit. */
			if (p->tx_n >= 0 && !p->tap_gone &&
			    !admit(p, p->env->tx_limit, p->tx_chain.out_len, &p->tx_until,
				   false)) {
				/* Left on the ring, as Firecracker leaves it. */
				virtq_unpop(q, 1);
				return;
			}
		}
		if (p->tx_n < 0) {
			count_drop(p, false, e.msg);
		} else if (p->tap_gone) {
			count_drop(p, false, NULL);
		} else {
			ssize_t w = writev(p->tapfd, p->tx_out, p->tx_n);
			if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				/* Full: the same frame once the TAP takes more. */
				p->tx_wait_tap = true;
				return;
			}
			int err = errno;
			/* tun says EBADFD once its device is deleted, to every
			 * write from then on: given up for good, as rx_run does
			 * (a pair without a receive ring would not learn it
			 * there), so that what follows is dropped unwritten. */
			if (w < 0 && err == EBADFD)
				tap_failed(p, err);
			if (w < 0)
				count_drop(p, false, p->tap_gone ? NULL : strerror(err));
			else
				count_frame(p, false, (uint64_t)w - p->env->mode->hdr_len);
		}
		p->tx_wait_tap = false;
		virtq_push(q, &p->tx_chain, 0);
	}
	p->tx_more = true;
}

/* The next answer of MMDS into rx_frame, behind a header that asks
 * nothing (no offloads); it is not rate limited. false when none waits. */
static bool rx_take_mmds(struct net_pair *p)
{
	const size_t hdr_len = p->env->mode->hdr_len;
	size_t n;

	if (!p->env->mmds || !p->active)
		return false;
	n = net_mmds_rx(p->env->mmds, p->rx_frame + hdr_len, sizeof(p->rx_frame) - hdr_len);
	if (!n)
		return false;
	memset(p->rx_frame, 0, hdr_len);
	p->rx_len = hdr_len + n;
	p->rx_paid = true;
	p->rx_mmds = true;
	return true;
}

static void rx_run(struct net_pair *p)
{
	const size_t hdr_len = p->env->mode->hdr_len;
	/* A pair out of use reads nothing even while its TAP queue is
	 * attached (a detach that failed, reconcile_tap): §5.1.6.5.5. */
	const bool tap = p->attached && p->active && !p->tap_gone;
	struct azerr e;

	p->rx_more = false;
	if (p->rx_until)
		return;
	for (unsigned budget = NET_BUDGET; budget; budget--) {
		if (!p->rx_len && !rx_take_mmds(p)) {
			if (!tap)
				return;
			ssize_t n = read(p->tapfd, p->rx_frame, sizeof(p->rx_frame));
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN)
					return;
				/* tun says EBADFD once its device is deleted (and
				 * poll POLLERR); any other error is one frame's,
				 * which tun has freed: EINVAL for a GSO type a
				 * virtio-net header cannot carry, say. */
				if (errno == EBADFD) {
					tap_failed(p, errno);
					return;
				}
				char why[64];
				snprintf(why, sizeof(why), "reading the TAP: %s", strerror(errno));
				count_drop(p, true, why);
				continue;
			}
			/* The TAP reports a frame's full length even when it
			 * did not fit. */
			if ((size_t)n > sizeof(p->rx_frame)) {
				count_drop(p, true, "frame from the TAP larger than "
					   "65550 bytes");
				continue;
			}
			p->rx_len = (size_t)n;
		}
		/* The frame's size is known only once read: a frame the
		 * limiter holds back is kept, as one waiting for buffers is,
		 * and the TAP not read meanwhile. Paid once. */
		if (!p->rx_paid) {
			if (!admit(p, p->env->rx_limit, p->rx_len, &p->rx_until, true))
				return;
			p->rx_paid = true;
		}
		switch (net_rx_deliver(p->q[NET_RXQ], &p->rxb, p->env->mode,
				       p->rx_frame, p->rx_len, &e)) {
		case NET_RX_NO_BUFFERS:
			p->rx_wait_bufs = true;
			return;
		case NET_RX_AGAIN:
			p->rx_more = true;
			return;
		case NET_RX_DROPPED:
			count_drop(p, true, e.msg);
			break;
		case NET_RX_DONE:
			count_frame(p, true, p->rx_len - hdr_len);
			break;
		}
		p->rx_len = 0;
		p->rx_paid = false;
		p->rx_mmds = false;
	}
}

/* Counts one VQ_PAIRS_SET against the pace: true when the burst is spent,
 * what follows then waiting on the ring (limit_expire) for its turn, the
 * time by which pairs_set_due is more than the burst's other turns away. */
static bool pairs_set_paced(struct net_pair *p)
{
	uint64_t now = rl_now();
	const uint64_t burst = (PAIRS_SET_BURST - 1) * PAIRS_SET_INTERVAL_NS;

	p->pairs_set_due = (p->pairs_set_due > now ? p->pairs_set_due : now) +
			   PAIRS_SET_INTERVAL_NS;
	if (p->pairs_set_due <= now + burst)
		return false;
	p->ctrl_until = p->pairs_set_due - burst;
	return true;
}

static void ctrl_run(struct net_pair *p)
{
	struct virtq *q = p->q[NET_CTRLQ];
	struct iovec iov[CTRL_IOV_MAX];
	struct virtq_chain c = { .iov = iov, .cap = CTRL_IOV_MAX };
	struct net_ctrl_result r;

	p->ctrl_more = false;
	if (p->ctrl_until)
		return;
	for (unsigned budget = NET_BUDGET; budget; budget--) {
		if (virtq_pop(q, &c) != 1) {
			if (virtq_rearm(q))
				continue;
			return;
		}
		net_ctrl_handle(&c, p->env->ctrl_mq, p->env->max_pairs, &r);
		/* §5.1.6.5.5: the new pairs are in force before the driver
		 * sees the ack. */
		if (r.pairs)
			p->env->set_pairs(p->env->ctx, r.pairs);
		virtq_push(q, &c, r.used_len);
		if (r.pairs && pairs_set_paced(p))
			return;
	}
	p->ctrl_more = true;
}

/* Attaches the TAP queue exactly while the pair receives. attached
 * follows what the kernel did: a TUNSETQUEUE that fails leaves it as it
 * was, and the next request tries again. A queue left attached to a pair
 * out of use is not read (rx_run): what the kernel steers to it waits,
 * then overflows, rather than reaching a receive queue the driver gave
 * up. A queue left detached from a pair in use gets nothing: the kernel
 * steers to the others. */
static void reconcile_tap(struct net_pair *p, bool active)
{
	bool want = p->q[NET_RXQ] && active && !p->tap_gone;

	if (!p->env->multi_queue || want == p->attached)
		return;
	int r = tap_queue_enable(p->tapfd, want);
	if (r < 0)
		log_error("%s queue pair %u: cannot %s the TAP queue: %s; %s",
			  p->env->tap_name, p->idx, want ? "attach" : "detach",
			  strerror(-r), want ? "the host's frames go to the other queues" :
			  "what the host steers to it is not received");
	else
		p->attached = want;
}

/* Lets go of the frame read for the receive ring, if any: the TAP's is
 * dropped, as a TAP may drop it; MMDS's goes back to the stack, which
 * would never send it again, for whichever pair delivers next. */
static void rx_let_go(struct net_pair *p)
{
	p->rx_wait_bufs = false;
	if (!p->rx_len)
		return;
	if (p->rx_mmds)
		net_mmds_give_back(p->env->mmds, p->rx_frame + p->env->mode->hdr_len,
				   p->rx_len - p->env->mode->hdr_len);
	else
		count_drop(p, true, NULL);
	p->rx_len = 0;
	p->rx_paid = false;
	p->rx_mmds = false;
}

/* Gives up ring k: nothing taken from it stays pending. */
static void release(struct net_pair *p, enum net_qkind k)
{
	struct net_stats *s = &p->st;

	/* A frame waiting for room in the TAP was not sent: it goes back to
	 * the ring (it was the last chain taken, and nothing was taken after
	 * it), so that whoever serves the ring next sends it once. Completing
	 * it here would lose it across a snapshot's GET_VRING_BASE. */
	if (k == NET_TXQ && p->tx_wait_tap) {
		virtq_unpop(p->q[k], 1);
		p->tx_wait_tap = false;
	}
	if (k == NET_TXQ) {
		p->tx_more = false;
		p->tx_until = 0;  /* the next ring asks the limiter afresh */
	}
	if (k == NET_CTRLQ)
		p->ctrl_more = false;
	virtq_notify(p->q[k]);
	if (k != NET_RXQ)
		return;
	p->rx_more = false;
	p->rx_until = 0;
	/* A frame read for this ring may not suit the next one: the driver
	 * can renegotiate its header and offloads before that starts. */
	rx_let_go(p);
	log_info("%s queue pair %u: RX %llu frames %llu bytes (%llu dropped), TX "
		 "%llu frames %llu bytes (%llu dropped)", p->env->tap_name, p->idx,
		 (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
		 (unsigned long long)s->rx_dropped, (unsigned long long)s->tx_frames,
		 (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_dropped);
}

/* Applies what the controlling threads asked for, then acknowledges.
 *
 * Only here is a ring given up, and only the pair's own worker runs this,
 * at the top of its loop, between passes: tx_run, rx_run and ctrl_run hold
 * their ring for a whole pass, so a ring released within one would be
 * handed back (queue_stop returns, the server may zero it and unmap guest
 * memory) while the pass still takes from it and completes into it. Hence
 * no request is ever made to a worker by itself (sync_request would wait
 * for ever): the one worker that makes requests, pair 0's answering
 * VQ_PAIRS_SET, makes them to the other pairs only. */
static void apply(struct net_pair *p)
{
	struct virtq *want[NET_NR_QKINDS];

	pthread_mutex_lock(&p->lock);
	unsigned seq = p->req;
	bool active = p->want_active;
	memcpy(want, p->want, sizeof(want));
	pthread_mutex_unlock(&p->lock);
	/* §5.1.6.5.5: once VQ_PAIRS_SET is answered, nothing more is
	 * received on a pair it took out of use, the frame it holds
	 * included. */
	if (p->active && !active)
		rx_let_go(p);
	p->active = active;

	for (int k = 0; k < NET_NR_QKINDS; k++) {
		if (p->q[k] == want[k])
			continue;
		if (p->q[k])
			release(p, k);
		p->q[k] = want[k];
		p->kick_dead[k] = false;
		/* Work may be waiting that was kicked before we had the ring. */
		p->run[k] = want[k] != NULL;
		if (want[k])
			p->drops_logged = 0;
	}
	reconcile_tap(p, active);

	pthread_mutex_lock(&p->lock);
	p->ack = seq;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Reads the pair's own command eventfd's count. (Kick fds are the
 * front-end's: virtq_take_kicks.) */
static void drain(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

/* A kick fd that hangs up, fails or reads short is no eventfd (a front-end
 * gave a pipe or a socket): polling it would spin, so the ring is left
 * idle until the front-end restarts it, as the block card does. */
static void kick_failed(struct net_pair *p, int k, short revents)
{
	p->kick_dead[k] = true;
	log_error("%s queue pair %u: kick fd of ring %d is not a working eventfd "
		  "(poll events 0x%x); ring idle until restarted", p->env->tap_name,
		  p->idx, k, revents);
}

/* The time until the earliest of the limiters' deadlines and the control
 * ring's wait, for ppoll; NULL (no timeout) when nothing is held back. */
static struct timespec *limit_timeout(const struct net_pair *p, struct timespec *ts)
{
	uint64_t until = p->rx_until, now, left;

	if (p->tx_until && (!until || p->tx_until < until))
		until = p->tx_until;
	if (p->ctrl_until && (!until || p->ctrl_until < until))
		until = p->ctrl_until;
	if (!until)
		return NULL;
	now = rl_now();
	left = until > now ? until - now : 0;
	ts->tv_sec = (time_t)(left / 1000000000u);
	ts->tv_nsec = (long)(left % 1000000000u);
	return ts;
}

/* Lets the directions whose limiter deadline has passed run again, and
 * the control ring once its wait is over. */
static void limit_expire(struct net_pair *p)
{
	uint64_t now;

	if (!p->rx_until && !p->tx_until && !p->ctrl_until)
		return;
	now = rl_now();
	if (p->rx_until && now >= p->rx_until) {
		p->rx_until = 0;
		p->run[NET_RXQ] = true;
	}
	if (p->tx_until && now >= p->tx_until) {
		p->tx_until = 0;
		p->run[NET_TXQ] = true;
	}
	if (p->ctrl_until && now >= p->ctrl_until) {
		p->ctrl_until = 0;
		p->run[NET_CTRLQ] = true;
	}
}

static void *worker(void *arg)
{
	struct net_pair *p = arg;
	char name[16];

	/* "net-p1" in /proc/PID/task/TID/comm, before the seccomp filter (the
	 * first apply is what the creating thread waits for). */
	snprintf(name, sizeof(name), "net-p%u", p->idx);
	pthread_setname_np(pthread_self(), name);
	apply(p);
	for (;;) {
		struct pollfd pf[2 + NET_NR_QKINDS];
		int kick_slot[NET_NR_QKINDS];
		int n = 0, tap_slot = -1;

		pf[n++] = (struct pollfd){ .fd = p->cmdfd, .events = POLLIN };
		for (int k = 0; k < NET_NR_QKINDS; k++) {
			kick_slot[k] = -1;
			if (p->q[k] && !p->kick_dead[k]) {
				kick_slot[k] = n;
				pf[n++] = (struct pollfd){ .fd = p->q[k]->kickfd, .events = POLLIN };
			}
		}
		short tap_ev = (p->q[NET_RXQ] && p->attached && p->active &&
				!p->rx_wait_bufs && !p->rx_until ? POLLIN : 0) |
			       (p->tx_wait_tap ? POLLOUT : 0);
		if (tap_ev && !p->tap_gone) {
			tap_slot = n;
			pf[n++] = (struct pollfd){ .fd = p->tapfd, .events = tap_ev };
		}
		/* MMDS's answers have no fd to poll: while one waits and this
		 * pair can take it, the receive ring runs again at once. */
		if (p->env->mmds && p->q[NET_RXQ] && p->active && !p->rx_len &&
		    !p->rx_wait_bufs && !p->rx_until && net_mmds_pending(p->env->mmds))
			p->run[NET_RXQ] = true;
		bool busy = p->tx_more || p->rx_more || p->ctrl_more || p->run[NET_RXQ] ||
			    p->run[NET_TXQ] || p->run[NET_CTRLQ];
		struct timespec zero = { 0, 0 }, ts;
		if (ppoll(pf, (nfds_t)n, busy ? &zero : limit_timeout(p, &ts), NULL) < 0 &&
		    errno != EINTR) {
			log_error("%s queue pair %u: poll: %s", p->env->tap_name, p->idx,
				  strerror(errno));
			abort();
		}
		if (pf[0].revents & POLLIN) {
			drain(p->cmdfd);
			apply(p);
			/* What was polled may be gone (a stopped ring's kick fd
			 * is closed once we let go): poll afresh, and assume
			 * work on every ring meanwhile. */
			for (int k = 0; k < NET_NR_QKINDS; k++)
				p->run[k] = p->q[k] != NULL;
			continue;
		}
		for (int k = 0; k < NET_NR_QKINDS; k++) {
			if (kick_slot[k] < 0 || !pf[kick_slot[k]].revents)
				continue;
			short rev = pf[kick_slot[k]].revents;
			if ((rev & (POLLERR | POLLHUP | POLLNVAL)) ||
			    !virtq_take_kicks(pf[kick_slot[k]].fd))
				kick_failed(p, k, rev);
			else
				p->run[k] = true;
		}
		if (tap_slot >= 0) {
			short rev = pf[tap_slot].revents;
			/* A frame waiting for room is dropped now: nothing
			 * else would wake the ring, whose kicks its avail_event
			 * may have suppressed. */
			if (rev & (POLLERR | POLLHUP | POLLNVAL)) {
				tap_failed(p, EIO);
				if (p->tx_wait_tap)
					p->run[NET_TXQ] = true;
			}
			if (rev & POLLIN)
				p->run[NET_RXQ] = true;
			if (rev & POLLOUT)
				p->run[NET_TXQ] = true;
		}
		limit_expire(p);
		if (p->q[NET_TXQ] && (p->run[NET_TXQ] || p->tx_more))
			tx_run(p);
		if (p->run[NET_RXQ] || p->rx_more) {
			/* A receive kick: buffers came, try the waiting frame. */
			p->rx_wait_bufs = false;
			if (p->q[NET_RXQ])
				rx_run(p);
		}
		if (p->q[NET_CTRLQ] && (p->run[NET_CTRLQ] || p->ctrl_more))
			ctrl_run(p);
		for (int k = 0; k < NET_NR_QKINDS; k++) {
			p->run[k] = false;
			if (p->q[k])
				virtq_notify(p->q[k]);
		}
	}
	return NULL;
}

struct net_pair *net_pair_create(unsigned idx, int tapfd,
				 const struct net_pair_env *env, struct azerr *e)
{
	struct net_pair *p = calloc(1, sizeof(*p));
	int r;

	if (!p) {
		azerr_set(e, "out of memory");
		return NULL;
	}
	p->idx = idx;
	p->tapfd = tapfd;
	p->env = env;
	/* TUNSETIFF attached the queue; the worker detaches it until the
	 * pair receives. */
	p->attached = true;
	p->want_active = true;
	p->tx_chain.iov = p->tx_iov;
	p->tx_chain.cap = NET_IOV_MAX;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->cmdfd = eventfd(0, EFD_CLOEXEC);
	if (p->cmdfd < 0) {
		azerr_set(e, "queue pair %u: eventfd: %s", idx, strerror(errno));
		free(p);
		return NULL;
	}
	p->req = 1;
	r = pthread_create(&p->thread, NULL, worker, p);
	if (r) {
		azerr_set(e, "queue pair %u: cannot start a thread: %s", idx, strerror(r));
		close(p->cmdfd);
		free(p);
		return NULL;
	}
	/* Running now: thread start-up is over before the seccomp filter. */
	pthread_mutex_lock(&p->lock);
	while (p->ack != p->req)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return p;
}

/* Waits until the worker has applied request seq. Never on the worker
 * itself (apply says why). Waiting cannot deadlock: a worker only ever
 * waits for others from the control ring, which only pair 0 serves, and
 * the others wait for no one. */
static void sync_request(struct net_pair *p, unsigned seq)
{
	uint64_t one = 1;

	(void)!write(p->cmdfd, &one, sizeof(one));
	pthread_mutex_lock(&p->lock);
	while ((int)(p->ack - seq) < 0)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void net_pair_set_queue(struct net_pair *p, enum net_qkind k, struct virtq *q)
{
	pthread_mutex_lock(&p->lock);
	p->want[k] = q;
	unsigned seq = ++p->req;
	pthread_mutex_unlock(&p->lock);
	sync_request(p, seq);
}

void net_pair_set_active(struct net_pair *p, bool active)
{
	pthread_mutex_lock(&p->lock);
	p->want_active = active;
	unsigned seq = ++p->req;
	pthread_mutex_unlock(&p->lock);
	sync_request(p, seq);
}

