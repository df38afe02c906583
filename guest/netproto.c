/* Ethernet, ARP and IPv4 header handling for the network tests. */
#include "io.h"
#include "lib.h"
#include "net.h"

#define ARP_LEN       28
#define ARP_REQUEST   1
#define ARP_REPLY     2
#define UDP_HLEN      8
#define RESOLVE_TRIES 10
#define RESOLVE_WAIT_US 300000

static const u8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

u16 net_csum(const u8 *p, u32 len, u32 sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (u32)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

static u32 eth_hdr(u8 *f, const u8 *dst, const u8 *src, u16 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return ETH_HLEN;
}

static void send_arp(struct net *n, u16 op, const u8 *tha, u32 tpa)
{
	u8 f[ETH_HLEN + ARP_LEN];
	u8 *a = f + eth_hdr(f, op == ARP_REQUEST ? broadcast : tha, n->mac, ETH_P_ARP);

	put16(a, 1);               /* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, n->mac, 6);
	put32(a + 14, n->ip);
	memcpy(a + 18, op == ARP_REQUEST ? (const u8 *)"\0\0\0\0\0\0" : tha, 6);
	put32(a + 24, tpa);
	net_tx(n, f, sizeof(f));
	net_tx_kick(n);
}

bool net_handle_arp(struct net *n, const u8 *f, u32 len)
{
	const u8 *a = f + ETH_HLEN;

	if (get16(f + 12) != ETH_P_ARP)
		return false;
	if (len < ETH_HLEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_P_IP ||
	    a[4] != 6 || a[5] != 4)
		return true;   /* ARP, but not for IPv4 over Ethernet: ignore */
	if (get16(a + 6) == ARP_REQUEST && get32(a + 24) == n->ip)
		send_arp(n, ARP_REPLY, a + 8, get32(a + 14));
	else if (get16(a + 6) == ARP_REPLY && get32(a + 14) == n->peer &&
		 get32(a + 24) == n->ip)
		memcpy(n->peer_mac, a + 8, 6);
	return true;
}

bool net_resolve_peer(struct net *n, struct report *r)
{
	static const u8 zero[6];

	for (int i = 0; i < RESOLVE_TRIES; i++) {
		u64 t0 = rdtsc(), limit = tsc_from_us(RESOLVE_WAIT_US);

		send_arp(n, ARP_REQUEST, NULL, n->peer);
		while (rdtsc() - t0 < limit) {
			u8 *f;
			u32 len;
			u16 head;
			int got = net_rx(n, &f, &len, &head);

			if (got < 0) {
				rep_fail(r, "%s", n->v.why);
				return false;
			}
			if (!got) {
				cpu_relax();
				continue;
			}
			net_handle_arp(n, f, len);
			net_rx_done(n, head);
			if (memcmp(n->peer_mac, zero, 6)) {
				rep_kv(r, "peer_mac=%02x:%02x:%02x:%02x:%02x:%02x",
				       n->peer_mac[0], n->peer_mac[1], n->peer_mac[2],
				       n->peer_mac[3], n->peer_mac[4], n->peer_mac[5]);
				return true;
			}
		}
		if (net_tx_reclaim(n) < 0) {
			rep_fail(r, "%s", n->v.why);
			return false;
		}
	}
	rep_fail(r, "reason=arp_no_reply");
	return false;
}

u32 net_ipv4_hdr(struct net *n, u8 *f, u8 proto, u32 payload_len, u16 id)
{
	u8 *ip = f + eth_hdr(f, n->peer_mac, n->mac, ETH_P_IP);

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (u16)(IP_HLEN + payload_len));
	put16(ip + 4, id);
	put16(ip + 6, 0x4000);    /* DF */
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	put32(ip + 12, n->ip);
	put32(ip + 16, n->peer);
	put16(ip + 10, net_csum(ip, IP_HLEN, 0));
	return ETH_HLEN + IP_HLEN;
}

u32 net_udp_hdr(struct net *n, u8 *f, u16 sport, u16 dport, u32 payload_len)
{
	u32 off = net_ipv4_hdr(n, f, IPPROTO_UDP, UDP_HLEN + payload_len, 0);
	u8 *u = f + off;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (u16)(UDP_HLEN + payload_len));
	put16(u + 6, 0);          /* no checksum: allowed over IPv4 */
	return off + UDP_HLEN;
}
