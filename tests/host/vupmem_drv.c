/* vupmem-drv: a host-only test driver for the pmem card. Like vurng-drv
 * it is a hypervisor and a guest driver in one process: azote's
 * vhost-user front-end sets the card up over a memfd as guest memory, and
 * the driver plays the guest's virtio-pmem driver on the requestq,
 * hostile chains included, and the guest's writes to the region through a
 * shared mapping of the backing file, as azote maps it into the guest.
 *
 *   vupmem-drv [--timeout MS] [--file PATH] [--ro] [--rate R] TEST...
 *              -- CARD ARGS...
 *
 * The card is started as azote does ("{fd}", "{stats}", "{ctl}" as
 * vublk-drv). --file names the card's backing file, --ro says the card was
 * given --ro. Tests: config flush batch durable hostile mode control rate
 * seccomp stats flood (last). "durable" writes through the driver's own mapping of
 * --file, flushes, and reads the bytes back from the file; where the file
 * is on a disk (not tmpfs) it also drops the file's clean pages from the
 * page cache and checks none is left (a dirty page cannot be dropped), so
 * that the bytes read back came from the disk. "rate" flushes one at a
 * time over 2 s and checks the rate against --rate (within 15 %). "stats"
 * checks the counters page against what the driver saw: exact, but for
 * rate_limiter_throttled, which is non-zero exactly when a limit was
 * reached ("rate", "control"). Prints one line per check; exits 0 when all
 * pass, 1 on a failed check, 2 on a setup error. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "drv_card.h"
#include "drv_one_ring.h"
#include "drv_report.h"
#include "drv_ring.h"
#include "iface/card_control.h"
#include "vmm/vhost_frontend.h"
#include "virtio/virtio.h"
#include "virtio/virtio_pmem.h"

#define QSIZE   64
#define UNTOUCHED 0xa5a5a5a5u       /* a status the card did not write */
#define RATE_MS 2000
#define TMPFS_MAGIC_ 0x01021994     /* linux/magic.h's TMPFS_MAGIC */

struct drv {
	struct vu_frontend fe;
	struct drv_mem mem;
	struct drv_vq q;
	uint64_t reqs;              /* QSIZE slots: a type, then a status 32 bytes on */
	int timeout_ms;
	const char *file;           /* --file: the card's backing file */
	bool ro;                    /* --ro: the card was given --ro */
	double want_rate;           /* --rate: flushes a second, 0 when not limited */
	pid_t card_pid;
	int failures;
	/* What the card should have counted. */
	uint64_t requests, fails;
	bool limited;               /* a limit was reached */
};

static uint64_t type_gpa(struct drv *d, unsigned slot)
{
	return d->reqs + 64ull * slot;
}

static uint64_t status_gpa(struct drv *d, unsigned slot)
{
	return type_gpa(d, slot) + 32;
}

static void put32(struct drv *d, uint64_t gpa, uint32_t x)
{
	uint32_t le = htole32(x);

	memcpy(drv_gpa(&d->mem, gpa), &le, sizeof(le));
}

static uint32_t get32(struct drv *d, uint64_t gpa)
{
	uint32_t le;

	memcpy(&le, drv_gpa(&d->mem, gpa), sizeof(le));
	return le32toh(le);
}

/* Posts slot's request as Linux's driver does: the type, readable, then
 * the status, writable (left UNTOUCHED). Does not kick. */
static int post(struct drv *d, unsigned slot, uint32_t type)
{
	struct drv_buf b[2] = { { type_gpa(d, slot), 4, false }, { status_gpa(d, slot), 4, true } };

	put32(d, type_gpa(d, slot), type);
	put32(d, status_gpa(d, slot), UNTOUCHED);
	int head = drv_vq_add(&d->q, b, 2, 0);
	if (head < 0)
		drv_die(2, "ring full");
	return head;
}

/* Waits for the next completion, which must be head's: its used length. */
static uint32_t wait_used(struct drv *d, int head)
{
	uint16_t id;
	uint32_t len;

	if (!drv_vq_wait_used(&d->q, &id, &len, d->timeout_ms))
		drv_die(1, "the card did not complete a request in %d ms", d->timeout_ms);
	if (id != head)
		drv_die(1, "completion of head %u, expected %d", id, head);
	d->requests++;
	return len;
}

/* One flush in slot 0: whether it came back OK, 4 bytes long. */
static bool flush(struct drv *d)
{
	int head = post(d, 0, VIRTIO_PMEM_REQ_TYPE_FLUSH);

	drv_vq_kick(&d->q);
	return wait_used(d, head) == VIRTIO_PMEM_RESP_SIZE &&
	       get32(d, status_gpa(d, 0)) == VIRTIO_PMEM_RESP_TYPE_OK;
}

/* The configuration is azote's to fill in: the card shows 16 zero bytes. */
static void test_config(struct drv *d)
{
	uint8_t cfg[VIRTIO_PMEM_CONFIG_SIZE], zero[VIRTIO_PMEM_CONFIG_SIZE] = { 0 };
	struct azerr e;

	memset(cfg, 0xff, sizeof(cfg));
	bool offered = d->fe.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG);
	drv_check(&d->failures, offered, "config: the CONFIG protocol feature offered");
	if (!offered)
		return;
	bool got = vu_fe_get_config(&d->fe, 0, cfg, sizeof(cfg), &e) == 0;
	drv_check(&d->failures, got && !memcmp(cfg, zero, sizeof(cfg)),
		  "config: %d bytes, all zero (%s)", VIRTIO_PMEM_CONFIG_SIZE,
		  got ? "read" : e.msg);
	/* The guest may not write it: refused, and the card goes on. */
	uint64_t start = 0x12345000;
	drv_check(&d->failures, vu_fe_set_config(&d->fe, 0, &start, sizeof(start), &e) < 0,
		  "config: a write is refused");
	drv_check(&d->failures, flush(d), "config: still serving");
}

static void test_flush(struct drv *d)
{
	for (int i = 0; i < 3; i++)
		drv_check(&d->failures, flush(d), "flush %d: used length 4, status OK", i + 1);
}

/* Requests posted together are answered each (one fdatasync may serve
 * them all). */
static void test_batch(struct drv *d)
{
	int head[16];
	bool ok = true;

	for (unsigned i = 0; i < 16; i++)
		head[i] = post(d, i, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	drv_vq_kick(&d->q);
	for (unsigned i = 0; i < 16; i++)
		ok &= wait_used(d, head[i]) == 4 &&
		      get32(d, status_gpa(d, i)) == VIRTIO_PMEM_RESP_TYPE_OK;
	drv_check(&d->failures, ok, "batch: 16 flushes in one kick, each answered OK");
}

/* Drops f's clean cached pages and counts those left of its first len
 * bytes, through a fresh mapping that touches none. -1: cannot tell. */
static long resident_after_drop(int fd, size_t len)
{
	long page = sysconf(_SC_PAGESIZE), left = 0;
	size_t pages = (len + (size_t)page - 1) / (size_t)page;
	unsigned char vec[64];

	if (pages > sizeof(vec) || posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_DONTNEED))
		return -1;
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	if (mincore(m, len, vec) < 0)
		left = -1;
	for (size_t i = 0; left >= 0 && i < pages; i++)
		left += vec[i] & 1;
	munmap(m, len);
	return left;
}

/* The guest's writes through the region (here the driver's own shared
 * mapping of the file, as azote's maps it into the guest) are in the file
 * after a flush, and on its disk. */
static void test_durable(struct drv *d)
{
	const size_t len = 64 * 1024;
	char want[64], got[64];
	struct statfs fs;

	if (!d->file)
		drv_die(2, "durable: give --file PATH, the card's backing file");
	int fd = open(d->file, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &fs) < 0)
		drv_die(2, "durable: %s: %s", d->file, strerror(errno));
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		drv_die(2, "durable: mmap %s: %s (the file must hold 64 KiB)", d->file,
			strerror(errno));
	snprintf(want, sizeof(want), "written by the guest at %llu ms",
		 (unsigned long long)drv_now_ms());
	for (size_t off = 0; off < len; off += 4096)
		memcpy(m + off, want, sizeof(want));
	drv_check(&d->failures, flush(d), "durable: the flush answered OK");
	munmap(m, len);
	if ((unsigned long)fs.f_type == TMPFS_MAGIC_) {
		printf("durable: %s is on tmpfs: no disk to look at\n", d->file);
	} else {
		long left = resident_after_drop(fd, len);
		drv_check(&d->failures, left == 0, "durable: every page written was clean after "
			  "the flush (%ld of 16 left in the page cache, -1: unknown)", left);
	}
	bool same = true;
	for (size_t off = 0; off < len; off += 4096)
		same &= pread(fd, got, sizeof(got), (off_t)off) == (ssize_t)sizeof(got) &&
			!memcmp(got, want, sizeof(want));
	drv_check(&d->failures, same, "durable: read(2) of the file gives what the guest wrote");
	close(fd);
}

/* A hand-made chain of k descriptors: completed with want_len, and, if a
 * status slot is given, EIO written there. */
static void hostile(struct drv *d, const struct virtq_desc *desc, unsigned k,
		    uint32_t want_len, int slot, const char *what)
{
	uint16_t idx[4], id;
	uint32_t len;

	if (slot >= 0)
		put32(d, status_gpa(d, (unsigned)slot), UNTOUCHED);
	if (drv_vq_post_raw(&d->q, desc, k, idx) < 0)
		drv_die(2, "ring full");
	drv_vq_kick(&d->q);
	bool got = drv_vq_wait_used(&d->q, &id, &len, d->timeout_ms);
	bool status = slot < 0 ||
		      get32(d, status_gpa(d, (unsigned)slot)) == VIRTIO_PMEM_RESP_TYPE_EIO;
	drv_check(&d->failures, got && id == idx[0] && len == want_len && status,
		  "hostile: %s: completed with %u%s (%s, len %u)", what, want_len,
		  slot >= 0 ? ", EIO" : "", got ? "completed" : "not completed", got ? len : 0);
	d->requests++;
	d->fails++;
	drv_vq_release(&d->q, idx, k);
}

static void test_hostile(struct drv *d)
{
	const uint16_t W = VIRTQ_DESC_F_WRITE, N = VIRTQ_DESC_F_NEXT;
	uint64_t t = type_gpa(d, 1), s = status_gpa(d, 1);

	put32(d, t, 7);
	hostile(d, (struct virtq_desc[]){ { t, 4, N, 1 }, { s, 4, W, 0 } }, 2, 4, 1,
		"an unknown request type");
	put32(d, t, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	hostile(d, (struct virtq_desc[]){ { t, 8, N, 1 }, { s, 4, W, 0 } }, 2, 4, 1,
		"an 8-byte request");
	hostile(d, (struct virtq_desc[]){ { s, 4, W, 0 } }, 1, 4, 1, "a status alone");
	hostile(d, (struct virtq_desc[]){ { t, 4, 0, 0 } }, 1, 0, -1, "no status buffer");
	put32(d, s, UNTOUCHED);
	hostile(d, (struct virtq_desc[]){ { t, 4, N, 1 }, { s, 8, W, 0 } }, 2, 0, -1,
		"an 8-byte status buffer");
	drv_check(&d->failures, get32(d, s) == UNTOUCHED,
		  "hostile: nothing written into an 8-byte status buffer");
	hostile(d, (struct virtq_desc[]){ { t, 4, N, 1 }, { t, 4, N, 0 } }, 2, 0, -1,
		"a descriptor loop");
	hostile(d, (struct virtq_desc[]){ { 0x200000000ULL, 4, N, 1 }, { s, 4, W, 0 } }, 2, 0,
		-1, "a request outside guest memory");
	hostile(d, (struct virtq_desc[]){ { t, 4, N, 1 }, { s, 0xffffffffu, W, 0 } }, 2, 0, -1,
		"a 4 GiB status buffer");
	drv_check(&d->failures, flush(d), "hostile: still serving");
}

/* The backing file as test_mode looks for it in the card's fd table. */
static char mode_path[PATH_MAX];
static int mode_fd = -1, mode_found;

static bool note_file(int fd, const char *target)
{
	if (!strcmp(target, mode_path)) {
		mode_found++;
		mode_fd = fd;
	}
	return true;
}

/* Which access mode the card holds the backing file in (its /proc fd
 * table): O_RDONLY with --ro, else O_RDWR, and no other fd on it. */
static void test_mode(struct drv *d)
{
	char path[64], line[128];
	unsigned total;
	int mode = -1;

	if (!d->file || !realpath(d->file, mode_path) || d->card_pid <= 0)
		drv_die(2, "mode: give --file PATH and the card after --");
	drv_card_bad_fds(d->card_pid, note_file, &total);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", d->card_pid, mode_fd);
	FILE *f = mode_found == 1 ? fopen(path, "r") : NULL;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags:", 6))
			mode = (int)(strtol(line + 6, NULL, 8) & O_ACCMODE);
	if (f)
		fclose(f);
	int want_mode = d->ro ? O_RDONLY : O_RDWR;
	drv_check(&d->failures, mode_found == 1 && mode == want_mode,
		  "mode: the card holds %s once (%d of its %u fds), %s (flags' mode %d)",
		  d->file, mode_found, total, d->ro ? "read-only" : "read-write", mode);
}

/* n flushes in a row, one at a time; how long they took. */
static uint64_t timed_flushes(struct drv *d, unsigned n)
{
	uint64_t t = drv_now_ms();

	for (unsigned i = 0; i < n; i++)
		if (!flush(d))
			drv_check(&d->failures, false, "flush %u of %u", i + 1, n);
	return drv_now_ms() - t;
}

/* azote's SET_LIMITS after boot (iface/card_control.h): 5 flushes a
 * second, then no limit. */
static void test_control(struct drv *d)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS, .nr_limits = 1, .given = { 1 } };
	struct card_ctl_reply rep;
	struct rate_limiter five = { .has_ops = true, .ops = { .size = 5, .refill_time_ms = 1000 } };
	struct rate_limiter none = { 0 };
	struct azerr e;

	if (drv_card_control() < 0)
		drv_die(2, "control: start the card with --control-fd '{ctl}'");
	card_ctl_limiter_put(&req.limit[0], &five);
	if (card_ctl_call(drv_card_control(), &req, NULL, 0, &rep, &e) < 0)
		drv_die(1, "control: %s", e.msg);
	drv_check(&d->failures, rep.status == 0, "control: SET_LIMITS of 5 flushes/s taken");
	/* A full bucket of 5 first, then 10 at 5 a second. */
	uint64_t ms = timed_flushes(d, 15);
	drv_check(&d->failures, ms >= 1800 && ms < 4000,
		  "control: 15 flushes at 5/s took %llu ms (about 2000)", (unsigned long long)ms);
	card_ctl_limiter_put(&req.limit[0], &none);
	if (card_ctl_call(drv_card_control(), &req, NULL, 0, &rep, &e) < 0)
		drv_die(1, "control: %s", e.msg);
	drv_check(&d->failures, rep.status == 0, "control: SET_LIMITS of no limit taken");
	ms = timed_flushes(d, 50);
	drv_check(&d->failures, ms < 1000, "control: 50 flushes unlimited took %llu ms",
		  (unsigned long long)ms);
	d->limited = true;
}

/* Flushes one at a time, each a batch of its own and so charged, counted
 * over RATE_MS after a warm-up that empties the buckets. */
static void test_rate(struct drv *d)
{
	uint64_t t0 = drv_now_ms();

	while (drv_now_ms() < t0 + 500)
		flush(d);
	uint64_t start = drv_now_ms(), done = 0;
	while (drv_now_ms() < start + RATE_MS) {
		flush(d);
		done++;
	}
	double rate = (double)done * 1000.0 / (double)(drv_now_ms() - start);
	printf("rate: %.1f flushes/s\n", rate);
	if (d->want_rate) {
		drv_check(&d->failures, rate > d->want_rate * 0.85 && rate < d->want_rate * 1.15,
			  "rate: %.1f flushes/s within 15 %% of %.1f", rate, d->want_rate);
		d->limited = true;
	}
}

static void test_seccomp(struct drv *d)
{
	if (d->card_pid > 0)
		drv_check(&d->failures, drv_card_seccomp(d->card_pid),
			  "seccomp: the card runs under its filter");
}

static void test_stats(struct drv *d)
{
	const struct card_stats *s = drv_card_stats();

	if (!s) {
		drv_check(&d->failures, false, "stats: no stats page (give {stats})");
		return;
	}
	const struct card_pmem_stats *p = &s->pmem;
	printf("stats: %llu flushes, %llu failed, %llu throttled\n",
	       (unsigned long long)p->flush_count, (unsigned long long)p->event_fails,
	       (unsigned long long)p->rate_limiter_throttled);
	drv_check(&d->failures, p->flush_count == d->requests, "stats: flush_count %llu, want %llu",
		  (unsigned long long)p->flush_count, (unsigned long long)d->requests);
	drv_check(&d->failures, p->event_fails == d->fails, "stats: event_fails %llu, want %llu",
		  (unsigned long long)p->event_fails, (unsigned long long)d->fails);
	drv_check(&d->failures, d->limited ? p->rate_limiter_throttled > 0 :
		  p->rate_limiter_throttled == 0, "stats: rate_limiter_throttled %llu (%s)",
		  (unsigned long long)p->rate_limiter_throttled,
		  d->limited ? "limited: some" : "no limit reached: none");
}

/* Ring 0 kept full of chains costly to refuse while it is stopped
 * (drv_one_ring.h). Run it last. */
static void test_flood(struct drv *d)
{
	drv_one_ring_flood(&d->fe, &d->mem, &d->q, &d->failures);
}

static const struct { const char *name; void (*run)(struct drv *); } tests[] = {
	{ "config", test_config }, { "flush", test_flush }, { "batch", test_batch },
	{ "durable", test_durable }, { "hostile", test_hostile }, { "mode", test_mode },
	{ "control", test_control }, { "rate", test_rate }, { "seccomp", test_seccomp },
	{ "stats", test_stats }, { "flood", test_flood },
};

static const struct option longopts[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "file", required_argument, NULL, 'f' },
	{ "ro", no_argument, NULL, 'r' },
	{ "rate", required_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	static struct drv d;
	int c;

	drv_name = "vupmem-drv";
	d.timeout_ms = 5000;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 't': d.timeout_ms = atoi(optarg); break;
		case 'f': d.file = optarg; break;
		case 'r': d.ro = true; break;
		case 'R': d.want_rate = atof(optarg); break;
		default: drv_die(2, "bad arguments");
		}
	}
	char **names = argv + optind;
	d.card_pid = drv_connect(&d.fe, drv_card_argv(names), NULL, d.timeout_ms);
	drv_one_ring_setup(&d.fe, &d.mem, &d.q, QSIZE);
	d.reqs = drv_alloc(&d.mem, 64ull * QSIZE, 4096, true);
	for (char **t = names; *t; t++) {
		size_t i = 0;

		while (i < sizeof(tests) / sizeof(tests[0]) && strcmp(tests[i].name, *t))
			i++;
		if (i == sizeof(tests) / sizeof(tests[0]))
			drv_die(2, "unknown test %s", *t);
		printf("== %s\n", *t);
		fflush(stdout);
		tests[i].run(&d);
	}
	return drv_finish(&d.fe, d.card_pid, &d.failures);
}
