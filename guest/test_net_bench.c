/* net-bench: UDP packet rate guest->host, then host->guest, probe.secs
 * each. Guest->host frames go to the peer's port+1, where the host's
 * tests/lib/probe-netpeer keeps a socket it never reads (the host counts
 * them on the TAP). For host->guest the probe asks probe-netpeer on the
 * peer's port ("PROBE-GO ...") to send it a flood, and counts what arrives. */
#include "io.h"
#include "lib.h"
#include "net.h"

#define GO_INTERVAL_US 250000
#define GO_TRIES       20
#define DRAIN_US       2000000

struct rate {
	u64 pkts, bytes, us;
};

static void rep_rate(struct report *r, const char *dir, const struct rate *x)
{
	u64 us = MAX(x->us, 1ULL);

	rep_kv(r, "%s_pkts=%lu %s_pps=%lu %s_mbit_s=%lu", dir,
	       (unsigned long)x->pkts, dir, (unsigned long)(x->pkts * 1000000 / us),
	       dir, (unsigned long)(x->bytes * 8 / us));
}

/* Every transmit buffer holds the same frame, so a completed descriptor
 * is simply queued again: no copying in the loop. */
static bool tx_phase(struct report *r, struct net *n, u32 frame_len, u64 secs,
		     struct rate *out)
{
	struct virtq *q = &n->tx;
	u64 t0, end, inflight, next_check = 0;
	u16 head;
	u32 len;

	/* frames sent before (ARP) are not part of the count */
	if (net_tx_reclaim(n) < 0) {
		rep_fail(r, "phase=tx %s", n->v.why);
		return false;
	}

	mark("net-bench", "tx", "start");
	t0 = rdtsc();
	end = t0 + tsc_from_us(secs * 1000000);
	for (;;) {
		int got;
		bool more = rdtsc() < end;

		while ((got = vq_poll(q, &head, &len)) > 0)
			out->pkts++;
		inflight = (u64)(q->size - q->num_free);
		if (got < 0 || (!got && vq_device_failed(q, &next_check))) {
			rep_fail(r, "phase=tx %s", n->v.why);
			return false;
		}
		if (!more) {
			if (!inflight || rdtsc() - end > tsc_from_us(DRAIN_US))
				break;
			cpu_relax();
			continue;
		}
		while (q->num_free) {
			struct vq_seg s = { n->txbuf + (u64)q->free_head * NET_BUF,
					    NET_HDR_LEN + frame_len, false };

			vq_add(q, &s, 1);
		}
		vq_kick(q);
	}
	out->us = us_from_tsc(rdtsc() - t0);
	out->bytes = out->pkts * frame_len;
	mark("net-bench", "tx", "end");
	if (inflight) {
		rep_fail(r, "phase=tx reason=tx_not_completed inflight=%lu",
			 (unsigned long)inflight);
		return false;
	}
	return true;
}

static void send_ctl(struct net *n, u8 *f, u16 port, const char *msg)
{
	u32 len = (u32)strlen(msg);
	u32 off = net_udp_hdr(n, f, port, port, len);

	memcpy(f + off, msg, len);
	net_tx_reclaim(n);
	net_tx(n, f, off + len);
	net_tx_kick(n);
}

static bool is_flood(struct net *n, const u8 *f, u32 len, u16 port)
{
	const u8 *ip = f + ETH_HLEN;

	return len >= ETH_HLEN + IP_HLEN + 8 && get16(f + 12) == ETH_P_IP &&
	       ip[0] == 0x45 && ip[9] == IPPROTO_UDP && get32(ip + 12) == n->peer &&
	       get16(ip + IP_HLEN + 2) == port;
}

static bool rx_phase(struct report *r, struct net *n, u8 *f, u16 port,
		     u32 size, u64 secs, struct rate *out)
{
	char go[64];
	u64 t0 = 0, end = 0, last_go = 0, next_check = 0;
	int tries = 0;

	snprintf(go, sizeof(go), "PROBE-GO secs=%lu size=%u", (unsigned long)secs + 1, size);
	for (;;) {
		u8 *rf;
		u32 len;
		u16 head;
		int got;
		u64 now = rdtsc();

		if (t0 && now >= end)
			break;
		if (!t0 && now - last_go > tsc_from_us(GO_INTERVAL_US)) {
			if (tries++ == GO_TRIES) {
				rep_fail(r, "phase=rx reason=no_traffic_from_peer");
				return false;
			}
			send_ctl(n, f, port, go);
			last_go = now;
		}
		got = net_rx(n, &rf, &len, &head);
		/* A back-end that dies mid-flood stops the frames; the device
		 * says so (NEEDS_RESET), and that is a failure, not a slow
		 * phase. */
		if (got < 0 || (!got && vq_device_failed(&n->rx, &next_check))) {
			rep_fail(r, "phase=rx %s", n->v.why);
			return false;
		}
		if (!got) {
			cpu_relax();
			continue;
		}
		if (is_flood(n, rf, len, port)) {
			if (!t0) {
				mark("net-bench", "rx", "start");
				t0 = rdtsc();
				end = t0 + tsc_from_us(secs * 1000000);
			}
			out->pkts++;
			out->bytes += len;
		} else {
			net_handle_arp(n, rf, len);
		}
		net_rx_done(n, head);
	}
	out->us = us_from_tsc(rdtsc() - t0);
	mark("net-bench", "rx", "end");
	send_ctl(n, f, port, "PROBE-STOP");
	return true;
}

void test_net_bench(struct report *r)
{
	struct net n;
	struct rate tx = { 0 }, rx = { 0 };
	u64 secs = param_u64("secs", 2, 1, 600);
	u64 port = param_u64("port", 9000, 1, 65534);
	u64 size = param_u64("size", 18, 0, 1472);
	u32 frame_len;
	u8 *f;

	if (!net_open(&n, r))
		return;
	if (size > n.mtu - 28u) {
		rep_fail(r, "param_error=bad_value key=size max=%u", n.mtu - 28u);
		goto out;
	}
	f = alloc_pages(NET_BUF);
	if (!f) {
		rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	if (!net_resolve_peer(&n, r))
		goto out;
	frame_len = net_udp_hdr(&n, f, (u16)port, (u16)(port + 1), (u32)size) + (u32)size;
	memset(f + frame_len - size, 0x5a, size);
	for (u32 i = 0; i < n.tx.size; i++) {
		memset(n.txbuf + (u64)i * NET_BUF, 0, NET_HDR_LEN);
		memcpy(n.txbuf + (u64)i * NET_BUF + NET_HDR_LEN, f, frame_len);
	}
	rep_kv(r, "secs=%lu frame=%u queue_size=%u", (unsigned long)secs,
	       frame_len, n.tx.size);
	if (!tx_phase(r, &n, frame_len, secs, &tx))
		goto out;
	rep_rate(r, "tx", &tx);
	if (!rx_phase(r, &n, f, (u16)port, (u32)size, secs, &rx))
		goto out;
	rep_rate(r, "rx", &rx);
out:
	net_close(&n);
}
