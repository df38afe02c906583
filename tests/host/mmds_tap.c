/* mmds-tap: MMDS's network stack (src/cards/net/mmds*.c) on a TAP, with
 * the kernel on the TAP's other side as the guest: its ARP, its TCP, and
 * whatever HTTP client runs there (test 55). No VM, no card: frames go
 * from the TAP straight to mmds_guest_frame, answers straight back.
 *
 *   mmds-tap --tap NAME --data FILE [--version 1|2] [--ip A.B.C.D]
 *
 * The TAP must exist (ip tuntap add) in this process's network namespace.
 * "ready" on stdout once it serves; SIGTERM or SIGINT ends it (exit 0,
 * everything freed); exit 2 on a setup error. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cards/net/mmds.h"
#include "common/err.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: mmds-tap --tap NAME --data FILE [--version 1|2] "
		"[--ip A.B.C.D]\n");
	return 2;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 20;
	char *buf = malloc(cap);

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return buf;
}

static int serve(int fd, struct mmds *m)
{
	static uint8_t buf[65536];

	while (!stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("mmds-tap: poll");
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			mmds_guest_frame(m, buf, (size_t)n, now_ms());
		/* The TAP never refuses a frame: take them all now. */
		while (mmds_pending(m)) {
			size_t len = mmds_reply_frame(m, buf, sizeof(buf), now_ms());

			if (write(fd, buf, len) != (ssize_t)len) {
				perror("mmds-tap: write");
				return 1;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *tap = NULL, *data = NULL;
	struct mmds_config c = { htonl(0xa9fea9fe), 1, false };
	struct sigaction sa = { .sa_handler = on_signal };
	struct ifreq ifr = { 0 };
	struct azerr e;
	struct mmds *m;
	size_t len;
	char *doc;
	int fd, rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--tap"))
			tap = argv[i + 1];
		else if (!strcmp(argv[i], "--data"))
			data = argv[i + 1];
		else if (!strcmp(argv[i], "--version"))
			c.version = (uint8_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--ip") && inet_pton(AF_INET, argv[i + 1], &c.ipv4) == 1)
			continue;
		else
			return usage();
	}
	if (!tap || !data || argc % 2 == 0 || strlen(tap) >= IFNAMSIZ)
		return usage();
	doc = slurp(data, &len);
	m = mmds_new();
	if (!doc || !m) {
		fprintf(stderr, "mmds-tap: %s: cannot read it, or no memory\n", data);
		return 2;
	}
	if (mmds_set_data(m, doc, len, &e) || mmds_configure(m, &c, &e)) {
		fprintf(stderr, "mmds-tap: %s\n", e.msg);
		return 2;
	}
	free(doc);
	strcpy(ifr.ifr_name, tap);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "mmds-tap: TAP %s: %s\n", tap, strerror(errno));
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	rc = serve(fd, m);
	close(fd);
	mmds_free(m);
	return rc;
}
