/*
 * snap: Linux's disk, network and kernel log across a snapshot that the
 * host takes while the guest works, and restores in a new VMM process
 * (tests/integration/91-linux-snapshot-restore.sh). Run it after net: eth0
 * up and its peer's ARP entry resolved.
 *
 * lg.snap=NAME:BLOCKS (e.g. vda:40). The guest prints "LINUX snap-go", the
 * host's cue, then for each block i: writes 4 KiB at SNAP_OFFSET + i*4 KiB
 * with O_DIRECT (a header naming the block and lg.seed=, a pattern from
 * both, a CRC-32 of the rest at its end), fdatasyncs, prints
 * "LINUX snap-wrote i", pings lg.peer once and sleeps a little: a loop of
 * several seconds, so that the host pauses it somewhere in the middle. The
 * guest cannot tell that it was restored, so every check is an invariant
 * that a restore done wrong breaks:
 *   - every block it said it wrote reads back whole, with its CRC (a card
 *     that lost or replayed a request, or memory and disk out of step);
 *   - after the loop PINGS echo requests are all answered, and the peer's
 *     ARP entry is the one it had before (the NIC's rings, interrupts and
 *     the TAP carried over);
 *   - the kernel logged nothing at warning level or worse since snap-go
 *     (/dev/kmsg): no timer, clocksource, RCU or driver complaint, but:
 *   - the clocksource watchdog's skew verdicts since snap-go are counted
 *     apart (clock_warnings=, first_clock=), for the host to judge: where
 *     its KVM keeps no stable TSC the watchdog fires with no snapshot at
 *     all, elsewhere a restore that set the clocks wrong is what makes it
 *     fire.
 * The result line has the region's CRC-32 (offset=, bytes=, crc=) for the
 * host to compare with the image.
 *
 * lg.net_queues=N (2 or more, on a guest of N CPUs or more, virtio-pci):
 * Linux put the NIC's N queue pairs in use at probe (VQ_PAIRS_SET, which
 * it never sends again); a round of pings from each of N CPUs (pinned
 * there: XPS sends on that CPU's queue, and the TAP answers a flow on the
 * queue it came in by), before the loop and after it, must have replies
 * come in on pair 1 too ("virtioN-input.1"'s interrupts rise). A card
 * that forgot the pairs in use across the snapshot had the TAP steer
 * every flow to pair 0 (mq_before=, mq_after=: replies, pair 1's
 * interrupts).
 */
#include "lg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SNAP_OFFSET (8u << 20)	/* past what check_blk writes (1..5 MiB) */
#define BLOCK 4096u
#define MAX_BLOCKS 1000u
#define PINGS 5
#define LOOP_PING_MS 300
#define REPLY_MS 2000
#define MAGIC 0x50414e53u	/* "SNAP" */
#define MQ_PINGS 8		/* a round's pings from each CPU, a flow each */

struct snap {
	char dev[48];
	unsigned blocks;
	uint64_t seed;
	struct sockaddr_in peer;
	unsigned net_queues;	/* lg.net_queues=, 1 without */
};

static bool snap_params(struct line *l, struct snap *s)
{
	const char *v = param("lg.snap"), *peer = param("lg.peer");
	char name[32];

	if (!v || sscanf(v, "%31[a-z]:%u", name, &s->blocks) != 2 || !s->blocks ||
	    s->blocks > MAX_BLOCKS) {
		line_fail(l, "error=bad-lg.snap");
		return false;
	}
	snprintf(s->dev, sizeof(s->dev), "/dev/%s", name);
	s->seed = 1;
	param_u64("lg.seed", &s->seed);
	s->peer.sin_family = AF_INET;
	if (!peer || !inet_aton(peer, &s->peer.sin_addr)) {
		line_fail(l, "error=bad-lg.peer");
		return false;
	}
	uint64_t q = 1;
	param_u64("lg.net_queues", &q);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!q || q > CPU_SETSIZE || (q > 1 && cpus < (long)q)) {
		line_fail(l, "error=bad-lg.net_queues net_queues=%llu cpus=%ld",
			  (unsigned long long)q, cpus);
		return false;
	}
	s->net_queues = (unsigned)q;
	return true;
}

/* The NIC's pair 1 receive vector, "virtioN-input.1" (virtio-pci). */
static bool pair1_rx_irq(const char *name, const void *arg)
{
	const char *dash = strrchr(name, '-');

	(void)arg;
	return !strncmp(name, "virtio", 6) && dash && !strcmp(dash, "-input.1");
}

/* MQ_PINGS pings, each its own flow (ICMP id from id), sent from cpu: the
 * replies (0 with the reason on l when it cannot send from there). */
static unsigned pings_from(struct line *l, const struct snap *s, unsigned cpu, uint16_t id)
{
	cpu_set_t one;
	unsigned replies = 0;
	int icmp = -1;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	/* A socket of the CPU's own: no transmit queue remembered from
	 * another. */
	if (sched_setaffinity(0, sizeof(one), &one) < 0 ||
	    (icmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)) < 0) {
		line_fail(l, "error=cannot-send-from cpu=%u errno=%d", cpu, errno);
		return 0;
	}
	for (unsigned i = 0; i < MQ_PINGS; i++)
		replies += icmp_echo(icmp, &s->peer, (uint16_t)(id + i), 0, REPLY_MS);
	close(icmp);
	return replies;
}

/* A round of pings from each of net_queues CPUs; false unless every one
 * was answered and some replies came in on pair 1. when: "before" or
 * "after" the loop. */
static bool mq_round(struct line *l, const struct snap *s, const char *when, uint16_t id)
{
	cpu_set_t all;
	unsigned replies = 0, want = s->net_queues * MQ_PINGS;
	uint64_t pair1 = irq_sum(pair1_rx_irq, NULL);

	if (sched_getaffinity(0, sizeof(all), &all) < 0) {
		line_fail(l, "error=affinity errno=%d", errno);
		return false;
	}
	for (unsigned cpu = 0; cpu < s->net_queues; cpu++)
		replies += pings_from(l, s, cpu, (uint16_t)(id + cpu * MQ_PINGS));
	sched_setaffinity(0, sizeof(all), &all);
	pair1 = irq_sum(pair1_rx_irq, NULL) - pair1;
	line_add(l, "mq_%s=%u/%u,pair1_irqs=%llu", when, replies, want,
		 (unsigned long long)pair1);
	if (replies != want || !pair1) {
		line_fail(l, "error=mq-%s", when);
		return false;
	}
	return true;
}

/* Block i: magic, i, seed, a pattern, and the CRC-32 of all before it. */
static void block_make(uint8_t *b, unsigned i, uint64_t seed)
{
	uint32_t w[3] = { MAGIC, i, (uint32_t)seed }, crc;
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + i + 1;

	memcpy(b, w, sizeof(w));
	for (unsigned o = sizeof(w); o < BLOCK - 4; o++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[o] = (uint8_t)x;
	}
	crc = crc32_update(0, b, BLOCK - 4);
	memcpy(b + BLOCK - 4, &crc, 4);
}

/* The peer's hardware address in /proc/net/arp, if the entry is complete
 * (flags 0x2). */
static bool arp_entry(const struct sockaddr_in *peer, char *mac, size_t size)
{
	char want[INET_ADDRSTRLEN], line[256], ip[64], hw[64];
	unsigned type, flags;
	bool found = false;
	FILE *f = fopen("/proc/net/arp", "re");

	if (!f)
		return false;
	inet_ntop(AF_INET, &peer->sin_addr, want, sizeof(want));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s 0x%x 0x%x %63s", ip, &type, &flags, hw) == 4 &&
		    !strcmp(ip, want) && (flags & 2)) {
			snprintf(mac, size, "%s", hw);
			found = true;
		}
	fclose(f);
	return found;
}

/* Records in /dev/kmsg at warning level or worse, in two kinds: the
 * clocksource watchdog's verdict that the TSC and its watchdog clock
 * skewed ("clocksource: timekeeping watchdog on CPUn: Marking ..." and its
 * indented detail lines; the host judges them, knowing whether its KVM
 * keeps a stable TSC) and the rest, "clocksource: Long readout interval"
 * (a timer that fired a second late) included. */
struct warnings {
	unsigned n, clock;
	char first[81], first_clock[81];
};

/* The records from fd's position on into w. */
static void kmsg_warnings(int fd, struct warnings *w)
{
	char rec[1024];
	const char *text;

	while ((text = kmsg_next_warning(fd, rec, sizeof(rec)))) {
		if (!strncmp(text, "clocksource: timekeeping watchdog", 33) ||
		    !strncmp(text, "clocksource:  ", 14)) {
			if (!w->clock++)
				line_word(w->first_clock, sizeof(w->first_clock), text);
		} else if (!w->n++) {
			line_word(w->first, sizeof(w->first), text);
		}
	}
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The loop the host snapshots: write, sync, report, ping. Returns the
 * echo replies it had; false in *ok on an I/O error. */
static unsigned write_loop(struct line *l, const struct snap *s, int fd, int icmp,
			   uint8_t *b, bool *ok)
{
	uint16_t id = (uint16_t)getpid();
	unsigned i, replies = 0;

	say("LINUX snap-go blocks=%u", s->blocks);
	for (i = 0; i < s->blocks; i++) {
		block_make(b, i, s->seed);
		if (pwrite(fd, b, BLOCK, SNAP_OFFSET + (off_t)i * BLOCK) != BLOCK ||
		    fdatasync(fd) < 0) {
			line_fail(l, "error=write block=%u errno=%d", i, errno);
			*ok = false;
			return replies;
		}
		say("LINUX snap-wrote %u", i);
		replies += icmp_echo(icmp, &s->peer, id, (uint16_t)i, LOOP_PING_MS);
		pause_ms(100);
	}
	return replies;
}

/* Reads every block back; the number that differ from what was written.
 * crc gets the CRC-32 of the whole region. */
static unsigned verify(const struct snap *s, int fd, uint8_t *got, uint8_t *want, uint32_t *crc)
{
	unsigned i, bad = 0;

	*crc = 0;
	for (i = 0; i < s->blocks; i++) {
		block_make(want, i, s->seed);
		if (pread(fd, got, BLOCK, SNAP_OFFSET + (off_t)i * BLOCK) != BLOCK ||
		    memcmp(got, want, BLOCK))
			bad++;
		*crc = crc32_update(*crc, got, BLOCK);
	}
	return bad;
}

static void snap_run(struct line *l, const struct snap *s, int fd, int icmp, int kmsg,
		     uint8_t *b, uint8_t *want)
{
	char mac0[64], mac1[64] = "none";
	uint16_t id = (uint16_t)(getpid() + 1);
	unsigned loop_replies, bad, replies = 0, i;
	struct warnings w = { .n = 0 };
	uint32_t crc;
	bool ok = true;

	if (!arp_entry(&s->peer, mac0, sizeof(mac0))) {
		line_fail(l, "error=no-arp-entry-before");
		return;
	}
	if (s->net_queues > 1 && !mq_round(l, s, "before", 0x4d00))
		return;
	loop_replies = write_loop(l, s, fd, icmp, b, &ok);
	if (!ok)
		return;
	bad = verify(s, fd, b, want, &crc);
	line_add(l, "blocks=%u bad=%u offset=%u bytes=%u crc=%08x", s->blocks, bad,
		 SNAP_OFFSET, s->blocks * BLOCK, crc);
	if (bad)
		line_fail(l, "error=blocks-differ");
	for (i = 0; i < PINGS; i++)
		replies += icmp_echo(icmp, &s->peer, id, (uint16_t)i, REPLY_MS);
	line_add(l, "loop_replies=%u/%u replies=%u/%u", loop_replies, s->blocks, replies,
		 PINGS);
	if (replies != PINGS)
		line_fail(l, "error=pings-lost");
	if (!arp_entry(&s->peer, mac1, sizeof(mac1)) || strcmp(mac0, mac1))
		line_fail(l, "arp_before=%s arp_after=%s", mac0, mac1);
	else
		line_add(l, "arp=%s", mac0);
	if (s->net_queues > 1)
		mq_round(l, s, "after", 0x4e00);
	kmsg_warnings(kmsg, &w);
	if (w.n)
		line_fail(l, "warnings=%u first=%s", w.n, w.first);
	else
		line_add(l, "warnings=0");
	line_add(l, "clock_warnings=%u", w.clock);
	if (w.clock)
		line_add(l, "first_clock=%s", w.first_clock);
}

bool check_snap(void)
{
	struct line l = { .len = 0 };
	struct snap s;
	uint8_t *b = NULL, *want = NULL;
	int fd = -1, icmp = -1, kmsg = -1;

	if (!snap_params(&l, &s))
		return line_emit(&l, "snap");
	/* From the end of the log: what the boot logged is not ours to judge. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0 || lseek(kmsg, 0, SEEK_END) < 0)
		line_fail(&l, "error=kmsg errno=%d", errno);
	else if (posix_memalign((void **)&b, BLOCK, BLOCK) ||
		 posix_memalign((void **)&want, BLOCK, BLOCK))
		line_fail(&l, "error=no-memory");
	else if ((fd = open(s.dev, O_RDWR | O_DIRECT | O_CLOEXEC)) < 0)
		line_fail(&l, "disk=%s error=open errno=%d", s.dev, errno);
	else if ((icmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)) < 0)
		line_fail(&l, "error=socket errno=%d", errno);
	else
		snap_run(&l, &s, fd, icmp, kmsg, b, want);
	if (icmp >= 0)
		close(icmp);
	if (fd >= 0)
		close(fd);
	if (kmsg >= 0)
		close(kmsg);
	free(b);
	free(want);
	return line_emit(&l, "snap");
}
