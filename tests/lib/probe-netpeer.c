/* probe-netpeer: the host side of the probe's net-bench.
 *
 *   probe-netpeer --addr IP [--port N] [--lifetime SECS]
 *
 * Binds UDP IP:N (control) and IP:N+1 (sink). The sink is a socket that is
 * never read, with a tiny receive buffer: guest->host frames aimed at it
 * cost the host almost nothing and are counted on the TAP. A datagram
 * "PROBE-GO secs=S size=B" on the control port makes it send B-byte
 * datagrams back to the sender as fast as it can for S seconds (at most
 * 60), or until "PROBE-STOP" arrives. It exits after --lifetime seconds
 * (default 120) or on SIGTERM/SIGINT, printing what it sent on stderr.
 * Bounded by design: traffic goes only to the address that asked for it,
 * and only for a bounded time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH      64
#define MAX_SECS   60
#define MAX_SIZE   1472

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bind_udp(const char *addr, unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "probe-netpeer: cannot bind %s:%u: %s\n", addr,
			port, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Floods `to` from the control socket; stops early on PROBE-STOP. */
static unsigned long flood(int fd, const struct sockaddr_in *to, double secs,
			   size_t size)
{
	static char payload[MAX_SIZE];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { payload, size };
	double end = now() + secs;
	unsigned long sent = 0;
	char buf[64];

	memset(payload, 0x6b, sizeof(payload));
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = (void *)to;
		msgs[i].msg_hdr.msg_namelen = sizeof(*to);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop && now() < end) {
		int n = sendmmsg(fd, msgs, BATCH, MSG_DONTWAIT);

		if (n > 0)
			sent += (unsigned long)n;
		else if (errno != EAGAIN && errno != ENOBUFS)
			break;
		/* the guest says when it has counted enough */
		ssize_t got = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (got > 0) {
			buf[got] = '\0';
			if (!strncmp(buf, "PROBE-STOP", 10))
				break;
		}
	}
	return sent;
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	unsigned port = 9000, lifetime = 120;
	int ctl, sink, rcvbuf = 4096;
	double deadline;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--addr") && i + 1 < argc)
			addr = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--lifetime") && i + 1 < argc)
			lifetime = (unsigned)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: probe-netpeer --addr IP [--port N] [--lifetime SECS]\n");
			return 2;
		}
	}
	if (!addr || port == 0 || port > 65534 || lifetime == 0) {
		fprintf(stderr, "probe-netpeer: need --addr, 0 < port < 65535, lifetime > 0\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ctl = bind_udp(addr, port);
	sink = bind_udp(addr, port + 1);
	setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	deadline = now() + lifetime;
	fprintf(stderr, "probe-netpeer: listening on %s:%u (sink %u)\n", addr, port, port + 1);
	while (!stop && now() < deadline) {
		struct pollfd pfd = { .fd = ctl, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		char buf[128];
		unsigned secs, size;
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recvfrom(ctl, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (sscanf(buf, "PROBE-GO secs=%u size=%u", &secs, &size) != 2)
			continue;
		if (secs > MAX_SECS)
			secs = MAX_SECS;
		if (size > MAX_SIZE)
			size = MAX_SIZE;
		fprintf(stderr, "probe-netpeer: flood to %s:%u for %us, %u bytes\n",
			inet_ntoa(from.sin_addr), ntohs(from.sin_port), secs, size);
		fprintf(stderr, "probe-netpeer: sent %lu datagrams\n",
			flood(ctl, &from, secs, size));
	}
	close(sink);
	close(ctl);
	return 0;
}
