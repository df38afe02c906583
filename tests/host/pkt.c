#include "pkt.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint16_t pkt_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return PKT_ETH_HLEN;
}

size_t pkt_arp_request(uint8_t *f, const struct pkt_addr *src, uint32_t target_ip)
{
	uint8_t *a = f + eth(f, broadcast, src->mac, 0x0806);

	put16(a, 1);                /* Ethernet */
	put16(a + 2, 0x0800);       /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);            /* request */
	memcpy(a + 8, src->mac, 6);
	memcpy(a + 14, &src->ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, &target_ip, 4);
	return PKT_ETH_HLEN + 28;
}

bool pkt_is_arp_reply(const uint8_t *f, size_t len, const struct pkt_addr *to,
		      uint32_t ip, uint8_t mac[6])
{
	const uint8_t *a = f + PKT_ETH_HLEN;

	if (len < PKT_ETH_HLEN + 28 || get16(f + 12) != 0x0806 || get16(a + 6) != 2 ||
	    memcmp(f, to->mac, 6) || memcmp(a + 14, &ip, 4) || memcmp(a + 24, &to->ip, 4))
		return false;
	memcpy(mac, a + 8, 6);
	return true;
}

bool pkt_arp_answer(const uint8_t *f, size_t len, const struct pkt_addr *me,
		    uint8_t *out, size_t *out_len)
{
	const uint8_t *a = f + PKT_ETH_HLEN;

	if (len < PKT_ETH_HLEN + 28 || get16(f + 12) != 0x0806 || get16(a + 6) != 1 ||
	    memcmp(a + 24, &me->ip, 4))
		return false;
	uint8_t *r = out + eth(out, a + 8, me->mac, 0x0806);
	memcpy(r, a, 6);            /* hardware and protocol types, sizes */
	put16(r + 6, 2);            /* reply */
	memcpy(r + 8, me->mac, 6);
	memcpy(r + 14, &me->ip, 4);
	memcpy(r + 18, a + 8, 10);  /* the asker's MAC and IP */
	*out_len = PKT_ETH_HLEN + 28;
	return true;
}

/* IPv4 header at p for a payload of len bytes of protocol proto. */
static size_t ip4(uint8_t *p, const struct pkt_addr *src, const struct pkt_addr *dst,
		  uint8_t proto, size_t len)
{
	memset(p, 0, PKT_IP_HLEN);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(PKT_IP_HLEN + len));
	p[6] = 0x40;                /* don't fragment */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &src->ip, 4);
	memcpy(p + 16, &dst->ip, 4);
	put16(p + 10, pkt_csum(p, PKT_IP_HLEN, 0));
	return PKT_IP_HLEN;
}

/* The sum of the pseudo-header (§RFC 793) for a segment of len bytes. */
static uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)len);
	return (uint16_t)~pkt_csum(ph, sizeof(ph), 0);
}

static uint8_t pattern(uint16_t seq, size_t i)
{
	return (uint8_t)(seq * 31 + i * 7 + 1);
}

size_t pkt_icmp_echo(uint8_t *f, const struct pkt_addr *src, const struct pkt_addr *dst,
		     uint16_t id, uint16_t seq, size_t payload_len, bool partial,
		     uint16_t *csum_start, uint16_t *csum_offset)
{
	size_t n = eth(f, dst->mac, src->mac, 0x0800);
	uint8_t *ip = f + n;
	uint8_t *icmp = ip + ip4(ip, src, dst, 1, 8 + payload_len);

	icmp[0] = 8;                /* echo request */
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (size_t i = 0; i < payload_len; i++)
		icmp[8 + i] = pattern(seq, i);
	if (partial) {
		/* ICMP has no pseudo-header: the device sums from the start. */
		*csum_start = (uint16_t)(icmp - f);
		*csum_offset = 2;
	} else {
		put16(icmp + 2, pkt_csum(icmp, 8 + payload_len, 0));
	}
	return n + PKT_IP_HLEN + 8 + payload_len;
}

bool pkt_is_echo_reply(const uint8_t *f, size_t len, uint16_t id, uint16_t seq,
		       size_t payload_len)
{
	const uint8_t *icmp = f + PKT_ETH_HLEN + PKT_IP_HLEN;

	if (len < PKT_ETH_HLEN + PKT_IP_HLEN + 8 + payload_len ||
	    get16(f + 12) != 0x0800 || f[PKT_ETH_HLEN + 9] != 1 || icmp[0] != 0 ||
	    get16(icmp + 4) != id || get16(icmp + 6) != seq)
		return false;
	/* A correct checksum says the whole reply arrived intact. */
	if (pkt_csum(icmp, 8 + payload_len, 0) != 0)
		return false;
	for (size_t i = 0; i < payload_len; i++)
		if (icmp[8 + i] != pattern(seq, i))
			return false;
	return true;
}

size_t pkt_test_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		      uint32_t seq, size_t len)
{
	size_t n = eth(f, dst, src, PKT_ETH_P_TEST);

	f[n] = (uint8_t)(seq >> 24);
	f[n + 1] = (uint8_t)(seq >> 16);
	f[n + 2] = (uint8_t)(seq >> 8);
	f[n + 3] = (uint8_t)seq;
	for (size_t i = n + 4; i < len; i++)
		f[i] = (uint8_t)(seq + i);
	return len;
}

long pkt_test_seq(const uint8_t *f, size_t len)
{
	if (len < PKT_ETH_HLEN + 4 || get16(f + 12) != PKT_ETH_P_TEST)
		return -1;
	uint32_t seq = (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 |
		       (uint32_t)f[16] << 8 | f[17];
	for (size_t i = PKT_ETH_HLEN + 4; i < len; i++)
		if (f[i] != (uint8_t)(seq + i))
			return -1;
	return seq;
}

size_t pkt_udp(uint8_t *f, const struct pkt_addr *src, const struct pkt_addr *dst,
	       uint16_t sport, uint16_t dport, size_t len)
{
	size_t n = eth(f, dst->mac, src->mac, 0x0800);
	uint8_t *ip = f + n;
	uint8_t *udp = ip + ip4(ip, src, dst, 17, 8 + len);

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0);          /* no checksum (IPv4 allows it) */
	for (size_t i = 0; i < len; i++)
		udp[8 + i] = (uint8_t)i;
	return n + PKT_IP_HLEN + 8 + len;
}

size_t pkt_tcp_big(uint8_t *f, const struct pkt_addr *src, const struct pkt_addr *dst,
		   size_t payload_len, uint16_t *csum_start, uint16_t *csum_offset,
		   uint16_t *hdr_len)
{
	size_t n = eth(f, dst->mac, src->mac, 0x0800);
	uint8_t *ip = f + n;
	uint8_t *tcp = ip + ip4(ip, src, dst, 6, 20 + payload_len);

	memset(tcp, 0, 20);
	put16(tcp, 40000);
	put16(tcp + 2, 9);          /* discard */
	tcp[4] = 1;                 /* sequence number */
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;             /* ACK */
	put16(tcp + 14, 65535);
	for (size_t i = 0; i < payload_len; i++)
		tcp[20 + i] = (uint8_t)(i * 3);
	/* Partial: the pseudo-header sum, not inverted, as Linux leaves it. */
	put16(tcp + 16, (uint16_t)pseudo(ip, 6, 20 + payload_len));
	*csum_start = (uint16_t)(tcp - f);
	*csum_offset = 16;
	*hdr_len = (uint16_t)(tcp + 20 - f);
	return n + PKT_IP_HLEN + 20 + payload_len;
}
