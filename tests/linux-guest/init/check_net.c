/*
 * net: eth0 has the MAC the VMM was told (lg.mac=), comes up with
 * lg.ip=A.B.C.D/NN, and the host's TAP address lg.peer=A.B.C.D answers ICMP
 * echo: the first reply may take a while (ARP, link up), then every one of
 * PINGS requests must be answered with its own payload. The host end is
 * the host kernel's IP stack, not a responder of ours.
 */
#include "lg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IFNAME "eth0"
#define PINGS 5
#define FIRST_REPLY_MS 20000
#define REPLY_MS 2000
#define PAYLOAD 56

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool check_mac(struct line *l, int sock)
{
	const char *want = param("lg.mac");
	struct ifreq ifr = { .ifr_name = IFNAME };
	const uint8_t *m = (const uint8_t *)ifr.ifr_hwaddr.sa_data;
	char got[18];

	if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0) {
		line_fail(l, "error=no-%s", IFNAME);
		return false;
	}
	snprintf(got, sizeof(got), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	if (!want || strcasecmp(want, got)) {
		line_fail(l, "mac=%s want_mac=%s", got, want ? want : "none");
		return false;
	}
	line_add(l, "mac=%s", got);
	return true;
}

static bool set_addr(int sock, unsigned long req, in_addr_t a)
{
	struct ifreq ifr = { .ifr_name = IFNAME };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	return ioctl(sock, req, &ifr) == 0;
}

bool net_bring_up(struct line *l, int sock)
{
	const char *ip = param("lg.ip");
	struct ifreq ifr = { .ifr_name = IFNAME };
	char addr[32];
	const char *slash;
	struct in_addr a;
	unsigned long bits;

	slash = ip ? strchr(ip, '/') : NULL;
	if (!slash || (size_t)(slash - ip) >= sizeof(addr)) {
		line_fail(l, "error=bad-lg.ip");
		return false;
	}
	memcpy(addr, ip, (size_t)(slash - ip));
	addr[slash - ip] = '\0';
	bits = strtoul(slash + 1, NULL, 10);
	if (!inet_aton(addr, &a) || bits < 1 || bits > 30) {
		line_fail(l, "error=bad-lg.ip");
		return false;
	}
	if (!set_addr(sock, SIOCSIFADDR, a.s_addr) ||
	    !set_addr(sock, SIOCSIFNETMASK, htonl(~0u << (32 - bits)))) {
		line_fail(l, "error=set-address errno=%d", errno);
		return false;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		line_fail(l, "error=get-flags errno=%d", errno);
		return false;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		line_fail(l, "error=link-up errno=%d", errno);
		return false;
	}
	line_add(l, "ip=%s", ip);
	return true;
}

static void make_echo(uint8_t *pkt, uint16_t id, uint16_t seq)
{
	struct icmphdr *h = (struct icmphdr *)pkt;
	size_t i;

	memset(h, 0, sizeof(*h));
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	for (i = 0; i < PAYLOAD; i++)
		pkt[sizeof(*h) + i] = (uint8_t)(seq * 7 + i);
	h->checksum = inet_csum(pkt, sizeof(*h) + PAYLOAD);
}

/* Waits up to ms for the reply to (id, seq) with the payload we sent. */
static bool await_reply(int sock, const uint8_t *sent, uint16_t id, uint16_t seq, int ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int64_t deadline = now_us() + (int64_t)ms * 1000;
	uint8_t buf[1500];
	const struct icmphdr *h;
	size_t hl;
	ssize_t n;

	while (now_us() < deadline) {
		if (poll(&pfd, 1, (int)((deadline - now_us()) / 1000) + 1) != 1)
			continue;
		n = recv(sock, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(struct iphdr))
			continue;
		hl = (size_t)(buf[0] & 0xf) * 4;
		if ((size_t)n < hl + sizeof(*h) + PAYLOAD)
			continue;
		h = (const struct icmphdr *)(buf + hl);
		if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != id ||
		    ntohs(h->un.echo.sequence) != seq)
			continue;
		return !memcmp(buf + hl + sizeof(*h), sent + sizeof(*h), PAYLOAD);
	}
	return false;
}

bool icmp_echo(int icmp, const struct sockaddr_in *to, uint16_t id, uint16_t seq, int ms)
{
	uint8_t pkt[sizeof(struct icmphdr) + PAYLOAD];

	make_echo(pkt, id, seq);
	if (sendto(icmp, pkt, sizeof(pkt), 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return false;
	return await_reply(icmp, pkt, id, seq, ms);
}

static void ping(struct line *l, int icmp)
{
	const char *peer = param("lg.peer");
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint16_t id = (uint16_t)getpid(), seq = 0;
	int64_t start = now_us(), t0, rtt_max = 0;
	int got = 0, i;

	if (!peer || !inet_aton(peer, &to.sin_addr)) {
		line_fail(l, "error=bad-lg.peer");
		return;
	}
	/* Until the first reply: ARP and link bring-up may drop a few. */
	for (;;) {
		if (icmp_echo(icmp, &to, id, ++seq, 500))
			break;
		if (now_us() - start > FIRST_REPLY_MS * 1000) {
			line_fail(l, "peer=%s error=no-reply", peer);
			return;
		}
	}
	for (i = 0; i < PINGS; i++) {
		t0 = now_us();
		if (icmp_echo(icmp, &to, id, ++seq, REPLY_MS)) {
			got++;
			if (now_us() - t0 > rtt_max)
				rtt_max = now_us() - t0;
		}
	}
	if (got != PINGS)
		line_fail(l, "peer=%s replies=%d/%d", peer, got, PINGS);
	else
		line_add(l, "peer=%s replies=%d/%d rtt_max_us=%lld", peer, got, PINGS,
			 (long long)rtt_max);
}

bool check_net(void)
{
	struct line l = { .len = 0 };
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int icmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (sock < 0 || icmp < 0)
		line_fail(&l, "error=socket errno=%d", errno);
	else if (check_mac(&l, sock) && net_bring_up(&l, sock))
		ping(&l, icmp);
	if (sock >= 0)
		close(sock);
	if (icmp >= 0)
		close(icmp);
	return line_emit(&l, "net");
}
