/* Offsets are those of the RFCs (791 IPv4, 793 TCP, 826 ARP); every field
 * is read from the frame once it is known to lie inside it. */
#include "cards/net/mmds_wire.h"

#include <string.h>

#include "cards/net/csum.h"
#include "cards/net/mmds.h"

#define ETH_HLEN   14
#define ETH_P_IPV4 0x0800
#define ETH_P_ARP  0x0806
#define ARP_LEN    28
#define IP_HLEN    20
#define TCP_HLEN   20
#define PROTO_TCP  6

static const uint8_t mmds_mac[6] = MMDS_MAC;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The TCP pseudo-header's sum (addresses as they lie in the packet). */
static uint32_t pseudo(const uint8_t src[4], const uint8_t dst[4], size_t len)
{
	uint32_t sum = net_csum_add(0, src, 4);

	sum = net_csum_add(sum, dst, 4);
	return sum + PROTO_TCP + (uint32_t)len;
}

static enum mmds_rx parse_arp(const uint8_t *a, struct mmds_seg *s)
{
	/* Ethernet, IPv4, 6- and 4-byte addresses, a request (the target
	 * address was checked). */
	if (get16(a) != 1 || get16(a + 2) != ETH_P_IPV4 || a[4] != 6 ||
	    a[5] != 4 || get16(a + 6) != 1)
		return MMDS_RX_NOT_OURS;
	memcpy(s->mac, a + 8, 6);
	memcpy(&s->ip, a + 14, 4);
	return MMDS_RX_ARP;
}

static void parse_options(const uint8_t *o, size_t n, struct mmds_seg *s)
{
	for (size_t i = 0; i < n;) {
		if (o[i] == 0)
			return;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i) {
			s->bad_options = true;
			return;
		}
		if (o[i] == 2 && o[i + 1] == 4)
			s->mss = get16(o + i + 2);
		i += o[i + 1];
	}
}

static enum mmds_rx parse_tcp(const uint8_t *ip, size_t ihl, size_t tot,
			      bool check_l4, struct mmds_seg *s)
{
	const uint8_t *t = ip + ihl;
	size_t tl = tot - ihl, off;

	if (tl < TCP_HLEN)
		return MMDS_RX_DROP;
	off = (size_t)(t[12] >> 4) * 4;
	if (off < TCP_HLEN || off > tl)
		return MMDS_RX_DROP;
	if (check_l4 &&
	    net_csum_fold(net_csum_add(pseudo(ip + 12, ip + 16, tl), t, tl)) != 0xffff)
		return MMDS_RX_DROP;
	s->sport = get16(t);
	s->dport = get16(t + 2);
	s->seq = get32(t + 4);
	s->ack = get32(t + 8);
	s->flags = t[13] & 0x3f;
	s->win = get16(t + 14);
	s->mss = 0;
	s->bad_options = false;
	parse_options(t + TCP_HLEN, off - TCP_HLEN, s);
	s->data = t + off;
	s->len = tl - off;
	return MMDS_RX_TCP;
}

bool mmds_wire_is_ours(const uint8_t *frame, size_t len, uint32_t ipv4)
{
	if (len < ETH_HLEN)
		return false;
	if (get16(frame + 12) == ETH_P_ARP)
		return len >= ETH_HLEN + ARP_LEN &&
		       memcmp(frame + ETH_HLEN + 24, &ipv4, 4) == 0;
	return get16(frame + 12) == ETH_P_IPV4 && len >= ETH_HLEN + IP_HLEN &&
	       memcmp(frame + ETH_HLEN + 16, &ipv4, 4) == 0;
}

enum mmds_rx mmds_wire_parse(const uint8_t *frame, size_t len, uint32_t ipv4,
			     bool check_l4, struct mmds_seg *s)
{
	const uint8_t *ip = frame + ETH_HLEN;
	size_t ihl, tot;

	if (!mmds_wire_is_ours(frame, len, ipv4))
		return MMDS_RX_NOT_OURS;
	if (get16(frame + 12) == ETH_P_ARP)
		return parse_arp(ip, s);
	/* To the MMDS address from here on: consumed, used or not. */
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	if (ip[0] >> 4 != 4 || ihl < IP_HLEN || tot < ihl ||
	    tot > len - ETH_HLEN ||
	    net_csum_fold(net_csum_add(0, ip, ihl)) != 0xffff)
		return MMDS_RX_DROP;
	/* No reassembly: MF set or an offset means a fragment. */
	if (get16(ip + 6) & 0x3fff)
		return MMDS_RX_DROP;
	if (ip[9] != PROTO_TCP)
		return MMDS_RX_DROP;
	memcpy(s->mac, frame + 6, 6);
	memcpy(&s->ip, ip + 12, 4);
	return parse_tcp(ip, ihl, tot, check_l4, s);
}

static uint8_t *eth(uint8_t *buf, const uint8_t *dst, uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, mmds_mac, 6);
	put16(buf + 12, type);
	return buf + ETH_HLEN;
}

size_t mmds_wire_tcp(uint8_t *buf, uint32_t ipv4, uint16_t id,
		     const struct mmds_tx *t)
{
	uint8_t *ip = eth(buf, t->mac, ETH_P_IPV4);
	uint8_t *tcp = ip + IP_HLEN;
	size_t thl = TCP_HLEN + (t->mss_option ? 4 : 0);
	size_t tl = thl + t->len;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(IP_HLEN + tl));
	put16(ip + 4, id);
	put16(ip + 6, 0x4000);          /* DF */
	ip[8] = 64;
	ip[9] = PROTO_TCP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &ipv4, 4);
	memcpy(ip + 16, &t->ip, 4);
	put16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, IP_HLEN)));

	put16(tcp, t->sport);
	put16(tcp + 2, t->dport);
	put32(tcp + 4, t->seq);
	put32(tcp + 8, t->ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = t->flags;
	put16(tcp + 14, t->win);
	put16(tcp + 16, 0);
	put16(tcp + 18, 0);
	if (t->mss_option) {
		tcp[20] = 2;
		tcp[21] = 4;
		put16(tcp + 22, MMDS_MSS);
	}
	if (t->len)
		memcpy(tcp + thl, t->data, t->len);
	put16(tcp + 16, (uint16_t)~net_csum_fold(
		net_csum_add(pseudo(ip + 12, ip + 16, tl), tcp, tl)));
	return ETH_HLEN + IP_HLEN + tl;
}

size_t mmds_wire_arp_reply(uint8_t *buf, uint32_t ipv4, const uint8_t mac[6],
			   uint32_t ip)
{
	uint8_t *a = eth(buf, mac, ETH_P_ARP);

	put16(a, 1);
	put16(a + 2, ETH_P_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 2);
	memcpy(a + 8, mmds_mac, 6);
	memcpy(a + 14, &ipv4, 4);
	memcpy(a + 18, mac, 6);
	memcpy(a + 24, &ip, 4);
	return ETH_HLEN + ARP_LEN;
}
