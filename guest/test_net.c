/* Network tests: net-echo (ICMP echo against the host's own IP stack) and
 * net-bench (UDP packet rates both ways; see README.md). */
#include "io.h"
#include "latency.h"
#include "lib.h"
#include "net.h"

#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8
#define ECHO_ID           0x7072
#define ECHO_TIMEOUT_US   1000000

static u8 echo_byte(u64 seq, u32 j, u32 size)
{
	return (u8)(seq * 31 + j * 7 + size);
}

/* Looks at one received frame: 1 if it is the awaited echo reply and is
 * intact, -1 if it is the awaited reply but damaged, 0 if it is not ours. */
static int check_reply(struct net *n, const u8 *f, u32 len, u16 seq, u32 size)
{
	const u8 *ip = f + ETH_HLEN, *icmp = ip + IP_HLEN;
	u32 icmp_len = 8 + size;

	if (net_handle_arp(n, f, len) || get16(f + 12) != ETH_P_IP ||
	    len < ETH_HLEN + IP_HLEN + 8 || ip[0] != 0x45 ||
	    ip[9] != IPPROTO_ICMP || get32(ip + 12) != n->peer ||
	    get32(ip + 16) != n->ip || icmp[0] != ICMP_ECHO_REPLY ||
	    get16(icmp + 4) != ECHO_ID || get16(icmp + 6) != seq)
		return 0;
	if (net_csum(ip, IP_HLEN, 0) != 0 || get16(ip + 2) != IP_HLEN + icmp_len ||
	    len < ETH_HLEN + IP_HLEN + icmp_len || net_csum(icmp, icmp_len, 0) != 0)
		return -1;
	for (u32 j = 0; j < size; j++)
		if (icmp[8 + j] != echo_byte(seq, j, size))
			return -1;
	return 1;
}

void test_net_echo(struct report *r)
{
	static const u16 sizes[] = { 0, 1, 56, 64, 100, 255, 512, 1000, 1234, 1400, 0xffff };
	struct net n;
	u64 count = param_u64("count", 22, 1, 100000);
	u64 received = 0, lost = 0, bad = 0, rtt_sum = 0, rtt_max = 0, loop0;
	u32 max_size = 0, first_lost = ~0u;
	/* Static: larger than the probe's stack wants. */
	static struct lat_hist rtts;
	u8 *f;

	memset(&rtts, 0, sizeof(rtts));
	if (!net_open(&n, r))
		return;
	f = alloc_pages(NET_BUF);
	if (!f || !net_resolve_peer(&n, r)) {
		if (!f)
			rep_fail(r, "reason=out_of_memory");
		goto out;
	}
	mark("net-echo", "rtt", "start");
	loop0 = rdtsc();
	for (u64 seq = 0; seq < count; seq++) {
		u32 size = MIN((u32)sizes[seq % ARRAY_SIZE(sizes)], n.mtu - IP_HLEN - 8u);
		u32 off = net_ipv4_hdr(&n, f, IPPROTO_ICMP, 8 + size, (u16)seq);
		u8 *icmp = f + off;
		u64 t0, limit = tsc_from_us(ECHO_TIMEOUT_US);
		int verdict = 0;

		icmp[0] = ICMP_ECHO_REQUEST;
		icmp[1] = 0;
		put16(icmp + 2, 0);
		put16(icmp + 4, ECHO_ID);
		put16(icmp + 6, (u16)seq);
		for (u32 j = 0; j < size; j++)
			icmp[8 + j] = echo_byte(seq, j, size);
		put16(icmp + 2, net_csum(icmp, 8 + size, 0));
		max_size = MAX(max_size, size);
		t0 = rdtsc();     /* the kick's VM exit is part of the round trip */
		if (net_tx_reclaim(&n) < 0 || !net_tx(&n, f, off + 8 + size)) {
			rep_fail(r, "reason=tx_failed %s", n.v.why ? n.v.why : "");
			goto out;
		}
		net_tx_kick(&n);
		while (!verdict && rdtsc() - t0 < limit) {
			u8 *rf;
			u32 len;
			u16 head;
			int got = net_rx(&n, &rf, &len, &head);

			if (got < 0) {
				rep_fail(r, "%s", n.v.why);
				goto out;
			}
			if (!got) {
				cpu_relax();
				continue;
			}
			verdict = check_reply(&n, rf, len, (u16)seq, size);
			net_rx_done(&n, head);
		}
		if (verdict > 0) {
			u64 ticks = rdtsc() - t0, rtt = us_from_tsc(ticks);

			lat_add(&rtts, ticks);
			received++;
			rtt_sum += rtt;
			rtt_max = MAX(rtt_max, rtt);
		} else if (verdict < 0) {
			bad++;
		} else {
			if (!lost++)
				first_lost = (u32)seq;
		}
	}
	{
		u64 span = rdtsc() - loop0;

		mark("net-echo", "rtt", "end");
		rep_kv(r, "sent=%lu received=%lu lost=%lu bad=%lu max_payload=%u "
		       "rtt_us_avg=%lu rtt_us_max=%lu", (unsigned long)count,
		       (unsigned long)received, (unsigned long)lost, (unsigned long)bad,
		       max_size, (unsigned long)(received ? rtt_sum / received : 0),
		       (unsigned long)rtt_max);
		/* In TSC ticks, with the loop's length for the host to convert
		 * them by its clock between the marks (latency.h). */
		rep_kv(r, "rtt_ticks=%lu rtt_p50_t=%lu rtt_p90_t=%lu rtt_p99_t=%lu rtt_p999_t=%lu",
		       (unsigned long)span, (unsigned long)lat_percentile(&rtts, 5000),
		       (unsigned long)lat_percentile(&rtts, 9000),
		       (unsigned long)lat_percentile(&rtts, 9900),
		       (unsigned long)lat_percentile(&rtts, 9990));
	}
	if (lost)
		rep_fail(r, "first_lost_seq=%u", first_lost);
	if (bad)
		rep_fail(r, "reason=bad_replies");
out:
	net_close(&n);
}
