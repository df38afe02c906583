/* vuballoon-drv: a host-only test driver for the balloon card. Like
 * vurng-drv it is a hypervisor and a guest driver in one process:
 * azote's vhost-user front-end sets the card up over a memfd as guest
 * memory (filled with non-zero bytes where the tests look), and the
 * driver plays the guest's virtio-balloon driver on every ring the card
 * offers, hostile chains included.
 *
 *   vuballoon-drv [--timeout MS] [--interval S] [--oom] [--reporting] [--huge]
 *                 TEST... -- CARD ARGS...
 *
 * --interval, --oom, --reporting: what the card was started with, which
 * the features it offers must say (--interval 0, the default: no
 * statistics ring). --huge: guest memory on 2 MiB hugetlbfs pages (the
 * host's pool must have 32 free), for the test "huge" alone. The card is
 * started as azote does ("{fd}", "{stats}", "{ctl}" as vublk-drv). Tests:
 * config inflate outside deflate reporting hostile stats interval stop
 * nostats batch huge seccomp counters flood (last).
 * "counters" checks the stats page against what the driver saw, exactly.
 * Prints one line per check; exits 0 when all pass, 1 on a failed check,
 * 2 on a setup error. */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drv_card.h"
#include "drv_flood.h"
#include "drv_report.h"
#include "drv_ring.h"
#include "iface/card.h"
#include "iface/card_control.h"
#include "vmm/vhost_frontend.h"
#include "virtio/virtio.h"
#include "virtio/virtio_balloon.h"

#define QSIZE  64
#define PAGE   4096u
#define FILL   0xa5
#define AREA_PAGES 64
#define BATCH_PFNS 256
#define HUGE_PAGE (2u << 20)
#define RING_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
		       VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))
#define BALLOON_FEATURES ((1ULL << (VIRTIO_BALLOON_F_PAGE_REPORTING + 1)) - 1)

struct drv {
	struct vu_frontend fe;
	struct drv_mem mem;
	struct drv_vq q[4];
	struct vu_fe_vring v[4];
	int ring[BALLOON_RING_NONE];    /* ring index of each role, or -1 */
	unsigned nr_rings;
	uint64_t area, high, report;    /* memory the tests give back */
	uint64_t list, stats_buf;       /* page lists, statistics */
	int timeout_ms;
	unsigned interval_s;            /* --interval */
	bool oom, reporting;
	bool huge;                      /* --huge */
	pid_t card_pid;
	int failures;
	struct card_balloon_stats want; /* what the card should have counted */
};

static uint8_t *at(struct drv *d, uint64_t gpa)
{
	return drv_gpa(&d->mem, gpa);
}

/* Whether [p, p+len) holds only byte b. */
static bool all(const uint8_t *p, size_t len, uint8_t b)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != b)
			return false;
	return true;
}

/* The memfd's allocated 4 KiB pages. */
static long pages_held(struct drv *d)
{
	struct stat st;

	if (fstat(d->mem.fd, &st) < 0)
		drv_die(2, "fstat: %s", strerror(errno));
	return (long)(st.st_blocks / (PAGE / 512));
}

static struct drv_vq *ring_of(struct drv *d, enum balloon_ring role)
{
	if (d->ring[role] < 0)
		drv_die(2, "the card has no ring for role %d", role);
	return &d->q[d->ring[role]];
}

static int post(struct drv *d, enum balloon_ring role, const struct drv_buf *b, unsigned n)
{
	struct drv_vq *q = ring_of(d, role);
	int head = drv_vq_add(q, b, n, 0);

	if (head < 0)
		drv_die(2, "ring full");
	drv_vq_kick(q);
	return head;
}

/* Waits up to ms for the next completion on role's ring: its head, or
 * -1; its used length must be 0 (checked). */
static int next_used(struct drv *d, enum balloon_ring role, int ms)
{
	uint16_t id;
	uint32_t len;

	if (!drv_vq_wait_used(ring_of(d, role), &id, &len, ms))
		return -1;
	if (len)
		drv_check(&d->failures, false, "used length %u, not 0", len);
	return id;
}

/* Posts b[n] and waits for it back: true if it came back. */
static bool request(struct drv *d, enum balloon_ring role, const struct drv_buf *b, unsigned n)
{
	int head = post(d, role, b, n);

	return next_used(d, role, d->timeout_ms) == head;
}

/* Posts the n PFNs as one device-readable buffer on the inflate ring (or
 * the deflate ring) and waits for it. */
static bool pfns(struct drv *d, enum balloon_ring role, const uint32_t *pfn, unsigned n)
{
	uint32_t *p = (uint32_t *)at(d, d->list);

	for (unsigned i = 0; i < n; i++)
		p[i] = htole32(pfn[i]);
	struct drv_buf b = { d->list, n * 4, false };
	return request(d, role, &b, 1);
}

/* GET_CONFIG answers zeroes; of the writes (SET_CONFIG), only those of
 * actual are taken: num_pages is the host's target, which azote keeps
 * when the card refuses a write (virtio 1.2 §5.5.4). */
static void test_config(struct drv *d)
{
	static const struct { uint32_t off, len; } num_pages[] = {
		{ 0, 8 }, { 0, 4 }, { 2, 4 }, { 3, 1 },
	};
	uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE];
	uint32_t actual = htole32(1234);
	struct azerr e;

	memset(cfg, 0xff, sizeof(cfg));
	int r = vu_fe_get_config(&d->fe, 0, cfg, sizeof(cfg), &e);
	drv_check(&d->failures, r == 0 && all(cfg, sizeof(cfg), 0),
		  "config: GET_CONFIG of 8 bytes answers zeroes (azote fills num_pages)");
	for (unsigned i = 0; i < sizeof(num_pages) / sizeof(num_pages[0]); i++)
		drv_check(&d->failures, vu_fe_set_config(&d->fe, num_pages[i].off, cfg,
							 num_pages[i].len, &e) < 0,
			  "config: a write into num_pages (bytes %u+%u) is refused (%s)",
			  num_pages[i].off, num_pages[i].len, e.msg);
	drv_check(&d->failures, vu_fe_set_config(&d->fe, VIRTIO_BALLOON_CFG_ACTUAL, &actual, 4,
						 &e) == 0,
		  "config: the driver's write of actual (4 bytes at 4, as Linux's) is taken");
	drv_check(&d->failures, vu_fe_set_config(&d->fe, 6, &actual, 4, &e) < 0,
		  "config: a write past the 8 bytes is refused (%s)", e.msg);
	drv_check(&d->failures, vu_fe_get_config(&d->fe, 4, cfg, 8, &e) < 0,
		  "config: a read past the 8 bytes is refused");
}

/* Pages 2..9 of the area (out of order) and one page of high memory:
 * they read zero, the memfd holds 9 pages fewer, their neighbours keep
 * their bytes. */
static void test_inflate(struct drv *d)
{
	uint32_t a = (uint32_t)(d->area >> 12), h = (uint32_t)(d->high >> 12) + 1;
	uint32_t list[] = { a + 5, a + 2, h, a + 9, a + 3, a + 4, a + 8, a + 6, a + 7 };

	memset(at(d, d->area), FILL, 16 * PAGE);
	memset(at(d, d->high), FILL, 3 * PAGE);
	memset(at(d, d->list), 0, PAGE);       /* the list's page is held before */
	long before = pages_held(d);
	bool back = pfns(d, BALLOON_RING_INFLATE, list, 9);
	long after = pages_held(d);
	drv_check(&d->failures, back, "inflate: the list of 9 pages comes back");
	drv_check(&d->failures, all(at(d, d->area + 2 * PAGE), 8 * PAGE, 0) &&
		  all(at(d, d->high + PAGE), PAGE, 0), "inflate: the 9 pages read zero");
	drv_check(&d->failures, before - after == 9,
		  "inflate: the memfd holds 9 pages fewer (%ld before, %ld after)", before, after);
	drv_check(&d->failures, all(at(d, d->area), 2 * PAGE, FILL) &&
		  all(at(d, d->area + 10 * PAGE), 6 * PAGE, FILL) &&
		  all(at(d, d->high), PAGE, FILL) && all(at(d, d->high + 2 * PAGE), PAGE, FILL),
		  "inflate: the neighbouring pages are untouched");
	d->want.inflate_count++;
	d->want.inflated_pages += 9;
}

/* A list as long as Linux's batches (256 PFNs: its VIRTIO_BALLOON_ARRAY_PFNS_MAX),
 * scrambled, each of AREA_PAGES pages four times: every page given back
 * once, and the card, under --seccomp kill, still there to answer (glibc's
 * qsort called sysinfo(2) for lists this long, and the filter killed the
 * card). Run it last but for seccomp and counters: it empties the area. */
static void test_batch(struct drv *d)
{
	uint32_t a = (uint32_t)(d->area >> 12), list[BATCH_PFNS];

	memset(at(d, d->area), FILL, AREA_PAGES * PAGE);
	for (unsigned i = 0; i < BATCH_PFNS; i++)
		list[i] = a + (i * 37) % AREA_PAGES;  /* 37 is prime to 64 */
	long before = pages_held(d);
	bool back = pfns(d, BALLOON_RING_INFLATE, list, BATCH_PFNS);
	long after = pages_held(d);  /* before reading: a read fills a hole again */
	drv_check(&d->failures, back, "batch: a list of %u PFNs comes back", BATCH_PFNS);
	drv_check(&d->failures, before - after == AREA_PAGES,
		  "batch: the memfd holds %u pages fewer (%ld before, %ld after)", AREA_PAGES,
		  before, after);
	drv_check(&d->failures, all(at(d, d->area), AREA_PAGES * PAGE, 0),
		  "batch: its %u pages read zero", AREA_PAGES);
	d->want.inflate_count++;
	d->want.inflated_pages += AREA_PAGES;
}

/* On guest memory of 2 MiB pages (--huge), a whole huge page inflated
 * (its 512 PFNs, in two lists of 256) and, with --reporting, another one
 * reported: both come back, and nothing is given back: punched out of
 * hugetlbfs, a page would lose the reservation that keeps a short pool
 * from SIGBUSing the VMM or a card on its next touch. The memfd holds as
 * many blocks, the pages keep their bytes, nothing is counted as given. */
static void test_huge(struct drv *d)
{
	const struct card_stats *s = drv_card_stats();
	uint64_t gpa = drv_alloc(&d->mem, 2 * HUGE_PAGE, HUGE_PAGE, false);
	uint32_t first = (uint32_t)(gpa >> 12), list[BATCH_PFNS];
	bool back = true;

	if (!d->huge || !s)
		drv_die(2, "huge: needs --huge and the stats page ({stats})");
	memset(at(d, gpa), FILL, 2 * HUGE_PAGE);
	long before = pages_held(d);
	for (unsigned n = 0; n < HUGE_PAGE / PAGE; n += BATCH_PFNS) {
		for (unsigned i = 0; i < BATCH_PFNS; i++)
			list[i] = first + n + i;
		back &= pfns(d, BALLOON_RING_INFLATE, list, BATCH_PFNS);
		d->want.inflate_count++;
	}
	if (d->reporting) {
		struct drv_buf b = { gpa + HUGE_PAGE, HUGE_PAGE, true };
		back &= request(d, BALLOON_RING_REPORTING, &b, 1);
		d->want.free_page_report_count++;
	}
	long after = pages_held(d);  /* before reading: a read fills a hole again */
	drv_check(&d->failures, back, "huge: the lists%s come back",
		  d->reporting ? " and the report" : "");
	drv_check(&d->failures, before == after,
		  "huge: the memfd holds as many pages (%ld before, %ld after)", before, after);
	drv_check(&d->failures, all(at(d, gpa), 2 * HUGE_PAGE, FILL),
		  "huge: the pages keep their bytes");
	const struct card_balloon_stats *b = &s->balloon;
	uint64_t inflated = card_stat_read(&b->inflated_pages);
	uint64_t freed = card_stat_read(&b->free_page_report_freed);
	drv_check(&d->failures, inflated == 0 && freed == 0,
		  "huge: nothing counted as given back (inflated_pages %llu, "
		  "free_page_report_freed %llu)", (unsigned long long)inflated,
		  (unsigned long long)freed);
}

/* PFNs outside guest memory (beyond it, in the hole above 32 MiB) with a
 * good one: the good one given back, the chain counted failed, the card
 * still serving. */
static void test_outside(struct drv *d)
{
	uint32_t good = (uint32_t)(d->area >> 12) + 12;
	uint32_t list[] = { 0xffffffffu, (32u << 20) >> 12, good,
			    (uint32_t)((DRV_HIGH_GPA + (32u << 20)) >> 12) };

	memset(at(d, d->area + 12 * PAGE), FILL, PAGE);
	drv_check(&d->failures, pfns(d, BALLOON_RING_INFLATE, list, 4),
		  "outside: a list with pages outside guest memory comes back");
	drv_check(&d->failures, all(at(d, d->area + 12 * PAGE), PAGE, 0),
		  "outside: its page inside guest memory is given back");
	d->want.inflate_count++;
	d->want.event_fails++;
	d->want.inflated_pages++;
	drv_check(&d->failures, pfns(d, BALLOON_RING_INFLATE, (uint32_t[]){ good + 1 }, 1),
		  "outside: the card still serves");
	d->want.inflate_count++;
	d->want.inflated_pages++;
}

static void test_deflate(struct drv *d)
{
	uint32_t a = (uint32_t)(d->area >> 12);

	memset(at(d, d->area + 20 * PAGE), FILL, PAGE);
	drv_check(&d->failures, pfns(d, BALLOON_RING_DEFLATE, (uint32_t[]){ a + 2, a + 3 }, 2),
		  "deflate: the list comes back");
	drv_check(&d->failures, pfns(d, BALLOON_RING_DEFLATE, (uint32_t[]){ a + 20 }, 1) &&
		  all(at(d, d->area + 20 * PAGE), PAGE, FILL),
		  "deflate: a page deflated without inflating is left as it was");
	d->want.deflate_count += 2;
}

/* A writable range of 16 pages, not starting on a page: the 15 whole
 * pages inside are given back, the rest kept. */
static void test_reporting(struct drv *d)
{
	memset(at(d, d->report), FILL, 20 * PAGE);
	struct drv_buf b = { d->report + PAGE + 512, 16 * PAGE, true };
	long before = pages_held(d);
	bool back = request(d, BALLOON_RING_REPORTING, &b, 1);
	long after = pages_held(d);
	drv_check(&d->failures, back, "reporting: the range comes back");
	drv_check(&d->failures, all(at(d, d->report + 2 * PAGE), 15 * PAGE, 0),
		  "reporting: its whole pages read zero");
	drv_check(&d->failures, all(at(d, d->report), 2 * PAGE, FILL) &&
		  all(at(d, d->report + 17 * PAGE), 3 * PAGE, FILL),
		  "reporting: the pages it only touches, and its neighbours, are kept");
	drv_check(&d->failures, before - after == 15,
		  "reporting: the memfd holds 15 pages fewer (%ld before, %ld after)", before,
		  after);
	d->want.free_page_report_count++;
	d->want.free_page_report_freed += 15 * PAGE;
}

/* A hand-made chain of k descriptors on the inflate ring: it must come
 * back. */
static void hostile(struct drv *d, const struct virtq_desc *desc, unsigned k,
		    const char *what)
{
	struct drv_vq *q = ring_of(d, BALLOON_RING_INFLATE);
	uint16_t idx[4];

	if (drv_vq_post_raw(q, desc, k, idx) < 0)
		drv_die(2, "ring full");
	drv_vq_kick(q);
	int got = next_used(d, BALLOON_RING_INFLATE, d->timeout_ms);
	drv_check(&d->failures, got == idx[0], "hostile: %s: completed", what);
	d->want.inflate_count++;
	d->want.event_fails++;
	drv_vq_release(q, idx, k);
}

static void test_hostile(struct drv *d)
{
	uint64_t g = d->list;
	const uint16_t W = VIRTQ_DESC_F_WRITE, N = VIRTQ_DESC_F_NEXT;

	hostile(d, (struct virtq_desc[]){ { g, 16, N, 1 }, { g + 16, 16, N, 0 } }, 2,
		"a descriptor loop");
	hostile(d, (struct virtq_desc[]){ { 0x200000000ULL, 64, 0, 0 } }, 1,
		"an address outside guest memory");
	hostile(d, (struct virtq_desc[]){ { g, 0xffffffffu, 0, 0 } }, 1, "a 4 GiB length");
	hostile(d, (struct virtq_desc[]){ { g, 8, W, 0 } }, 1, "a writable page list");
	hostile(d, (struct virtq_desc[]){ { g, 7, 0, 0 } }, 1, "a list of 7 bytes");
	memset(at(d, d->area + 30 * PAGE), FILL, PAGE);
	drv_check(&d->failures, pfns(d, BALLOON_RING_INFLATE,
				     (uint32_t[]){ (uint32_t)(d->area >> 12) + 30 }, 1) &&
		  all(at(d, d->area + 30 * PAGE), PAGE, 0), "hostile: the card still serves");
	d->want.inflate_count++;
	d->want.inflated_pages++;
}

/* Writes MEMFREE = free, MEMTOT = 1 GiB and an unknown tag into the
 * statistics buffer and posts it. */
static int post_stats(struct drv *d, uint64_t free)
{
	const uint16_t tag[3] = { VIRTIO_BALLOON_S_MEMFREE, VIRTIO_BALLOON_S_MEMTOT, 999 };
	const uint64_t val[3] = { free, 1ULL << 30, 5 };
	uint8_t *p = at(d, d->stats_buf);

	for (unsigned i = 0; i < 3; i++) {
		uint16_t t = htole16(tag[i]);
		uint64_t v = htole64(val[i]);
		memcpy(p + 10 * i, &t, 2);
		memcpy(p + 10 * i + 2, &v, 8);
	}
	struct drv_buf b = { d->stats_buf, 30, false };
	d->want.stats_updates_count++;
	return post(d, BALLOON_RING_STATS, &b, 1);
}

/* Waits for the card to have taken the statistics buffer n times (the
 * stats page says) with MEMFREE = free. */
static bool stats_seen(struct drv *d, uint64_t n, uint64_t free)
{
	const struct card_stats *s = drv_card_stats();
	uint64_t end = drv_now_ms() + (uint64_t)d->timeout_ms;

	if (!s)
		drv_die(2, "statistics tests need the stats page ({stats})");
	const struct card_balloon_stats *b = &s->balloon;
	while (drv_now_ms() < end) {
		if (card_stat_read(&b->stats_updates_count) >= n &&
		    card_stat_read(&b->stat[VIRTIO_BALLOON_S_MEMFREE]) == free)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
	return false;
}

/* The buffer is read, held, and comes back every interval. */
static void test_stats(struct drv *d)
{
	const struct card_balloon_stats *b;
	int ms = (int)d->interval_s * 1000;

	int head = post_stats(d, 111111);
	drv_check(&d->failures, stats_seen(d, d->want.stats_updates_count, 111111),
		  "stats: the card read the statistics");
	b = &drv_card_stats()->balloon;
	uint64_t seen = card_stat_read(&b->stat_seen);
	drv_check(&d->failures, seen == (1ULL << VIRTIO_BALLOON_S_MEMFREE |
					 1ULL << VIRTIO_BALLOON_S_MEMTOT) &&
		  card_stat_read(&b->stat[VIRTIO_BALLOON_S_MEMTOT]) == 1ULL << 30,
		  "stats: MEMFREE and MEMTOT shown (seen 0x%llx), the unknown tag ignored",
		  (unsigned long long)seen);
	int got = next_used(d, BALLOON_RING_STATS, ms + 1000);
	uint64_t t1 = drv_now_ms();
	drv_check(&d->failures, got == head, "stats: the buffer comes back within the interval");
	head = post_stats(d, 222222);
	drv_check(&d->failures, stats_seen(d, d->want.stats_updates_count, 222222),
		  "stats: posted again, the new figure shown");
	got = next_used(d, BALLOON_RING_STATS, ms + 1000);
	uint64_t dt = drv_now_ms() - t1;
	drv_check(&d->failures, got == head && dt + 300 >= (uint64_t)ms && dt <= (uint64_t)ms + 800,
		  "stats: and back again one interval later (%llu ms, interval %d ms)",
		  (unsigned long long)dt, ms);
}

static int set_interval(struct drv *d, uint32_t seconds, struct card_ctl_reply *rep)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_STATS_INTERVAL,
				    .stats_interval_s = seconds };
	struct azerr e;

	(void)d;
	if (drv_card_control() < 0)
		drv_die(2, "control tests need the control channel ({ctl})");
	if (card_ctl_call(drv_card_control(), &req, NULL, 0, rep, &e) < 0)
		drv_die(1, "control: %s", e.msg);
	return rep->status;
}

/* SET_STATS_INTERVAL: the held buffer comes back at once, then at the new
 * interval; 0 and 65536 refused. */
static void test_interval(struct drv *d)
{
	struct card_ctl_reply rep;

	int head = post_stats(d, 333333);
	if (!stats_seen(d, d->want.stats_updates_count, 333333))
		drv_die(1, "interval: the card did not take the statistics buffer");
	uint64_t t = drv_now_ms();
	int r = set_interval(d, 3, &rep);
	drv_check(&d->failures, r == 0, "interval: 3 s taken (%s)", rep.msg);
	int got = next_used(d, BALLOON_RING_STATS, 400);
	drv_check(&d->failures, got == head, "interval: the held buffer comes back at once "
		  "(%llu ms)", (unsigned long long)(drv_now_ms() - t));
	head = post_stats(d, 444444);
	if (!stats_seen(d, d->want.stats_updates_count, 444444))
		drv_die(1, "interval: the card did not take the statistics buffer");
	t = drv_now_ms();
	got = next_used(d, BALLOON_RING_STATS, 2000);
	drv_check(&d->failures, got < 0, "interval: not back within 2 s at 3 s");
	got = next_used(d, BALLOON_RING_STATS, 2000);
	uint64_t dt = drv_now_ms() - t;
	drv_check(&d->failures, got == head && dt >= 2000 && dt <= 3800,
		  "interval: back about 3 s after the change (%llu ms)", (unsigned long long)dt);
	r = set_interval(d, 0, &rep);
	drv_check(&d->failures, r == EINVAL && strstr(rep.msg, "must be 1 to 65535"),
		  "interval: 0 refused (%s)", rep.msg);
	r = set_interval(d, 65536, &rep);
	drv_check(&d->failures, r == EINVAL && strstr(rep.msg, "must be 1 to 65535"),
		  "interval: 65536 refused (%s)", rep.msg);
	/* Back to the interval the card started with, for the tests after. */
	head = post_stats(d, 555555);
	if (!stats_seen(d, d->want.stats_updates_count, 555555))
		drv_die(1, "interval: the card did not take the statistics buffer");
	r = set_interval(d, d->interval_s, &rep);
	drv_check(&d->failures, r == 0 && next_used(d, BALLOON_RING_STATS, 400) == head,
		  "interval: back to %u s, the buffer back at once", d->interval_s);
}

/* Stopping the statistics ring (as a snapshot or a reset does) gives the
 * held buffer back first; restarted, the ring takes it again. */
static void test_stop(struct drv *d)
{
	unsigned idx = (unsigned)d->ring[BALLOON_RING_STATS];
	struct azerr e;
	uint16_t base;

	int head = post_stats(d, 666666);
	if (!stats_seen(d, d->want.stats_updates_count, 666666))
		drv_die(1, "stop: the card did not take the statistics buffer");
	if (vu_fe_vring_stop(&d->fe, idx, &base, &e))
		drv_die(1, "%s", e.msg);
	uint16_t id;
	uint32_t len;
	bool back = drv_vq_get_used(&d->q[idx], &id, &len);
	drv_check(&d->failures, back && id == head && len == 0,
		  "stop: the held buffer is on the used ring when the stop returns");
	d->v[idx].base = base;
	if (vu_fe_vring_start(&d->fe, idx, &d->v[idx], &e))
		drv_die(1, "%s", e.msg);
	head = post_stats(d, 777777);
	drv_check(&d->failures, stats_seen(d, d->want.stats_updates_count, 777777),
		  "stop: restarted at base %u, the ring takes the buffer again", base);
	drv_check(&d->failures, next_used(d, BALLOON_RING_STATS,
					  (int)d->interval_s * 1000 + 1000) == head,
		  "stop: and returns it at the interval");
}

/* A card started without statistics refuses a new interval. */
static void test_nostats(struct drv *d)
{
	struct card_ctl_reply rep;
	int r = set_interval(d, 5, &rep);

	drv_check(&d->failures, r == EINVAL && strstr(rep.msg, "statistics were not enabled"),
		  "nostats: SET_STATS_INTERVAL refused (%s)", rep.msg);
}

static void test_seccomp(struct drv *d)
{
	if (d->card_pid > 0)
		drv_check(&d->failures, drv_card_seccomp(d->card_pid),
			  "seccomp: the card runs under its filter");
}

#define SAME(field)								\
	drv_check(&d->failures, card_stat_read(&b->field) == d->want.field,	\
		  "counters: " #field " %llu, want %llu",			\
		  (unsigned long long)card_stat_read(&b->field),		\
		  (unsigned long long)d->want.field)

/* A guest that keeps its inflate ring full of chains costly to refuse
 * and never stops (drv_flood.h): the card still answers the deflate
 * ring's stop at once, as a pause for a snapshot needs. Leaves the
 * inflate ring unusable and the counters off: run it last. */
static void test_flood(struct drv *d)
{
	const unsigned deflate = (unsigned)d->ring[BALLOON_RING_DEFLATE];
	char how[160];
	struct drv_vq *q = ring_of(d, BALLOON_RING_INFLATE);
	bool ok = drv_flood_stop_rings(&d->fe, q, drv_costly_bad_chain(q, &d->mem), &deflate, 1,
				       how, sizeof(how));

	drv_check(&d->failures, ok, "flood: the deflate ring's stop is answered while the guest "
		  "keeps the inflate ring full (%s)", how);
}

static void test_counters(struct drv *d)
{
	const struct card_stats *s = drv_card_stats();

	if (!s) {
		drv_check(&d->failures, false, "counters: no stats page (give {stats})");
		return;
	}
	const struct card_balloon_stats *b = &s->balloon;
	SAME(inflate_count);
	SAME(deflate_count);
	SAME(event_fails);
	SAME(inflated_pages);
	SAME(stats_updates_count);
	SAME(stats_update_fails);
	SAME(free_page_report_count);
	SAME(free_page_report_freed);
	SAME(free_page_report_fails);
}

/* What the card offers must be what its options say; then every ring
 * is set up and started. */
static void setup(struct drv *d)
{
	struct azerr e;
	unsigned nq = 0;

	if (vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES |
			    1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD, &e) ||
	    vu_fe_get_queue_num(&d->fe, &nq, &e))
		drv_die(2, "%s", e.msg);
	uint64_t want = (d->interval_s ? 1ULL << VIRTIO_BALLOON_F_STATS_VQ : 0) |
			(d->oom ? 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM : 0) |
			(d->reporting ? 1ULL << VIRTIO_BALLOON_F_PAGE_REPORTING : 0);
	uint64_t f = d->fe.features;
	drv_check(&d->failures, (f & RING_FEATURES) == RING_FEATURES,
		  "setup: VERSION_1, EVENT_IDX and INDIRECT_DESC offered");
	drv_check(&d->failures, (f & BALLOON_FEATURES) == want,
		  "setup: balloon features 0x%llx offered, want 0x%llx (never FREE_PAGE_HINT "
		  "or PAGE_POISON)", (unsigned long long)(f & BALLOON_FEATURES),
		  (unsigned long long)want);
	drv_check(&d->failures, nq == balloon_nr_rings(want), "setup: %u rings, want %u", nq,
		  balloon_nr_rings(want));
	drv_check(&d->failures, (d->fe.protocol_features & 1ULL << VHOST_USER_PROTOCOL_F_CONFIG) &&
		  d->fe.can_log, "setup: CONFIG and dirty logging offered (azote needs both)");
	if (nq > 4 || vu_fe_set_features(&d->fe, f & (RING_FEATURES | BALLOON_FEATURES), &e))
		drv_die(2, "features: %s", nq > 4 ? "too many rings" : e.msg);
	if ((d->huge ? drv_mem_init_huge : drv_mem_init)(&d->mem))
		drv_die(2, "guest memory: %s", strerror(errno));
	if (drv_set_mem_table(&d->fe, &d->mem, &e))
		drv_die(2, "%s", e.msg);
	for (unsigned r = 0; r < BALLOON_RING_NONE; r++)
		d->ring[r] = -1;
	d->nr_rings = nq;
	for (unsigned i = 0; i < nq; i++) {
		if (drv_vq_init(&d->q[i], &d->mem, QSIZE, true))
			drv_die(2, "ring: %s", strerror(errno));
		d->v[i] = drv_fe_vring(&d->q[i]);
		if (vu_fe_vring_start(&d->fe, i, &d->v[i], &e))
			drv_die(2, "%s", e.msg);
		d->ring[balloon_ring_role(f, i)] = (int)i;
	}
	d->area = drv_alloc(&d->mem, AREA_PAGES * PAGE, PAGE, false);
	d->report = drv_alloc(&d->mem, 32 * PAGE, PAGE, false);
	d->list = drv_alloc(&d->mem, PAGE, PAGE, false);
	d->stats_buf = drv_alloc(&d->mem, PAGE, PAGE, false);
	d->high = drv_alloc(&d->mem, 3 * PAGE, PAGE, true);
}

int main(int argc, char **argv)
{
	static struct drv d;
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "oom", no_argument, NULL, 'o' },
		{ "reporting", no_argument, NULL, 'r' },
		{ "huge", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	drv_name = "vuballoon-drv";
	d.timeout_ms = 5000;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 't': d.timeout_ms = atoi(optarg); break;
		case 'i': d.interval_s = (unsigned)atoi(optarg); break;
		case 'o': d.oom = true; break;
		case 'r': d.reporting = true; break;
		case 'h': d.huge = true; break;
		default: drv_die(2, "bad arguments");
		}
	}
	char **tests = argv + optind;
	d.card_pid = drv_connect(&d.fe, drv_card_argv(tests), NULL, d.timeout_ms);
	setup(&d);
	static const struct { const char *name; void (*run)(struct drv *); } all_tests[] = {
		{ "config", test_config }, { "inflate", test_inflate },
		{ "outside", test_outside }, { "deflate", test_deflate },
		{ "reporting", test_reporting }, { "hostile", test_hostile },
		{ "stats", test_stats }, { "interval", test_interval }, { "stop", test_stop },
		{ "nostats", test_nostats }, { "batch", test_batch }, { "huge", test_huge },
		{ "seccomp", test_seccomp },
		{ "counters", test_counters }, { "flood", test_flood },
	};
	for (char **t = tests; *t; t++) {
		size_t i = 0;
		while (i < sizeof(all_tests) / sizeof(all_tests[0]) && strcmp(*t, all_tests[i].name))
			i++;
		if (i == sizeof(all_tests) / sizeof(all_tests[0]))
			drv_die(2, "unknown test %s", *t);
		printf("== %s\n", *t);
		fflush(stdout);
		all_tests[i].run(&d);
	}
	return drv_finish(&d.fe, d.card_pid, &d.failures);
}
