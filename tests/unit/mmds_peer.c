#include "mmds_peer.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mmds_mac[6] = { 0x06, 0x01, 0x23, 0x45, 0x67, 0x01 };

void peer_init(struct peer *p, struct mmds *m, uint16_t port)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
	memcpy(p->mac, peer_mac, 6);
	p->ip = htonl(0xac100002);      /* 172.16.0.2 */
	p->mmds_ip = htonl(0xa9fea9fe);
	p->port = port;
	p->dport = 80;
	p->seq = 1000u * port;
	p->win = 65535;
	p->now = 1000;
}

/* One's complement sum, word by word, folded at the end. */
static uint16_t csum(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < an; i++)
		sum += (i & 1) ? a[i] : (uint64_t)a[i] << 8;
	for (size_t i = 0; i < bn; i++)
		sum += (i & 1) ? b[i] : (uint64_t)b[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t tcp_csum(const uint8_t *ip, const uint8_t *tcp, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	return csum(ph, sizeof(ph), tcp, len);
}

size_t peer_frame(const struct peer *p, uint8_t *buf, uint8_t flags,
		  const void *data, size_t len, uint16_t mss)
{
	uint8_t *ip = buf + 14, *t = ip + 20;
	size_t thl = mss ? 24 : 20, tot = 20 + thl + len;
	uint16_t c;

	memcpy(buf, mmds_mac, 6);
	memcpy(buf + 6, p->mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &p->ip, 4);
	memcpy(ip + 16, &p->mmds_ip, 4);
	c = csum(ip, 20, NULL, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	memset(t, 0, thl);
	t[0] = (uint8_t)(p->port >> 8);
	t[1] = (uint8_t)p->port;
	t[2] = (uint8_t)(p->dport >> 8);
	t[3] = (uint8_t)p->dport;
	for (int i = 0; i < 4; i++) {
		t[4 + i] = (uint8_t)(p->seq >> (24 - 8 * i));
		t[8 + i] = (uint8_t)(p->ack >> (24 - 8 * i));
	}
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = flags;
	t[14] = (uint8_t)(p->win >> 8);
	t[15] = (uint8_t)p->win;
	if (mss) {
		t[20] = 2;
		t[21] = 4;
		t[22] = (uint8_t)(mss >> 8);
		t[23] = (uint8_t)mss;
	}
	if (len)
		memcpy(t + thl, data, len);
	c = tcp_csum(ip, t, thl + len);
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
	return 14 + tot;
}

void peer_fix_ip_csum(uint8_t *frame)
{
	uint16_t c;

	frame[24] = frame[25] = 0;
	c = csum(frame + 14, 20, NULL, 0);
	frame[24] = (uint8_t)(c >> 8);
	frame[25] = (uint8_t)c;
}

size_t peer_arp_request(const struct peer *p, uint8_t *buf, uint32_t target)
{
	static const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };

	memset(buf, 0xff, 6);
	memcpy(buf + 6, p->mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x06;
	memcpy(buf + 14, head, 8);
	memcpy(buf + 22, p->mac, 6);
	memcpy(buf + 28, &p->ip, 4);
	memset(buf + 32, 0, 6);
	memcpy(buf + 38, &target, 4);
	return 42;
}

bool peer_send(struct peer *p, uint8_t flags, const void *data, size_t len)
{
	uint8_t buf[4096];
	size_t n = peer_frame(p, buf, flags, data, len,
			      (flags & 0x02) ? 1460 : 0);
	bool mine = mmds_guest_frame(p->m, buf, n, p->now);

	p->seq += (uint32_t)len + !!(flags & 0x02) + !!(flags & 0x01);
	return mine;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)get16(b) << 16 | get16(b + 2);
}

static bool fail(const char **bad, const char *why)
{
	if (bad)
		*bad = why;
	return false;
}

bool peer_recv(struct peer *p, struct peer_seg *s, const char **bad)
{
	uint8_t f[MMDS_FRAME_MAX];
	size_t n = mmds_reply_frame(p->m, f, sizeof(f), p->now);

	if (n == 0)
		return fail(bad, "no frame");
	return peer_parse(p, f, n, s, bad);
}

bool peer_parse(const struct peer *p, const uint8_t *f, size_t n,
		struct peer_seg *s, const char **bad)
{
	const uint8_t *ip = f + 14, *t = ip + 20;
	size_t tot, thl;

	if (n > MMDS_FRAME_MAX || n < 54 || get16(f + 12) != 0x0800)
		return fail(bad, "not IPv4");
	tot = get16(ip + 2);
	if (ip[0] != 0x45 || tot != n - 14 || ip[9] != 6 ||
	    csum(ip, 20, NULL, 0) != 0)
		return fail(bad, "bad IPv4 header");
	if (memcmp(ip + 12, &p->mmds_ip, 4) || memcmp(ip + 16, &p->ip, 4))
		return fail(bad, "wrong addresses");
	thl = (size_t)(t[12] >> 4) * 4;
	if (thl < 20 || thl > tot - 20 || tcp_csum(ip, t, tot - 20) != 0)
		return fail(bad, "bad TCP header or checksum");
	memcpy(s->dst_mac, f, 6);
	memcpy(s->src_mac, f + 6, 6);
	s->sport = get16(t);
	s->dport = get16(t + 2);
	s->seq = get32(t + 4);
	s->ack = get32(t + 8);
	s->flags = t[13];
	s->win = get16(t + 14);
	s->mss = (thl >= 24 && t[20] == 2 && t[21] == 4) ? get16(t + 22) : 0;
	s->len = tot - 20 - thl;
	memcpy(s->data, t + thl, s->len);
	return true;
}

bool peer_connect(struct peer *p)
{
	struct peer_seg s;

	if (!peer_send(p, 0x02, NULL, 0) || !peer_recv(p, &s, NULL))
		return false;
	if (s.flags != 0x12 || s.ack != p->seq || s.mss != 1460)
		return false;
	p->ack = s.seq + 1;
	return peer_send(p, 0x10, NULL, 0) && !mmds_pending(p->m);
}

/* The Content-Length of a complete head in buf, -1 if not yet there. */
static long head_done(const char *buf, size_t n, size_t *head)
{
	const char *e = memmem(buf, n, "\r\n\r\n", 4);
	const char *cl;

	if (!e)
		return -1;
	*head = (size_t)(e - buf) + 4;
	cl = memmem(buf, *head, "Content-Length: ", 16);
	return cl ? strtol(cl + 16, NULL, 10) : 0;
}

char *peer_http(struct peer *p, const char *req, size_t *len)
{
	size_t cap = 1 << 20, n = 0, head = 0;
	char *out = malloc(cap);
	struct peer_seg s;
	long body;

	if (!out || !peer_send(p, 0x18, req, strlen(req)))
		goto fail;
	for (;;) {
		if (!peer_recv(p, &s, NULL) || s.seq != p->ack ||
		    n + s.len > cap)
			goto fail;
		memcpy(out + n, s.data, s.len);
		n += s.len;
		p->ack += (uint32_t)s.len;
		body = head_done(out, n, &head);
		if (s.len)
			peer_send(p, 0x10, NULL, 0);
		if (body >= 0 && n >= head + (size_t)body)
			break;
	}
	*len = n;
	return out;
fail:
	free(out);
	return NULL;
}
