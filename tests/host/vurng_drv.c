/* vurng-drv: a host-only test driver for the entropy card. Like
 * vuvsock-drv it is a hypervisor and a guest driver in one process:
 * azote's vhost-user front-end sets the card up over a memfd as guest
 * memory, and the driver plays the guest's virtio-rng driver on the
 * requestq, hostile chains included.
 *
 *   vurng-drv [--timeout MS] [--ops N] [--bw N] [--len N] TEST... -- CARD ARGS...
 *
 * The card is started as azote does ("{fd}", "{stats}" as vublk-drv).
 * Tests: sizes differ cap hostile rate seccomp stats flood (last). "rate" measures
 * requests and bytes a second over 2 s and checks them against --ops and
 * --bw (within 15 %), its requests of --len bytes (4096; 0: empty ones, a
 * guest's cheapest). "stats" checks the counters page against what the
 * driver saw: exact, but for rate_limiter_throttled, which is non-zero
 * exactly when a rate was measured. Prints one line per check; exits 0
 * when all pass, 1 on a failed check, 2 on a setup error. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drv_card.h"
#include "drv_one_ring.h"
#include "drv_report.h"
#include "drv_ring.h"
#include "iface/card.h"
#include "vmm/vhost_frontend.h"
#include "virtio/virtio.h"

#define QSIZE   64
#define BUF_LEN (128u << 10)       /* a request's buffers, beyond the cap */
#define FILL    0xa5               /* what the driver leaves in a buffer */
#define RATE_MS 2000
#define RATE_DEPTH 8               /* requests kept on the ring meanwhile */

struct drv {
	struct vu_frontend fe;
	struct drv_mem mem;
	struct drv_vq q;
	uint64_t buf;               /* QSIZE buffers of BUF_LEN */
	int timeout_ms;
	double want_ops, want_bw;   /* --ops, --bw: 0 when not limited */
	uint32_t rate_len;          /* --len: the rate test's requests */
	pid_t card_pid;
	int failures;
	/* What the card should have counted. */
	uint64_t requests, bytes, fails;
	bool measured;
};

static uint8_t *at(struct drv *d, uint64_t gpa)
{
	return drv_gpa(&d->mem, gpa);
}

static uint64_t slot_gpa(struct drv *d, unsigned slot)
{
	return d->buf + (uint64_t)slot * BUF_LEN;
}

/* Waits up to ms for the next completion; counts it as the card should. */
static bool get_used(struct drv *d, uint16_t *id, uint32_t *len, int ms)
{
	if (!drv_vq_wait_used(&d->q, id, len, ms))
		return false;
	d->requests++;
	d->bytes += *len;
	return true;
}

/* Posts chain b[n] and waits for it: its used length, or dies. */
static uint32_t request(struct drv *d, const struct drv_buf *b, unsigned n)
{
	uint16_t id;
	uint32_t len;
	int head = drv_vq_add(&d->q, b, n, 0);

	if (head < 0)
		drv_die(2, "ring full");
	drv_vq_kick(&d->q);
	if (!get_used(d, &id, &len, d->timeout_ms))
		drv_die(1, "the card did not complete a request in %d ms", d->timeout_ms);
	if (id != head)
		drv_die(1, "completion of head %u, expected %d", id, head);
	return len;
}

/* Whether [p, p+len) still holds only FILL (random bytes do not: a run
 * of 16 such bytes has odds 2^-128). */
static bool untouched(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != FILL)
			return false;
	return true;
}

/* Whether no 16-byte run of [p, p+len) is left as the driver wrote it. */
static bool filled(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 16 <= len; i += 16)
		if (untouched(p + i, 16))
			return false;
	return len >= 16 || !untouched(p, len);
}

/* One buffer of len bytes in slot 0: used length and bytes right. */
static void one_read(struct drv *d, uint32_t len, uint32_t want, const char *what)
{
	uint8_t *p = at(d, slot_gpa(d, 0));
	struct drv_buf b = { slot_gpa(d, 0), len, true };

	memset(p, FILL, BUF_LEN);
	uint32_t got = request(d, &b, 1);
	drv_check(&d->failures, got == want && (want < 4 || filled(p, want)) && untouched(p + want, BUF_LEN - want),
	      "%s: %u bytes asked, %u given (want %u), filled, nothing beyond", what, len,
	      got, want);
}

static void test_sizes(struct drv *d)
{
	static const uint32_t sizes[] = { 1, 16, 511, 4096, 65535, CARD_RNG_MAX_REQUEST };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		one_read(d, sizes[i], sizes[i], "sizes");
	one_read(d, 0, 0, "sizes: an empty buffer");
	/* Three buffers, the second across the 16 MiB region boundary. */
	uint64_t cross = (16ull << 20) - 100;
	uint8_t *p0 = at(d, slot_gpa(d, 1)), *p1 = at(d, cross), *p2 = at(d, slot_gpa(d, 2));
	memset(p0, FILL, 64);
	memset(p1, FILL, 300);
	memset(p2, FILL, 64);
	struct drv_buf b[3] = {
		{ slot_gpa(d, 1), 32, true }, { cross, 200, true }, { slot_gpa(d, 2), 8, true },
	};
	uint32_t got = request(d, b, 3);
	drv_check(&d->failures, got == 240 && filled(p0, 32) && untouched(p0 + 32, 32) && filled(p1, 200) &&
		 untouched(p1 + 200, 100) && filled(p2, 8) && untouched(p2 + 8, 56),
	      "sizes: a chain of 32+200+8 bytes across a region boundary: %u given", got);
}

static void test_differ(struct drv *d)
{
	uint8_t a[64], b[64], zero[64] = { 0 };

	one_read(d, 64, 64, "differ: first");
	memcpy(a, at(d, slot_gpa(d, 0)), 64);
	one_read(d, 64, 64, "differ: second");
	memcpy(b, at(d, slot_gpa(d, 0)), 64);
	drv_check(&d->failures, memcmp(a, b, 64) && memcmp(a, zero, 64) && memcmp(b, zero, 64),
	      "differ: two reads differ and neither is all zero");
}

static void test_cap(struct drv *d)
{
	one_read(d, BUF_LEN, CARD_RNG_MAX_REQUEST, "cap");
}

/* A hand-made chain of k descriptors: its completion must say 0. */
static void hostile(struct drv *d, const struct virtq_desc *desc, unsigned k,
		    const char *what)
{
	uint16_t idx[4], id;
	uint32_t len;

	if (drv_vq_post_raw(&d->q, desc, k, idx) < 0)
		drv_die(2, "ring full");
	drv_vq_kick(&d->q);
	bool got = get_used(d, &id, &len, d->timeout_ms);
	drv_check(&d->failures, got && id == idx[0] && len == 0, "hostile: %s: completed with 0 (%s, len %u)",
	      what, got ? "completed" : "not completed", got ? len : 0);
	d->fails++;
	drv_vq_release(&d->q, idx, k);
}

static void test_hostile(struct drv *d)
{
	uint64_t g = slot_gpa(d, 3);
	uint8_t *p = at(d, g);
	const uint16_t W = VIRTQ_DESC_F_WRITE, N = VIRTQ_DESC_F_NEXT;

	memset(p, FILL, 4096);
	hostile(d, (struct virtq_desc[]){ { g, 16, N, 1 }, { g + 16, 64, W, 0 } }, 2,
		"a device-readable descriptor");
	drv_check(&d->failures, untouched(p, 4096), "hostile: nothing written for a readable descriptor");
	hostile(d, (struct virtq_desc[]){ { g, 16, W | N, 1 }, { g + 16, 16, W | N, 0 } }, 2,
		"a descriptor loop");
	hostile(d, (struct virtq_desc[]){ { 0x200000000ULL, 64, W, 0 } }, 1,
		"an address outside guest memory");
	hostile(d, (struct virtq_desc[]){ { g, 0xffffffffu, W, 0 } }, 1,
		"a 4 GiB length");
	drv_check(&d->failures, untouched(p, 4096), "hostile: nothing written for any of them");
	one_read(d, 32, 32, "hostile: still serving");
}

/* Keeps RATE_DEPTH requests of d->rate_len bytes on the ring and counts
 * what comes back over RATE_MS, after a warm-up that empties the
 * buckets. */
static void test_rate(struct drv *d)
{
	uint64_t done = 0, bytes = 0, start = 0, t0 = drv_now_ms();
	uint16_t id;
	uint32_t len;
	unsigned posted = 0;

	for (; posted < RATE_DEPTH; posted++) {
		struct drv_buf b = { slot_gpa(d, posted), d->rate_len, true };
		drv_vq_add(&d->q, &b, 1, 0);
	}
	drv_vq_kick(&d->q);
	for (;;) {
		uint64_t t = drv_now_ms();
		if (!start && t >= t0 + 500) {
			start = t;
			done = bytes = 0;
		}
		if (start && t >= start + RATE_MS)
			break;
		if (!get_used(d, &id, &len, 50))
			continue;
		done++;
		bytes += len;
		struct drv_buf b = { slot_gpa(d, (unsigned)id % QSIZE), d->rate_len, true };
		drv_vq_add(&d->q, &b, 1, 0);
		drv_vq_kick(&d->q);
	}
	double secs = RATE_MS / 1000.0, ops = (double)done / secs, bw = (double)bytes / secs;
	printf("rate: %.1f requests/s, %.0f bytes/s\n", ops, bw);
	if (d->want_ops)
		drv_check(&d->failures, ops > d->want_ops * 0.85 && ops < d->want_ops * 1.15,
		      "rate: %.1f requests/s within 15 %% of %.1f", ops, d->want_ops);
	if (d->want_bw)
		drv_check(&d->failures, bw > d->want_bw * 0.85 && bw < d->want_bw * 1.15,
		      "rate: %.0f bytes/s within 15 %% of %.0f", bw, d->want_bw);
	/* Collect what is still on the ring, at the limited pace. */
	while (posted--)
		if (!get_used(d, &id, &len, d->timeout_ms))
			drv_die(1, "rate: a request left on the ring was not completed");
	d->measured = true;
}

static void test_seccomp(struct drv *d)
{
	if (d->card_pid > 0)
		drv_check(&d->failures, drv_card_seccomp(d->card_pid), "seccomp: the card runs under its filter");
}

static void test_stats(struct drv *d)
{
	const struct card_stats *s = drv_card_stats();

	if (!s) {
		drv_check(&d->failures, false, "stats: no stats page (give {stats})");
		return;
	}
	const struct card_rng_stats *r = &s->rng;
	printf("stats: %llu requests, %llu bytes, %llu failed, %llu host failures, "
	       "%llu throttled\n", (unsigned long long)r->event_count,
	       (unsigned long long)r->bytes, (unsigned long long)r->event_fails,
	       (unsigned long long)r->host_rng_fails,
	       (unsigned long long)r->rate_limiter_throttled);
	drv_check(&d->failures, r->event_count == d->requests, "stats: event_count %llu, want %llu",
	      (unsigned long long)r->event_count, (unsigned long long)d->requests);
	drv_check(&d->failures, r->bytes == d->bytes, "stats: bytes %llu, want %llu",
	      (unsigned long long)r->bytes, (unsigned long long)d->bytes);
	drv_check(&d->failures, r->event_fails == d->fails && r->host_rng_fails == 0,
	      "stats: event_fails %llu, want %llu; host_rng_fails 0",
	      (unsigned long long)r->event_fails, (unsigned long long)d->fails);
	bool limited = d->measured && (d->want_ops || d->want_bw);
	drv_check(&d->failures, limited ? r->rate_limiter_throttled > 0 : r->rate_limiter_throttled == 0,
	      "stats: rate_limiter_throttled %llu (%s)",
	      (unsigned long long)r->rate_limiter_throttled,
	      limited ? "limited: some" : "no limit reached: none");
}

static void setup(struct drv *d)
{
	drv_one_ring_setup(&d->fe, &d->mem, &d->q, QSIZE);
	d->buf = drv_alloc(&d->mem, (uint64_t)QSIZE * BUF_LEN, 4096, true);
}

int main(int argc, char **argv)
{
	static struct drv d;
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'o' },
		{ "bw", required_argument, NULL, 'b' },
		{ "len", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	drv_name = "vurng-drv";
	d.timeout_ms = 5000;
	d.rate_len = 4096;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 't': d.timeout_ms = atoi(optarg); break;
		case 'o': d.want_ops = atof(optarg); break;
		case 'b': d.want_bw = atof(optarg); break;
		case 'l': d.rate_len = (uint32_t)atoi(optarg); break;
		default: drv_die(2, "bad arguments");
		}
	}
	char **tests = argv + optind;
	d.card_pid = drv_connect(&d.fe, drv_card_argv(tests), NULL, d.timeout_ms);
	setup(&d);
	for (char **t = tests; *t; t++) {
		printf("== %s\n", *t);
		fflush(stdout);
		if (!strcmp(*t, "sizes")) test_sizes(&d);
		else if (!strcmp(*t, "differ")) test_differ(&d);
		else if (!strcmp(*t, "cap")) test_cap(&d);
		else if (!strcmp(*t, "hostile")) test_hostile(&d);
		else if (!strcmp(*t, "rate")) test_rate(&d);
		else if (!strcmp(*t, "seccomp")) test_seccomp(&d);
		else if (!strcmp(*t, "stats")) test_stats(&d);
		else if (!strcmp(*t, "flood")) drv_one_ring_flood(&d.fe, &d.mem, &d.q, &d.failures);
		else drv_die(2, "unknown test %s", *t);
	}
	return drv_finish(&d.fe, d.card_pid, &d.failures);
}
