/* vublk-drv: a host-only test driver for vhost-user-blk back-ends. It is a
 * hypervisor and a guest driver in one process: it uses azote's vhost-user
 * front-end library (src/vmm/vhost_frontend.h) to set up a back-end with a
 * memfd as guest memory, then builds virtio-blk requests in split rings in
 * that memory, kicks, waits for the call eventfd and checks the results.
 *
 *   vublk-drv [--socket PATH] [--queues N] [--qsize N] [--timeout MS]
 *             [--seed N] [--bench-seconds N] [--bench-size BYTES]
 *             [--warmup-ms MS] [--image IMG] [--next-image IMG [--next-direct]]
 *             TEST... [-- CARD ARGS...]
 *   vublk-drv --check-image IMG [--seed N]
 *
 * With "-- CARD ARGS..." the driver starts the card itself over a
 * socketpair, the way azote does (the card's end is fd 3; write "{fd}" in
 * ARGS... and it is replaced by 3, "{stats}" by a stats page as fd 4,
 * "{ctl}" by a control channel as fd 5),
 * and leaks a stray fd into it so the "fds" test can check the card
 * closed it.
 *
 * --no-flush leaves VIRTIO_BLK_F_FLUSH out of the features taken: the card
 * is then write-through.
 *
 * Tests: basic ro nopunch seg-max hostile mq remap remap-idle reset fds bench
 * throughput throttle-stop zeroes-limit flood durable-write crash-io control
 * handover dirtylog (--image names the
 * image for "fds", "odd-size" and "control"; "control", azote's updates
 * after boot, swaps it for --next-image, handed over a second time O_DIRECT
 * with --next-direct, as azote does for a card that runs --direct;
 * "handover" needs the card's command line: it moves the running rings to
 * a second card started from it, as a snapshot's restore does).
 * "dirtylog" restarts the device with a dirty log (VHOST_F_LOG_ALL,
 * SET_LOG_BASE, each used ring logged) and checks that reads mark exactly
 * the pages the card wrote: data, status byte, used ring.
 * "zeroes-limit" sets a bandwidth limit through the control channel and
 * times requests after WRITE_ZEROES; the largest (about 64 GiB) must fit
 * the image (a sparse one will do).
 * "throughput" reads --bench-size bytes at a time for --warmup-ms, then
 * measures bytes/s and ops/s over --bench-seconds (a rate limiter's first
 * fill is not measured). Prints one line per check; exits 0
 * when all pass, 1 on a failed check, 2 on a setup error, 3 when the
 * back-end went away (what crash-io expects). */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cards/blk/virtio_blk.h"
#include "drv_card.h"
#include "drv_flood.h"
#include "drv_rate.h"
#include "drv_ring.h"
#include "iface/card_control.h"
#include "vmm/vhost_frontend.h"
#include "virtio/virtio.h"

#define MAX_QUEUES 8
#define SLOTS      32          /* requests in flight per queue */
#define SLOT_DATA  (64 << 10)  /* data buffer per slot */
#define ITABLE_MAX 256         /* entries of a slot's indirect table */
#define EXIT_GONE  3

struct slot {
	uint64_t hdr, status, data, itable;
	int head;
};

struct drv {
	struct vu_frontend fe;
	struct drv_mem mem;
	unsigned nr_queues, qsize;
	struct drv_vq q[MAX_QUEUES];
	struct slot slots[MAX_QUEUES][SLOTS];
	int head_slot[MAX_QUEUES][VIRTQ_MAX_SIZE];
	uint64_t features;
	bool no_flush;            /* --no-flush: FLUSH not negotiated (write-through) */
	uint64_t capacity;        /* sectors */
	int timeout_ms;
	unsigned seed;
	pid_t card_pid;
	int failures;
	int passes;
	/* The dirty log the back-end is given at setup, or fd -1. */
	int log_fd;
	uint8_t *log;
	uint64_t log_bytes;
};

static void check(struct drv *d, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(struct drv *d, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (ok)
		d->passes++;
	else
		d->failures++;
}

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vublk-drv: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(code);
}

static uint8_t pattern(unsigned seed, uint64_t sector, unsigned i)
{
	return (uint8_t)(sector * 131 + i * 7 + seed);
}

static void fill(uint8_t *p, unsigned seed, uint64_t sector, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = pattern(seed, sector + i / 512, i % 512);
}

static bool matches(const uint8_t *p, unsigned seed, uint64_t sector, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != pattern(seed, sector + i / 512, i % 512))
			return false;
	return true;
}

static bool all_zero(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Sleeps until one of queues first..first+n-1 signals its call eventfd
 * (or the deadline passes: then it dies). */
static void wait_call(struct drv *d, unsigned first, unsigned n, int64_t deadline)
{
	struct pollfd p[MAX_QUEUES + 1];
	int64_t left = deadline - now_ms();

	if (left <= 0)
		die(EXIT_GONE, "queue %u: no completion within %d ms", first, d->timeout_ms);
	for (unsigned i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = d->q[first + i].callfd, .events = POLLIN };
	p[n] = (struct pollfd){ .fd = vu_fe_fd(&d->fe), .events = POLLIN };
	if (poll(p, n + 1, (int)left) < 0 && errno != EINTR)
		die(2, "poll: %s", strerror(errno));
	/* The back-end never writes to the socket unasked: readable means
	 * EOF, i.e. it is gone. */
	if (p[n].revents)
		die(EXIT_GONE, "queue %u: back-end closed the connection", first);
	for (unsigned i = 0; i < n; i++) {
		uint64_t v;
		if (p[i].revents)
			(void)!read(p[i].fd, &v, sizeof(v));
	}
}

/* Waits for the next used element of queue qi. */
static void wait_used(struct drv *d, unsigned qi, uint16_t *id, uint32_t *len)
{
	int64_t deadline = now_ms() + d->timeout_ms;

	while (!drv_vq_get_used(&d->q[qi], id, len))
		wait_call(d, qi, 1, deadline);
}

/* Waits for the next used element of any queue; returns the queue. */
static unsigned wait_any_used(struct drv *d, uint16_t *id, uint32_t *len)
{
	int64_t deadline = now_ms() + d->timeout_ms;

	for (;;) {
		for (unsigned qi = 0; qi < d->nr_queues; qi++)
			if (drv_vq_get_used(&d->q[qi], id, len))
				return qi;
		wait_call(d, 0, d->nr_queues, deadline);
	}
}

/* One block request: type, sector, data at data_gpa (len bytes, written by
 * the device for IN-like requests). layout: 0 plain 3 descriptors,
 * 1 indirect, 2 data split in 2 KiB descriptors, 3 header and data in
 * one descriptor (OUT) / data and status in one (IN), 4 data split in
 * 256-byte descriptors, all in one indirect table (the largest requests). */
struct io {
	uint32_t type;
	uint64_t sector;
	uint64_t data;
	uint32_t len;
	bool dev_writes;
	int layout;
};

static int start_io(struct drv *d, unsigned qi, unsigned si, const struct io *io)
{
	struct slot *s = &d->slots[qi][si];
	struct virtio_blk_req_hdr *h = drv_gpa(&d->mem, s->hdr);
	struct drv_buf b[ITABLE_MAX];
	unsigned n = 0;

	*h = (struct virtio_blk_req_hdr){ .type = io->type, .sector = io->sector };
	*(uint8_t *)drv_gpa(&d->mem, s->status) = 0xee;
	if (io->layout == 3 && io->len && !io->dev_writes) {
		/* Header and data in one buffer: copy the data behind it. */
		memmove((uint8_t *)h + 16, drv_gpa(&d->mem, io->data), io->len);
		b[n++] = (struct drv_buf){ s->hdr, 16 + io->len, false };
	} else {
		b[n++] = (struct drv_buf){ s->hdr, 16, false };
		if (io->len && (io->layout == 2 || io->layout == 4)) {
			uint32_t piece = io->layout == 2 ? 2048 : 256;
			for (uint32_t off = 0; off < io->len && n + 1 < ITABLE_MAX; off += piece)
				b[n++] = (struct drv_buf){ io->data + off,
					io->len - off < piece ? io->len - off : piece,
					io->dev_writes };
		} else if (io->len && !(io->layout == 3 && io->dev_writes)) {
			b[n++] = (struct drv_buf){ io->data, io->len, io->dev_writes };
		}
	}
	if (io->layout == 3 && io->dev_writes) {
		/* Data and status adjacent in one writable buffer. */
		b[n++] = (struct drv_buf){ io->data, io->len + 1, true };
	} else {
		b[n++] = (struct drv_buf){ s->status, 1, true };
	}
	int head = drv_vq_add(&d->q[qi], b, n,
			      io->layout == 1 || io->layout == 4 ? s->itable : 0);
	if (head < 0)
		die(2, "queue %u: out of descriptors", qi);
	s->head = head;
	d->head_slot[qi][head] = (int)si;
	drv_vq_kick(&d->q[qi]);
	return head;
}

static uint8_t slot_status(struct drv *d, unsigned qi, unsigned si, const struct io *io)
{
	if (io && io->layout == 3 && io->dev_writes)
		return *(uint8_t *)drv_gpa(&d->mem, io->data + io->len);
	return *(uint8_t *)drv_gpa(&d->mem, d->slots[qi][si].status);
}

/* Runs one request synchronously on queue qi; returns the status byte. */
static uint8_t do_io(struct drv *d, unsigned qi, const struct io *io, uint32_t *used)
{
	int head = start_io(d, qi, 0, io);
	uint16_t id;
	uint32_t len;

	wait_used(d, qi, &id, &len);
	if (id != head)
		check(d, false, "queue %u: completion for head %u, expected %d", qi, id, head);
	if (used)
		*used = len;
	return slot_status(d, qi, 0, io);
}

static uint8_t rw(struct drv *d, unsigned qi, bool write, uint64_t sector,
		  uint64_t gpa, uint32_t len, int layout)
{
	struct io io = {
		.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, .sector = sector,
		.data = gpa, .len = len, .dev_writes = !write, .layout = layout,
	};
	return do_io(d, qi, &io, NULL);
}

/* A DISCARD or WRITE_ZEROES of nr ranges of count sectors each, end to
 * end from sector. */
static uint8_t nranges(struct drv *d, uint32_t type, uint64_t sector, uint32_t count,
		       uint32_t flags, unsigned nr)
{
	uint64_t gpa = d->slots[0][1].data;
	struct virtio_blk_discard_write_zeroes *s = drv_gpa(&d->mem, gpa);
	struct io io = { .type = type, .data = gpa, .len = nr * (uint32_t)sizeof(*s) };

	for (unsigned i = 0; i < nr; i++)
		s[i] = (struct virtio_blk_discard_write_zeroes){
			sector + (uint64_t)i * count, count, flags };
	return do_io(d, 0, &io, NULL);
}

static uint8_t ranges(struct drv *d, uint32_t type, uint64_t sector, uint32_t count,
		      uint32_t flags)
{
	return nranges(d, type, sector, count, flags, 1);
}

/* The guest memory's regions, as azote describes its RAM. */
static void send_mem_table(struct drv *d)
{
	struct vu_fe_region r[DRV_NR_REGIONS] = {
		{ 0, 16 << 20, (uint64_t)d->mem.base, d->mem.fd, 0 },
		{ 16 << 20, 16 << 20, (uint64_t)d->mem.base + (16 << 20), d->mem.fd, 16 << 20 },
		{ DRV_HIGH_GPA, 32 << 20, (uint64_t)d->mem.base + (32 << 20), d->mem.fd, 32 << 20 },
	};
	struct azerr e;

	if (vu_fe_set_mem_table(&d->fe, r, DRV_NR_REGIONS, &e))
		die(2, "%s", e.msg);
}

/* ---- tests ---- */

static void test_basic(struct drv *d)
{
	uint64_t buf = d->slots[0][0].data, chk = d->slots[0][1].data;
	uint8_t *p = drv_gpa(&d->mem, buf), *c = drv_gpa(&d->mem, chk);
	uint32_t used;
	char serial[21] = { 0 };

	struct io gid = { .type = VIRTIO_BLK_T_GET_ID, .data = buf, .len = 20,
			  .dev_writes = true };
	memset(p, 0, 20);
	uint8_t st = do_io(d, 0, &gid, &used);
	memcpy(serial, p, 20);
	check(d, st == VIRTIO_BLK_S_OK && serial[0] && used == 21,
	      "GET_ID answers \"%s\" (used len %u)", serial, used);

	static const char *const layouts[] = { "3 descriptors", "indirect",
		"2 KiB segments", "header+data / data+status merged" };
	for (int l = 0; l < 4; l++) {
		uint64_t sector = 64 + 256 * (uint64_t)l;
		fill(p, d->seed, sector, 32768);
		uint8_t ws = rw(d, 0, true, sector, buf, 32768, l);
		memset(c, 0, 32768);
		uint8_t rs = rw(d, 0, false, sector, chk, 32768, l);
		check(d, ws == 0 && rs == 0 && matches(c, d->seed, sector, 32768),
		      "write+read 32 KiB, %s (status %u/%u)", layouts[l], ws, rs);
	}

	/* A buffer crossing the boundary between two guest memory regions
	 * adjacent in guest physical space. */
	uint64_t cross = (16ULL << 20) - 2048;
	fill(drv_gpa(&d->mem, cross), d->seed, 1000, 4096);
	uint8_t ws = rw(d, 0, true, 1000, cross, 4096, 0);
	memset(c, 0, 4096);
	uint8_t rs = rw(d, 0, false, 1000, chk, 4096, 0);
	check(d, ws == 0 && rs == 0 && matches(c, d->seed, 1000, 4096),
	      "buffer across a memory region boundary");

	/* High memory (above 4 GiB) buffers. */
	uint64_t hi = d->slots[0][2].data;
	check(d, hi >= DRV_HIGH_GPA, "slot buffers above 4 GiB in use");
	fill(drv_gpa(&d->mem, hi), d->seed, 1100, 8192);
	ws = rw(d, 0, true, 1100, hi, 8192, 0);
	rs = rw(d, 0, false, 1100, chk, 8192, 0);
	check(d, ws == 0 && rs == 0 && matches(c, d->seed, 1100, 8192),
	      "buffers above 4 GiB");

	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	check(d, do_io(d, 0, &fl, NULL) == VIRTIO_BLK_S_OK, "FLUSH");

	/* WRITE_ZEROES without and with unmap read back as zeros; DISCARD
	 * only has to succeed (its data is undefined after, §5.2.6). */
	fill(p, d->seed, 1200, 32768);
	rw(d, 0, true, 1200, buf, 32768, 0);
	st = ranges(d, VIRTIO_BLK_T_WRITE_ZEROES, 1200, 16, 0);
	uint8_t st2 = ranges(d, VIRTIO_BLK_T_WRITE_ZEROES, 1216, 16,
			     VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	uint8_t st3 = ranges(d, VIRTIO_BLK_T_DISCARD, 1232, 16, 0);
	rw(d, 0, false, 1200, chk, 32768, 0);
	check(d, st == 0 && st2 == 0 && st3 == 0 && all_zero(c, 2 * 8192) &&
	      matches(c + 3 * 8192, d->seed, 1248, 32768 - 3 * 8192),
	      "WRITE_ZEROES, WRITE_ZEROES+UNMAP zero exactly their ranges, "
	      "DISCARD succeeds (status %u/%u/%u)", st, st2, st3);

	check(d, rw(d, 0, false, d->capacity, chk, 512, 0) == VIRTIO_BLK_S_IOERR,
	      "read at sector = capacity -> IOERR");
	check(d, rw(d, 0, true, d->capacity - 1, buf, 1024, 0) == VIRTIO_BLK_S_IOERR,
	      "write crossing the end -> IOERR");
	check(d, rw(d, 0, false, 1ULL << 62, chk, 512, 0) == VIRTIO_BLK_S_IOERR,
	      "read at sector 2^62 (overflow) -> IOERR");
	check(d, rw(d, 0, false, 0, chk, 100, 0) == VIRTIO_BLK_S_IOERR,
	      "read of 100 bytes (not a sector multiple) -> IOERR");
	check(d, ranges(d, VIRTIO_BLK_T_DISCARD, d->capacity - 1, 2, 0) ==
	      VIRTIO_BLK_S_IOERR, "DISCARD past the end -> IOERR");
	check(d, ranges(d, VIRTIO_BLK_T_DISCARD, 0, 8, 0x80) ==
	      VIRTIO_BLK_S_UNSUPP, "DISCARD with unknown flags -> UNSUPP");
	struct io unk = { .type = 0x55 };
	check(d, do_io(d, 0, &unk, NULL) == VIRTIO_BLK_S_UNSUPP,
	      "unknown request type -> UNSUPP");

	/* Several requests in flight at once, completed in any order; read
	 * back in one request into one slot's buffer. */
	unsigned n = SLOT_DATA / 4096 < d->qsize / 3 ? SLOT_DATA / 4096 : d->qsize / 3;
	for (unsigned i = 0; i < n; i++) {
		struct io io = { .type = VIRTIO_BLK_T_OUT, .sector = 4096 + i * 8,
				 .data = d->slots[0][i].data, .len = 4096 };
		fill(drv_gpa(&d->mem, io.data), d->seed + 1, io.sector, 4096);
		start_io(d, 0, i, &io);
	}
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t id;
		uint32_t len;
		wait_used(d, 0, &id, &len);
		ok += slot_status(d, 0, (unsigned)d->head_slot[0][id], NULL) == 0;
	}
	rw(d, 0, false, 4096, chk, n * 4096, 0);
	check(d, ok == n && matches(c, d->seed + 1, 4096, n * 4096),
	      "%u writes in flight together", n);
}

static void test_ro(struct drv *d)
{
	uint64_t buf = d->slots[0][0].data;
	uint8_t *p = drv_gpa(&d->mem, buf);

	check(d, d->features & VIRTIO_BIT(VIRTIO_BLK_F_RO), "device offers VIRTIO_BLK_F_RO");
	rw(d, 0, false, 0, buf, 4096, 0);
	uint8_t before[4096];
	memcpy(before, p, 4096);
	memset(p, 0x5a, 4096);
	check(d, rw(d, 0, true, 0, buf, 4096, 0) == VIRTIO_BLK_S_IOERR,
	      "write on a read-only image -> IOERR");
	check(d, ranges(d, VIRTIO_BLK_T_DISCARD, 0, 8, 0) == VIRTIO_BLK_S_IOERR,
	      "DISCARD on a read-only image -> IOERR");
	check(d, ranges(d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0) == VIRTIO_BLK_S_IOERR,
	      "WRITE_ZEROES on a read-only image -> IOERR");
	check(d, rw(d, 0, false, 0, buf, 4096, 0) == 0 && !memcmp(p, before, 4096),
	      "data unchanged after refused writes");
}

/* An image that is not a whole number of sectors: the disk is its whole
 * sectors, the bytes after them stay as they were, and an empty image is
 * a disk of 0 sectors that fails every read and write and still flushes. */
static void test_odd_size(struct drv *d, const char *image)
{
	uint64_t buf = d->slots[0][0].data;
	uint8_t *p = drv_gpa(&d->mem, buf), tail[512], after[512];
	struct stat st;
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	check(d, fd >= 0 && fstat(fd, &st) == 0, "the image can be read from the host");
	uint64_t whole = (uint64_t)st.st_size / 512, rest = (uint64_t)st.st_size % 512;
	check(d, d->capacity == whole, "capacity = the image's whole sectors");
	if (rest)
		n = pread(fd, tail, rest, (off_t)(whole * 512));
	check(d, rw(d, 0, false, whole, buf, 512, 0) == VIRTIO_BLK_S_IOERR,
	      "read of the sector the partial bytes are in -> IOERR");
	if (whole) {
		memset(p, 0xa5, 512);
		check(d, rw(d, 0, true, whole - 1, buf, 512, 0) == 0, "write of the last sector");
	}
	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	check(d, do_io(d, 0, &fl, NULL) == VIRTIO_BLK_S_OK, "FLUSH");
	if (rest)
		check(d, pread(fd, after, rest, (off_t)(whole * 512)) == n &&
		      !memcmp(tail, after, rest), "the bytes after the last sector unchanged");
	close(fd);
}

/* Posts a hand-made chain of k descriptors (filled by the caller through
 * dd[]) and checks it fails alone: used length 0, status untouched. */
static void hostile(struct drv *d, const char *what, unsigned k,
		    void (*make)(struct drv *, struct virtq_desc **, uint16_t *))
{
	struct drv_vq *q = &d->q[0];
	struct virtq_desc *dd[8];
	uint16_t idx[8];
	uint16_t id;
	uint32_t len;

	if (drv_vq_take(q, k, idx) < 0)
		die(2, "out of descriptors");
	for (unsigned i = 0; i < k; i++) {
		dd[i] = &q->desc[idx[i]];
		memset(dd[i], 0, sizeof(*dd[i]));
	}
	make(d, dd, idx);
	drv_vq_publish(q, idx[0]);
	drv_vq_kick(q);
	wait_used(d, 0, &id, &len);
	drv_vq_release(q, idx, k);
	check(d, id == idx[0] && len == 0, "hostile chain fails alone: %s", what);
}

static void mk_loop(struct drv *d, struct virtq_desc **x, uint16_t *i)
{
	x[0]->addr = d->slots[0][0].hdr; x[0]->len = 16;
	x[0]->flags = VIRTQ_DESC_F_NEXT; x[0]->next = i[1];
	x[1]->addr = d->slots[0][0].data; x[1]->len = 512;
	x[1]->flags = VIRTQ_DESC_F_NEXT; x[1]->next = i[0];
}

static void mk_bad_next(struct drv *d, struct virtq_desc **x, uint16_t *i)
{
	(void)i;
	x[0]->addr = d->slots[0][0].hdr; x[0]->len = 16;
	x[0]->flags = VIRTQ_DESC_F_NEXT; x[0]->next = (uint16_t)(d->qsize + 7);
}

static void mk_outside(struct drv *d, struct virtq_desc **x, uint16_t *i)
{
	x[0]->addr = d->slots[0][0].hdr; x[0]->len = 16;
	x[0]->flags = VIRTQ_DESC_F_NEXT; x[0]->next = i[1];
	x[1]->addr = 0x80000000ULL; x[1]->len = 1; x[1]->flags = VIRTQ_DESC_F_WRITE;
}

static void mk_past_end(struct drv *d, struct virtq_desc **x, uint16_t *i)
{
	x[0]->addr = d->slots[0][0].hdr; x[0]->len = 16;
	x[0]->flags = VIRTQ_DESC_F_NEXT; x[0]->next = i[1];
	x[1]->addr = (32ULL << 20) - 100; x[1]->len = 4096; x[1]->flags = VIRTQ_DESC_F_WRITE;
}

static void mk_huge(struct drv *d, struct virtq_desc **x, uint16_t *i)
{
	x[0]->addr = d->slots[0][0].hdr; x[0]->len = 0xffffffffu;
	x[0]->flags = VIRTQ_DESC_F_NEXT; x[0]->next = i[1];
	x[1]->addr = d->slots[0][0].status; x[1]->len = 1; x[1]->flags = VIRTQ_DESC_F_WRITE;
}

static void mk_order(struct drv *d, struct virtq_desc **x, uint16_t *i)
{
	x[0]->addr = d->slots[0][0].status; x[0]->len = 1;
	x[0]->flags = VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT; x[0]->next = i[1];
	x[1]->addr = d->slots[0][0].hdr; x[1]->len = 16;
}

/* Indirect tables in slot 0's itable area, shaped by kind. */
static void mk_indirect(struct drv *d, struct virtq_desc **x, int kind)
{
	uint64_t t = d->slots[0][0].itable;
	struct virtq_desc *tab = drv_gpa(&d->mem, t);

	memset(tab, 0, 64);
	tab[0] = (struct virtq_desc){ d->slots[0][0].hdr, 16, VIRTQ_DESC_F_NEXT, 1 };
	tab[1] = (struct virtq_desc){ d->slots[0][0].status, 1, VIRTQ_DESC_F_WRITE, 0 };
	x[0]->addr = t;
	x[0]->len = 32;
	x[0]->flags = VIRTQ_DESC_F_INDIRECT;
	switch (kind) {
	case 0: x[0]->flags |= VIRTQ_DESC_F_NEXT; break;          /* with NEXT */
	case 1: tab[1].flags |= VIRTQ_DESC_F_INDIRECT; break;     /* nested */
	case 2: x[0]->len = 24; break;                            /* not 16n */
	case 3: x[0]->addr = 0x90000000ULL; break;                /* outside */
	case 4: tab[1].flags |= VIRTQ_DESC_F_NEXT; tab[1].next = 0; break; /* loop */
	}
}

static void mk_ind_next(struct drv *d, struct virtq_desc **x, uint16_t *i) { (void)i; mk_indirect(d, x, 0); }
static void mk_ind_nested(struct drv *d, struct virtq_desc **x, uint16_t *i) { (void)i; mk_indirect(d, x, 1); }
static void mk_ind_len(struct drv *d, struct virtq_desc **x, uint16_t *i) { (void)i; mk_indirect(d, x, 2); }
static void mk_ind_outside(struct drv *d, struct virtq_desc **x, uint16_t *i) { (void)i; mk_indirect(d, x, 3); }
static void mk_ind_loop(struct drv *d, struct virtq_desc **x, uint16_t *i) { (void)i; mk_indirect(d, x, 4); }

static void test_hostile(struct drv *d)
{
	uint64_t buf = d->slots[0][0].data;
	uint32_t used;

	hostile(d, "loop", 2, mk_loop);
	hostile(d, "next index beyond the table", 1, mk_bad_next);
	hostile(d, "buffer outside guest memory", 2, mk_outside);
	hostile(d, "buffer running past the end of a region", 2, mk_past_end);
	hostile(d, "4 GiB descriptor length", 2, mk_huge);
	hostile(d, "readable after writable", 2, mk_order);
	hostile(d, "indirect descriptor with NEXT", 1, mk_ind_next);
	hostile(d, "nested indirect", 1, mk_ind_nested);
	hostile(d, "indirect table of 24 bytes", 1, mk_ind_len);
	hostile(d, "indirect table outside memory", 1, mk_ind_outside);
	hostile(d, "loop inside an indirect table", 1, mk_ind_loop);

	/* A head index beyond the ring names no request: it is dropped, and
	 * the next request is served normally. */
	drv_vq_publish(&d->q[0], (uint16_t)(d->qsize + 3));
	struct io hdr_only = { .type = VIRTIO_BLK_T_FLUSH };
	uint8_t st = do_io(d, 0, &hdr_only, &used);
	check(d, st == 0 && used == 1, "head index beyond the ring is skipped");

	/* A request without a status byte cannot be answered: length 0. */
	struct drv_buf b = { d->slots[0][0].hdr, 16, false };
	*(struct virtio_blk_req_hdr *)drv_gpa(&d->mem, b.gpa) =
		(struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN };
	int head = drv_vq_add(&d->q[0], &b, 1, 0);
	drv_vq_kick(&d->q[0]);
	uint16_t id;
	wait_used(d, 0, &id, &used);
	check(d, id == head && used == 0, "request without a status byte -> length 0");

	/* A header shorter than 16 bytes gets IOERR. */
	struct drv_buf s[2] = { { d->slots[0][0].hdr, 8, false },
				{ d->slots[0][0].status, 1, true } };
	*(uint8_t *)drv_gpa(&d->mem, d->slots[0][0].status) = 0xee;
	head = drv_vq_add(&d->q[0], s, 2, 0);
	drv_vq_kick(&d->q[0]);
	wait_used(d, 0, &id, &used);
	check(d, id == head && slot_status(d, 0, 0, NULL) == VIRTIO_BLK_S_IOERR,
	      "8-byte header -> IOERR");

	fill(drv_gpa(&d->mem, buf), d->seed, 3000, 4096);
	uint8_t ws = rw(d, 0, true, 3000, buf, 4096, 0);
	memset(drv_gpa(&d->mem, buf), 0, 4096);
	uint8_t rs = rw(d, 0, false, 3000, buf, 4096, 0);
	check(d, ws == 0 && rs == 0 && matches(drv_gpa(&d->mem, buf), d->seed, 3000, 4096),
	      "card still serves requests after the hostile ones");
	if (d->card_pid > 0)
		check(d, kill(d->card_pid, 0) == 0, "card process alive");
}

/* One write and read back on every queue. */
static void test_roundtrip(struct drv *d, const char *when)
{
	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		uint64_t buf = d->slots[qi][0].data, chk = d->slots[qi][1].data;
		fill(drv_gpa(&d->mem, buf), d->seed + 9, 5000 + qi * 8, 4096);
		uint8_t ws = rw(d, qi, true, 5000 + qi * 8, buf, 4096, 0);
		memset(drv_gpa(&d->mem, chk), 0, 4096);
		uint8_t rs = rw(d, qi, false, 5000 + qi * 8, chk, 4096, 0);
		check(d, ws == 0 && rs == 0 &&
		      matches(drv_gpa(&d->mem, chk), d->seed + 9, 5000 + qi * 8, 4096),
		      "queue %u serves requests %s", qi, when);
	}
}

/* A new memory table while the rings run (memory hot-plug does this): the
 * back-end must pick the rings up again where they were. "remap" leaves
 * a request in flight across the change, as a front-end such as QEMU may;
 * "remap-idle" sends it between requests, all azote itself ever does
 * (it sends the table only when it starts the rings). */
static void test_remap(struct drv *d, bool in_flight)
{
	struct io io = { .type = VIRTIO_BLK_T_OUT, .sector = 6000,
			 .data = d->slots[0][3].data, .len = 4096 };
	uint16_t id;
	uint32_t len;

	if (!in_flight) {
		send_mem_table(d);
		test_roundtrip(d, "after SET_MEM_TABLE between requests");
		return;
	}
	fill(drv_gpa(&d->mem, io.data), d->seed, io.sector, 4096);
	int head = start_io(d, 0, 3, &io);
	send_mem_table(d);
	wait_used(d, 0, &id, &len);
	uint8_t st = slot_status(d, 0, 3, NULL);
	check(d, id == head && st == 0,
	      "request in flight across SET_MEM_TABLE completes (head %d: used id %u, status 0x%x)",
	      head, id, st);
	test_roundtrip(d, "after SET_MEM_TABLE");
}

static void test_mq(struct drv *d)
{
	check(d, d->nr_queues > 1, "%u queues in use", d->nr_queues);
	/* Every queue writes its own area at once, then each area is read
	 * back through another queue. */
	for (unsigned qi = 0; qi < d->nr_queues; qi++)
		for (unsigned i = 0; i < 4; i++) {
			struct io io = { .type = VIRTIO_BLK_T_OUT,
					 .sector = 8192 + qi * 256 + i * 64,
					 .data = d->slots[qi][i].data, .len = 32768 };
			fill(drv_gpa(&d->mem, io.data), d->seed + qi, io.sector, io.len);
			start_io(d, qi, i, &io);
		}
	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		unsigned ok = 0;
		for (unsigned i = 0; i < 4; i++) {
			uint16_t id;
			uint32_t len;
			wait_used(d, qi, &id, &len);
			ok += slot_status(d, qi, (unsigned)d->head_slot[qi][id], NULL) == 0;
		}
		check(d, ok == 4, "queue %u: 4 concurrent writes complete", qi);
	}
	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		unsigned other = (qi + 1) % d->nr_queues;
		uint64_t chk = d->slots[other][8].data;
		uint8_t st = rw(d, other, false, 8192 + qi * 256, chk, SLOT_DATA, 0);
		check(d, st == 0 && matches(drv_gpa(&d->mem, chk), d->seed + qi,
					    8192 + qi * 256, SLOT_DATA),
		      "queue %u's data read back through queue %u", qi, other);
	}
}

/* Lists the card's fds: only sockets, eventfds, io_urings, the image,
 * /dev/null (stdin/stdout) and fd 2 (its log) may be there. */
static void test_fds(struct drv *d, const char *image)
{
	char path[64], target[512];
	unsigned bad = 0, n = 0;

	if (d->card_pid <= 0)
		die(2, "the fds test needs a card the driver started");
	char *real = realpath(image, NULL);
	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", d->card_pid, fd);
		ssize_t l = readlink(path, target, sizeof(target) - 1);
		if (l < 0)
			continue;
		target[l] = 0;
		n++;
		bool ok = fd == 2 || !strncmp(target, "socket:", 7) ||
			  !strcmp(target, "anon_inode:[eventfd]") ||
			  !strcmp(target, "anon_inode:[io_uring]") ||
			  !strcmp(target, "/dev/null") ||
			  (real && !strcmp(target, real));
		if (!ok) {
			bad++;
			printf("  unexpected fd %d -> %s\n", fd, target);
		}
	}
	free(real);
	check(d, n > 0 && !bad, "card holds %u fds, none unexpected", n);
	snprintf(path, sizeof(path), "/proc/%d/status", d->card_pid);
	FILE *f = fopen(path, "r");
	char line[256];
	bool filtered = false;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			filtered = strtol(line + 8, NULL, 10) == 2;
	if (f)
		fclose(f);
	check(d, filtered, "card runs under a seccomp filter");
}

/* Starts a request of len bytes (a multiple of 512, at most SLOT_DATA) at
 * a random place aligned to its size. */
static void bench_io(struct drv *d, unsigned qi, unsigned si, bool write, uint32_t len,
		     uint32_t *rnd)
{
	uint64_t sectors = len / 512;

	*rnd = *rnd * 1103515245u + 12345;
	struct io io = { .type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
			 .sector = (*rnd % (d->capacity / sectors - 1)) * sectors,
			 .data = d->slots[qi][si].data, .len = len,
			 .dev_writes = !write };
	start_io(d, qi, si, &io);
}

/* 4 KiB random reads (then writes) at SLOTS in flight per queue for secs
 * seconds on every queue; prints IOPS. */
static void bench(struct drv *d, unsigned secs, bool write)
{
	uint64_t done = 0;
	unsigned depth = SLOTS < d->qsize / 3 ? SLOTS : d->qsize / 3;
	uint32_t rnd = d->seed * 2654435761u + 1;
	int64_t end = now_ms() + secs * 1000LL, start = now_ms();

	for (unsigned qi = 0; qi < d->nr_queues; qi++)
		for (unsigned i = 0; i < depth; i++) {
			bench_io(d, qi, i, write, 4096, &rnd);
		}
	bool running = true;
	unsigned outstanding = depth * d->nr_queues;
	while (outstanding) {
		for (unsigned qi = 0; qi < d->nr_queues; qi++) {
			uint16_t id;
			uint32_t len;
			if (!drv_vq_get_used(&d->q[qi], &id, &len)) {
				if (d->nr_queues == 1)
					wait_used(d, qi, &id, &len);
				else
					continue;
			}
			unsigned si = (unsigned)d->head_slot[qi][id];
			if (slot_status(d, qi, si, NULL) != 0)
				die(1, "bench: I/O error");
			done++;
			running = running && now_ms() < end;
			if (!running) {
				outstanding--;
				continue;
			}
			bench_io(d, qi, si, write, 4096, &rnd);
		}
	}
	double t = (now_ms() - start) / 1000.0;
	printf("bench: 4k random %s, %u queue(s) x %u deep: %.0f IOPS (%llu in %.1f s)\n",
	       write ? "writes" : "reads", d->nr_queues, depth, done / t,
	       (unsigned long long)done, t);
}

/* Reads of len bytes, depth deep on every queue, as fast as the card lets
 * them go, measured after warmup_ms for secs seconds (drv_rate.h). Prints
 * bytes/s and ops/s, and how often the card was throttled when it has a
 * stats page. */
static void throughput(struct drv *d, unsigned secs, unsigned warmup_ms, uint32_t len)
{
	const struct card_stats *cs = drv_card_stats();
	unsigned depth = SLOTS < d->qsize / 3 ? SLOTS : d->qsize / 3, outstanding = 0;
	uint32_t rnd = d->seed * 2654435761u + 1;
	uint64_t done = 0;
	uint64_t throttled = cs ? card_stat_read(&cs->blk.rate_limiter_throttled) : 0;
	struct drv_rate m;
	char desc[96];

	if (len < 512 || len % 512 || len > SLOT_DATA)
		die(2, "--bench-size %u: a multiple of 512 up to %u", len, SLOT_DATA);
	drv_rate_start(&m, warmup_ms, secs);
	for (unsigned qi = 0; qi < d->nr_queues; qi++)
		for (unsigned i = 0; i < depth; i++, outstanding++)
			bench_io(d, qi, i, false, len, &rnd);
	while (outstanding) {
		uint16_t id;
		uint32_t used;
		unsigned qi = wait_any_used(d, &id, &used);
		unsigned si = (unsigned)d->head_slot[qi][id];
		if (slot_status(d, qi, si, NULL) != 0)
			die(1, "throughput: I/O error");
		if (drv_rate_note(&m, ++done))
			bench_io(d, qi, si, false, len, &rnd);
		else
			outstanding--;
	}
	snprintf(desc, sizeof(desc), "%u-byte reads, %u queue(s) x %u deep", len,
		 d->nr_queues, depth);
	drv_rate_print(&m, "throughput", desc, len);
	if (cs)
		printf("throughput: the card was throttled %llu times\n",
		       (unsigned long long)(card_stat_read(&cs->blk.rate_limiter_throttled) -
					    throttled));
}

static void setup(struct drv *d, unsigned want_queues);
static void teardown(struct drv *d);

/* For a card allowed one request a minute (--ops-limit
 * size=1,refill_time=60000): the first request goes, the second stays on
 * the ring; stopping the ring then takes no longer than usual (the card
 * drops its timer) and leaves that request there. After a reset the card
 * serves a new ring as before. */
static void test_throttle_stop(struct drv *d, unsigned queues)
{
	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	uint16_t id, base;
	uint32_t len;
	struct azerr e;

	check(d, do_io(d, 0, &fl, NULL) == VIRTIO_BLK_S_OK, "the first request goes");
	start_io(d, 0, 1, &fl);
	usleep(300 * 1000);
	check(d, !drv_vq_get_used(&d->q[0], &id, &len), "the second is held back");
	int64_t t = now_ms();
	for (unsigned qi = queues; qi-- > 0;)
		if (vu_fe_vring_stop(&d->fe, qi, &base, &e))
			die(EXIT_GONE, "%s", e.msg);
	check(d, now_ms() - t < 3000 && base == (uint16_t)(d->q[0].avail_idx - 1),
	      "the ring stops at once (%lld ms), the held request left on it (base %u of "
	      "%u made available)", (long long)(now_ms() - t), base, d->q[0].avail_idx);
	if (vu_fe_reset(&d->fe, &e))
		die(EXIT_GONE, "%s", e.msg);
	setup(d, queues);
	check(d, true, "the card takes new rings after a reset");
}

/* A guest that keeps queue 0 full of chains costly to refuse and never
 * stops (drv_flood.h): the card still stops its rings at once, as a pause
 * for a snapshot needs; after a reset it serves new rings as before. */
/* A valid request the card answers without I/O and without keeping a
 * slot (an unknown type: UNSUPP), as slow to take as such a request can
 * be: its header, 254 one-byte buffers and its status in an indirect
 * table the card walks whole. */
static uint16_t unsupported_chain(struct drv *d)
{
	struct slot *s = &d->slots[0][0];
	struct drv_buf b[ITABLE_MAX];
	unsigned n = 0;

	*(struct virtio_blk_req_hdr *)drv_gpa(&d->mem, s->hdr) =
		(struct virtio_blk_req_hdr){ .type = 0xff };
	b[n++] = (struct drv_buf){ s->hdr, 16, false };
	while (n + 1 < ITABLE_MAX) {
		b[n] = (struct drv_buf){ s->data + n, 1, false };
		n++;
	}
	b[n++] = (struct drv_buf){ s->status, 1, true };
	int head = drv_vq_add(&d->q[0], b, n, s->itable);
	if (head < 0)
		die(2, "flood: out of descriptors");
	return (uint16_t)head;
}

/* Queue 0 kept full of a chain that fails late; then, on rings of the
 * largest size, of a valid request answered at once: a full ring of those
 * takes the card tens of milliseconds, so the guest's thread always
 * refills it before the card finds it empty, and only the card's own
 * bound on a pass brings its worker back to the stop. Each time every
 * ring stops at once. */
static void test_flood(struct drv *d, unsigned queues)
{
	unsigned rings[MAX_QUEUES], qsize = d->qsize;
	struct azerr e;
	char how[160];

	for (unsigned i = 0; i < queues; i++)
		rings[i] = queues - 1 - i;
	for (int valid = 0; valid < 2; valid++) {
		uint16_t head = valid ? unsupported_chain(d) : drv_costly_bad_chain(&d->q[0], &d->mem);
		bool ok = drv_flood_stop_rings(&d->fe, &d->q[0], head, rings, queues, how,
					       sizeof(how));
		check(d, ok, "flood of %s: the rings stop at once while the guest keeps queue 0 "
		      "(%u entries) full (%s)", valid ? "unsupported requests" : "bad chains",
		      d->qsize, how);
		if (vu_fe_reset(&d->fe, &e))
			die(EXIT_GONE, "%s", e.msg);
		d->qsize = valid ? qsize : VIRTQ_MAX_SIZE;
		setup(d, queues);
	}
	test_roundtrip(d, "after the floods and a device reset each");
}

/* One request to the card's control channel; the reply's status. */
static int control(const struct card_ctl_req *req, const int *fds, unsigned nr_fds,
		   struct card_ctl_reply *rep)
{
	struct azerr e;

	if (drv_card_control() < 0)
		die(2, "control: start the card with --control-fd '{ctl}'");
	if (card_ctl_call(drv_card_control(), req, fds, nr_fds, rep, &e) < 0)
		die(EXIT_GONE, "%s", e.msg);
	return rep->status;
}

static void expect_refused(struct drv *d, const struct card_ctl_req *req, const int *fds,
			   unsigned nr_fds, const char *what)
{
	struct card_ctl_reply rep;
	int status = control(req, fds, nr_fds, &rep);

	check(d, status == EINVAL && rep.msg[0], "%s: refused (%s)", what, rep.msg);
}

/* Requests made in a row on queue 0, and how long they took. */
static int64_t timed_requests(struct drv *d, unsigned n)
{
	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	int64_t t = now_ms();

	for (unsigned i = 0; i < n; i++)
		if (do_io(d, 0, &fl, NULL) != VIRTIO_BLK_S_OK)
			check(d, false, "request %u of %u", i, n);
	return now_ms() - t;
}

/* A WRITE_ZEROES costs its ranges' length in the bandwidth bucket, as a
 * write of as many bytes would: on a block device the kernel may write
 * every zero. Under 10 MiB/s (buckets of 1 MiB every 100 ms, set here
 * through the control channel, full when set), one of 16 MiB goes at once
 * and leaves a debt of 15 MiB that holds the next request back 1.5 s. The
 * largest one (16 ranges of max_write_zeroes_sectors, about 64 GiB: the
 * image must hold them) goes too and leaves a debt of hours: the next
 * request waits until azote lifts the limit, then goes at once. */
static void test_zeroes_limit(struct drv *d)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS, .nr_limits = 1, .given = { 1 } };
	struct card_ctl_reply rep;
	struct rate_limiter bw = { .has_bandwidth = true,
				   .bandwidth = { .size = 1 << 20, .refill_time_ms = 100 } };
	struct rate_limiter none = { 0 };
	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	uint32_t max[2] = { 0, 0 }, len;  /* max_write_zeroes_sectors, _seg */
	uint16_t id;
	struct azerr e;

	if (vu_fe_get_config(&d->fe, offsetof(struct virtio_blk_config, max_write_zeroes_sectors),
			     max, sizeof(max), &e))
		die(2, "%s", e.msg);
	uint32_t sectors = le32toh(max[0]), segs = le32toh(max[1]);
	if (!sectors || !segs || segs * sizeof(struct virtio_blk_discard_write_zeroes) > SLOT_DATA ||
	    d->capacity < segs * (uint64_t)sectors)
		die(2, "zeroes-limit: an image of %u ranges of %u sectors wanted", segs, sectors);
	card_ctl_limiter_put(&req.limit[0], &bw);
	check(d, control(&req, NULL, 0, &rep) == 0, "SET_LIMITS: 10 MiB/s in buckets of 1 MiB");

	int64_t t = now_ms();
	uint8_t st = nranges(d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16 << 11, 0, 1);
	int64_t wz = now_ms() - t;
	uint8_t st2 = do_io(d, 0, &fl, NULL);
	int64_t ms = now_ms() - t;
	/* The card cannot let the FLUSH go before 1500 ms from the take,
	 * which follows t (1 ms for the clock's rounding); a loaded machine
	 * only makes it later. */
	check(d, st == 0 && st2 == 0 && wz < 1000 && ms >= 1499 && ms < 5000,
	      "a 16 MiB WRITE_ZEROES goes at once (%lld ms), the next request %lld ms after it "
	      "(1500 for the 15 MiB over the bucket; status %u/%u)",
	      (long long)wz, (long long)ms, st, st2);

	t = now_ms();
	st = nranges(d, VIRTIO_BLK_T_WRITE_ZEROES, 0, sectors, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
		     segs);
	wz = now_ms() - t;
	check(d, st == 0 && wz < 3000, "the largest WRITE_ZEROES (%u x %u sectors) goes at once "
	      "(%lld ms, status %u)", segs, sectors, (long long)wz, st);
	start_io(d, 0, 0, &fl);
	usleep(300 * 1000);
	bool held = !drv_vq_get_used(&d->q[0], &id, &len);
	check(d, held, "the next request is held back");
	card_ctl_limiter_put(&req.limit[0], &none);
	check(d, control(&req, NULL, 0, &rep) == 0, "SET_LIMITS: no limit");
	if (!held)
		return;
	t = now_ms();
	wait_used(d, 0, &id, &len);
	ms = now_ms() - t;
	check(d, ms < 500 && slot_status(d, 0, 0, NULL) == 0,
	      "the held request goes once the limit is lifted: %lld ms", (long long)ms);
}

/* azote's PATCH after boot, as the card sees it (iface/card_control.h):
 * new rate limits, then a new image with requests in flight across the
 * swap, then requests the card must refuse without harm. The old image is
 * the card's --image (old), the new one next (its first sector written
 * here from the host first). */
static void test_control(struct drv *d, const char *old, const char *next, bool direct)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS, .nr_limits = 1, .given = { 1 } };
	struct card_ctl_reply rep;
	struct rate_limiter five = { .has_ops = true, .ops = { .size = 5, .refill_time_ms = 1000 } };
	struct rate_limiter none = { 0 };

	card_ctl_limiter_put(&req.limit[0], &five);
	check(d, control(&req, NULL, 0, &rep) == 0, "SET_LIMITS: 5 requests/s taken");
	int64_t ms = timed_requests(d, 15);
	check(d, ms >= 1500 && ms < 4000, "15 requests at 5/s (a full bucket first): %lld ms",
	      (long long)ms);
	card_ctl_limiter_put(&req.limit[0], &none);
	check(d, control(&req, NULL, 0, &rep) == 0, "SET_LIMITS: no limit");
	ms = timed_requests(d, 50);
	check(d, ms < 1000, "50 requests unlimited: %lld ms", (long long)ms);

	/* A request held back under a slow limit goes as soon as the limit
	 * is lifted, not when the old limit would have let it (as
	 * Firecracker's, whose blocked queues retry every 100 ms). */
	struct rate_limiter slow = { .has_ops = true, .ops = { .size = 1, .refill_time_ms = 20000 } };
	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	uint16_t id;
	uint32_t len;
	card_ctl_limiter_put(&req.limit[0], &slow);
	check(d, control(&req, NULL, 0, &rep) == 0, "SET_LIMITS: 1 request per 20 s");
	check(d, do_io(d, 0, &fl, NULL) == VIRTIO_BLK_S_OK, "the first request goes");
	start_io(d, 0, 1, &fl);
	usleep(300 * 1000);
	check(d, !drv_vq_get_used(&d->q[0], &id, &len), "the second is held back");
	card_ctl_limiter_put(&req.limit[0], &none);
	check(d, control(&req, NULL, 0, &rep) == 0, "SET_LIMITS: no limit again");
	int64_t t = now_ms();
	wait_used(d, 0, &id, &len);
	ms = now_ms() - t;
	check(d, ms < 500, "the held request goes once the limit is lifted: %lld ms",
	      (long long)ms);

	/* The new image: its size, and a first sector the host wrote. */
	int fd_old = open(old, O_RDONLY | O_CLOEXEC), fd = open(next, O_RDWR | O_CLOEXEC);
	int fds[2] = { fd, direct ? open(next, O_RDWR | O_CLOEXEC | O_DIRECT) : -1 };
	/* Its size, a regular file's or a block device's. */
	off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	uint8_t host[512], got[512];

	if (fd_old < 0 || fd < 0 || (direct && fds[1] < 0) || size < 0)
		die(2, "control: %s or %s: %s", old, next, strerror(errno));
	fill(host, d->seed + 77, 0, 512);
	if (pwrite(fd, host, 512, 0) != 512)
		die(2, "%s: %s", next, strerror(errno));

	/* Requests in flight across the swap finish on the old image. */
	struct io w[4];
	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct io){ .type = VIRTIO_BLK_T_OUT, .sector = 100 + 8 * i,
				    .data = d->slots[0][i].data, .len = 4096 };
		fill(drv_gpa(&d->mem, w[i].data), d->seed + 5, w[i].sector, 4096);
		start_io(d, 0, i, &w[i]);
	}
	req = (struct card_ctl_req){ .op = CARD_CTL_SET_IMAGE };
	int status = control(&req, fds, direct ? 2 : 1, &rep);
	check(d, status == 0 && rep.sectors == (uint64_t)size / 512,
	      "SET_IMAGE: taken, %llu sectors (%s)", (unsigned long long)rep.sectors, rep.msg);
	for (unsigned i = 0; i < 4; i++)
		wait_used(d, 0, &id, &len);
	/* A write the card had taken when the swap came finishes on the old
	 * image; one still waiting in the ring goes to the new one (a busy
	 * host decides which): each must land whole on exactly one. */
	uint8_t on_img[4096];
	unsigned placed = 0, on_old = 0;
	for (unsigned i = 0; i < 4; i++) {
		bool old_has = pread(fd_old, on_img, 4096, (off_t)w[i].sector * 512) == 4096 &&
			       matches(on_img, d->seed + 5, w[i].sector, 4096);
		bool new_has = pread(fd, on_img, 4096, (off_t)w[i].sector * 512) == 4096 &&
			       matches(on_img, d->seed + 5, w[i].sector, 4096);
		placed += slot_status(d, 0, i, NULL) == 0 && old_has != new_has;
		on_old += old_has;
	}
	check(d, placed == 4, "the 4 writes in flight across the swap each landed whole on one "
	      "image (%u on the old one)", on_old);
	uint64_t cap = 0;
	struct azerr e;
	status = vu_fe_get_config(&d->fe, 0, &cap, 8, &e);
	check(d, status == 0 && cap == rep.sectors, "GET_CONFIG: capacity %llu",
	      (unsigned long long)cap);
	uint64_t buf = d->slots[0][0].data;
	check(d, rw(d, 0, false, 0, buf, 512, 0) == 0 &&
	      !memcmp(drv_gpa(&d->mem, buf), host, 512), "a read now comes from the new image");
	fill(drv_gpa(&d->mem, buf), d->seed + 6, 3, 512);
	check(d, rw(d, 0, true, 3, buf, 512, 0) == 0 && pread(fd, got, 512, 3 * 512) == 512 &&
	      matches(got, d->seed + 6, 3, 512), "a write now lands in the new image");
	check(d, rw(d, 0, false, rep.sectors, buf, 512, 0) == VIRTIO_BLK_S_IOERR,
	      "the new capacity bounds requests");

	/* Refused, the card unharmed. */
	req = (struct card_ctl_req){ .op = CARD_CTL_SET_IMAGE };
	expect_refused(d, &req, NULL, 0, "SET_IMAGE without an fd");
	req = (struct card_ctl_req){ .op = CARD_CTL_SET_LIMITS, .nr_limits = 2 };
	expect_refused(d, &req, NULL, 0, "2 limiters for a block card");
	req = (struct card_ctl_req){ .op = CARD_CTL_SET_LIMITS, .nr_limits = 1, .given = { 7 } };
	expect_refused(d, &req, NULL, 0, "a given flag of 7");
	req = (struct card_ctl_req){ .op = 99 };
	expect_refused(d, &req, &fd, 1, "op 99, with an fd");
	/* Not a lazy restore: no pager to end. */
	req = (struct card_ctl_req){ .op = CARD_CTL_MEM_LOADED };
	expect_refused(d, &req, NULL, 0, "MEM_LOADED with no memory file being loaded");
	expect_refused(d, &req, &fd, 1, "MEM_LOADED with an fd");
	close(fd);
	if (direct)
		close(fds[1]);
	close(fd_old);
	test_roundtrip(d, "after the control requests");
}

/* Restarts the rings of d's (new) back-end, as setup does, but each from
 * avail index base[qi]: what azote's restore does with a snapshot's
 * rings. */
static void restart_rings(struct drv *d, const uint16_t *base)
{
	struct azerr e;
	unsigned nq = 0;

	if (vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES, &e) ||
	    vu_fe_get_queue_num(&d->fe, &nq, &e) || nq < d->nr_queues ||
	    vu_fe_set_features(&d->fe, d->features, &e))
		die(2, "new card: %s", nq < d->nr_queues ? "too few queues" : e.msg);
	send_mem_table(d);
	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		struct drv_vq *q = &d->q[qi];
		struct vu_fe_vring v = {
			.num = d->qsize, .base = base[qi],
			.desc = (uint64_t)q->desc, .avail = (uint64_t)q->avail,
			.used = (uint64_t)q->used,
			.kickfd = q->kickfd, .callfd = q->callfd,
		};
		if (vu_fe_vring_start(&d->fe, qi, &v, &e))
			die(2, "new card: %s", e.msg);
	}
}

#define HANDOVER_REQS 1200

/* Each request of the hand-over load writes its own 4 KiB, so that the
 * image shows which ran; the used rings show how often. */
static uint64_t handover_sector(unsigned k)
{
	return 16384 + (uint64_t)k * 8;
}

struct handover {
	int req[MAX_QUEUES][SLOTS];   /* request in each slot, -1: free */
	uint8_t completions[HANDOVER_REQS];
	unsigned posted, done, strays;
};

/* Posts requests on every queue while slots are free. */
static void handover_post(struct drv *d, struct handover *h)
{
	for (unsigned qi = 0; qi < d->nr_queues; qi++)
		for (unsigned si = 0; si < SLOTS && h->posted < HANDOVER_REQS; si++) {
			if (h->req[qi][si] >= 0)
				continue;
			unsigned k = h->posted++;
			struct io io = { .type = VIRTIO_BLK_T_OUT, .sector = handover_sector(k),
					 .data = d->slots[qi][si].data, .len = 4096 };
			fill(drv_gpa(&d->mem, io.data), d->seed + 5, io.sector, 4096);
			h->req[qi][si] = (int)k;
			start_io(d, qi, si, &io);
		}
}

/* Takes one completion: a used entry for a slot with no request in it
 * is a request done twice. */
static void handover_complete(struct drv *d, struct handover *h)
{
	uint16_t id;
	uint32_t len;
	unsigned qi = wait_any_used(d, &id, &len);
	int si = id < d->qsize ? d->head_slot[qi][id] : -1;
	int k = si >= 0 ? h->req[qi][si] : -1;

	if (k < 0) {
		h->strays++;
		return;
	}
	if (slot_status(d, qi, (unsigned)si, NULL) == VIRTIO_BLK_S_OK)
		h->completions[k]++;
	h->req[qi][si] = -1;
	h->done++;
}

/* A snapshot's hand-over of running rings to a new card (issue 16): with
 * writes in flight on every queue, GET_VRING_BASE stops each ring; the
 * card must answer only once every request it took is completed (used
 * index = the base it returns). More requests are then made available on
 * the stopped rings, which the old card must leave alone. The old card is
 * let go, a new one started from the same command line, and the rings
 * restarted there with SET_VRING_BASE = the saved bases: it must take up
 * exactly the requests the old one left, so that every request completes
 * once (no used entry for a free slot, none missing) and every write is on
 * the image. */
static void test_handover(struct drv *d, char **card)
{
	static struct handover h;
	uint16_t base[MAX_QUEUES];
	unsigned left = 0, taken_back = 0;
	struct azerr e;
	int sock, status;

	if (!card || !*card)
		die(2, "handover: give the card's command line after --");
	memset(&h, 0, sizeof(h));
	memset(h.req, -1, sizeof(h.req));
	while (h.done < HANDOVER_REQS / 3) {
		handover_post(d, &h);
		handover_complete(d, &h);
	}
	handover_post(d, &h);
	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		struct drv_vq *q = &d->q[qi];
		if (vu_fe_vring_stop(&d->fe, qi, &base[qi], &e))
			die(EXIT_GONE, "%s", e.msg);
		uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
		check(d, used == base[qi],
		      "queue %u stops at avail index %u with every request it took "
		      "completed (used index %u)", qi, base[qi], used);
		left += (uint16_t)(q->avail_idx - base[qi]);
	}
	/* Drain what the old card completed while stopping, then give the
	 * stopped rings more work. */
	while (h.done + left < h.posted) {
		handover_complete(d, &h);
		taken_back++;
	}
	unsigned before = h.posted;
	handover_post(d, &h);
	left += h.posted - before;
	usleep(200 * 1000);
	bool idle = true;
	for (unsigned qi = 0; qi < d->nr_queues; qi++)
		idle &= __atomic_load_n(&d->q[qi].used->idx, __ATOMIC_ACQUIRE) == base[qi];
	check(d, idle, "the stopped rings are left alone (%u requests waiting on them)", left);

	vu_fe_close(&d->fe);
	if (d->card_pid > 0) {
		waitpid(d->card_pid, &status, 0);
		check(d, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the old card exits cleanly (status 0x%x)", status);
	}
	d->card_pid = drv_spawn_card(card, &sock);
	if (vu_fe_attach(&d->fe, sock, "new card (socketpair)", d->timeout_ms, &e))
		die(2, "%s", e.msg);
	restart_rings(d, base);
	while (h.done < HANDOVER_REQS) {
		handover_post(d, &h);
		handover_complete(d, &h);
	}
	unsigned once = 0;
	for (unsigned k = 0; k < HANDOVER_REQS; k++)
		once += h.completions[k] == 1;
	check(d, h.strays == 0 && once == HANDOVER_REQS,
	      "%u writes, %u completed while stopping, %u left to the new card: each "
	      "completed once, OK (%u used entries for no request)", HANDOVER_REQS,
	      taken_back, left, h.strays);
	uint64_t chk = d->slots[0][0].data;
	unsigned on_image = 0;
	for (unsigned k = 0; k < HANDOVER_REQS; k++) {
		memset(drv_gpa(&d->mem, chk), 0, 4096);
		on_image += rw(d, 0, false, handover_sector(k), chk, 4096, 0) == 0 &&
			    matches(drv_gpa(&d->mem, chk), d->seed + 5, handover_sector(k), 4096);
	}
	check(d, on_image == HANDOVER_REQS, "%u of %u writes on the image", on_image,
	      HANDOVER_REQS);
}

/* ---- dirty log ---- */

#define PAGE 4096ULL

/* Whether guest page n holds part of a queue's used ring. */
static bool used_ring_page(const struct drv *d, uint64_t n)
{
	for (unsigned i = 0; i < d->nr_queues; i++) {
		const struct drv_vq *q = &d->q[i];
		uint64_t end = q->used_gpa + virtq_used_size(q->num);
		if (n >= q->used_gpa / PAGE && n <= (end - 1) / PAGE)
			return true;
	}
	return false;
}

/* Checks the log against one request's writes: every page of [want, want
 * + want_len) and the pages of the status byte, the used ring's index and
 * the element slot must be set; besides them only the used ring's other
 * pages (its flags and avail_event, rewritten as kicks are re-armed) and
 * those of the other queues' used rings (their workers re-arm theirs when
 * they like) may be; then clears the log. */
static void expect_log(struct drv *d, const char *what, uint64_t want, uint64_t want_len,
		       uint64_t status, uint16_t slot)
{
	const struct drv_vq *q = &d->q[0];
	uint64_t must[4] = { status / PAGE, (q->used_gpa + 2) / PAGE,
			     (q->used_gpa + 4 + 8ULL * slot) / PAGE, UINT64_MAX };
	unsigned missing = 0, extra = 0;

	for (uint64_t n = 0; n < d->log_bytes * 8; n++) {
		bool set = (d->log[n / 8] >> (n % 8)) & 1;
		bool in_data = want_len && n >= want / PAGE && n <= (want + want_len - 1) / PAGE;
		bool required = in_data || n == must[0] || n == must[1] || n == must[2];
		bool allowed = required || used_ring_page(d, n);
		if (required && !set && missing++ < 4)
			printf("  page 0x%llx not marked\n", (unsigned long long)(n * PAGE));
		if (set && !allowed && extra++ < 4)
			printf("  page 0x%llx marked, not written\n", (unsigned long long)(n * PAGE));
	}
	check(d, !missing && !extra, "%s: the log marks exactly the pages written "
	      "(%u missing, %u more)", what, missing, extra);
	memset(d->log, 0, d->log_bytes);
}

/* Restarts the device with a dirty log, then reads, writes and fails a
 * read, each checked against the log. */
static void test_dirtylog(struct drv *d)
{
	uint64_t bytes = ((DRV_HIGH_GPA + (32ULL << 20)) / PAGE + 7) / 8;
	unsigned queues = d->nr_queues;

	teardown(d);
	d->log_fd = memfd_create("vublk-drv-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->log_fd < 0 || ftruncate(d->log_fd, (off_t)bytes) < 0)
		die(2, "log: %s", strerror(errno));
	d->log = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, d->log_fd, 0);
	if (d->log == MAP_FAILED)
		die(2, "log: %s", strerror(errno));
	d->log_bytes = bytes;
	setup(d, queues);
	memset(d->log, 0, bytes);  /* setup's own traffic, if any */

	/* 3 sectors' worth more than two pages, starting mid-page, in high
	 * memory: the card writes 3 pages, the status byte and its used
	 * element. */
	uint64_t buf = d->slots[0][2].data + 0x800;
	uint16_t slot = d->q[0].last_used % d->q[0].num;
	uint8_t st = rw(d, 0, false, 64, buf, 0x2000, 0);
	check(d, st == VIRTIO_BLK_S_OK, "read of 8 KiB (status %u)", st);
	expect_log(d, "read of 8 KiB at gpa 0x100000800+", buf, 0x2000,
		   d->slots[0][0].status, slot);
	/* The same read in 2 KiB descriptors, in low memory. */
	buf = d->slots[0][0].data + 0x400;
	slot = d->q[0].last_used % d->q[0].num;
	struct io io = { .type = VIRTIO_BLK_T_IN, .sector = 64, .data = buf,
			 .len = 0x2000, .dev_writes = true, .layout = 2 };
	st = do_io(d, 0, &io, NULL);
	check(d, st == VIRTIO_BLK_S_OK, "read in 2 KiB descriptors (status %u)", st);
	expect_log(d, "read in 2 KiB descriptors", buf, 0x2000, d->slots[0][0].status, slot);
	/* A write: the card reads the data, writes only the status byte. */
	slot = d->q[0].last_used % d->q[0].num;
	st = rw(d, 0, true, 64, d->slots[0][2].data, 0x2000, 0);
	check(d, st == VIRTIO_BLK_S_OK, "write of 8 KiB (status %u)", st);
	expect_log(d, "write of 8 KiB", 0, 0, d->slots[0][0].status, slot);
	/* A read past the end fails: used.len is 1, the status byte is still
	 * where the chain ends, and is logged. */
	slot = d->q[0].last_used % d->q[0].num;
	st = rw(d, 0, false, d->capacity, d->slots[0][2].data, 512, 0);
	check(d, st == VIRTIO_BLK_S_IOERR, "read past the end fails (status %u)", st);
	expect_log(d, "failed read", 0, 0, d->slots[0][0].status, slot);
}

static void durable_write(struct drv *d)
{
	uint64_t buf = d->slots[0][0].data;

	for (uint64_t s = 0; s < 2048; s += 128) {
		fill(drv_gpa(&d->mem, buf), d->seed, s, SLOT_DATA);
		if (rw(d, 0, true, s, buf, SLOT_DATA, 0))
			die(1, "durable-write: write failed");
	}
	struct io fl = { .type = VIRTIO_BLK_T_FLUSH };
	check(d, do_io(d, 0, &fl, NULL) == 0, "1 MiB written and flushed");
}

/* Keeps reads going until the back-end disappears (wait_used exits 3). */
static void crash_io(struct drv *d)
{
	uint64_t buf = d->slots[0][0].data;

	fprintf(stderr, "crash-io: running\n");
	for (uint64_t i = 0;; i++)
		if (rw(d, 0, false, (i * 8) % 2048, buf, 4096, 0))
			die(1, "crash-io: I/O error");
}

static int check_image(const char *path, unsigned seed)
{
	static uint8_t buf[1 << 20];
	int fd = open(path, O_RDONLY);

	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		die(2, "cannot read 1 MiB of %s", path);
	close(fd);
	bool ok = matches(buf, seed, 0, sizeof(buf));
	printf("%s: image %s holds the flushed data\n", ok ? "ok" : "FAIL", path);
	return ok ? 0 : 1;
}

/* The largest request the card advertises (issue 15): header, seg_max
 * data descriptors and status in one indirect table, which with --qsize
 * 256 is as large as the queue. Written, read back the same way and with
 * a plain read, and compared. */
static void test_seg_max(struct drv *d)
{
	uint64_t buf = d->slots[0][0].data, chk = d->slots[0][1].data;
	uint8_t *c = drv_gpa(&d->mem, chk);
	uint32_t seg_max = 0;
	struct azerr e;

	if (vu_fe_get_config(&d->fe, offsetof(struct virtio_blk_config, seg_max),
			     &seg_max, sizeof(seg_max), &e))
		die(2, "%s", e.msg);
	uint32_t len = le32toh(seg_max) * 256;
	check(d, le32toh(seg_max) + 2 <= ITABLE_MAX && len <= SLOT_DATA && len % 512 == 0,
	      "seg_max %u fits this driver's table and buffers", le32toh(seg_max));
	fill(drv_gpa(&d->mem, buf), d->seed, 1500, len);
	check(d, rw(d, 0, true, 1500, buf, len, 4) == 0,
	      "write of %u descriptors in one indirect table on a %u-entry queue",
	      le32toh(seg_max) + 2, d->qsize);
	memset(c, 0, len);
	check(d, rw(d, 0, false, 1500, chk, len, 4) == 0 && matches(c, d->seed, 1500, len),
	      "read back the same way");
	memset(c, 0, len);
	check(d, rw(d, 0, false, 1500, chk, len, 0) == 0 && matches(c, d->seed, 1500, len),
	      "read back in one descriptor");
}

/* An image on a file system that cannot punch holes (ramfs; 9p as the
 * box mounts the clone): DISCARD and WRITE_ZEROES are not offered, since
 * every one would fail, and reads and writes work as ever. */
static void test_nopunch(struct drv *d)
{
	check(d, !(d->fe.features & (VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
				     VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES))),
	      "DISCARD and WRITE_ZEROES not offered where holes cannot be punched");
	test_roundtrip(d, "on that image");
}

/* ---- setup ---- */

/* Negotiation, memory, rings: what azote does when the guest sets
 * DRIVER_OK, and again after a device reset. */
static void setup(struct drv *d, unsigned want_queues)
{
	struct azerr e;
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_MQ) |
			VIRTIO_BIT(VIRTIO_BLK_F_RO) | VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
			VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) |
			VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE);
	unsigned nq = 0;
	bool log = d->log_fd >= 0;

	if (vu_fe_negotiate(&d->fe, VU_FE_PROTOCOL_FEATURES |
			    (log ? 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD : 0), &e) ||
	    vu_fe_get_queue_num(&d->fe, &nq, &e))
		die(2, "%s", e.msg);
	if (log && (!d->fe.can_log ||
		    !(d->fe.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD))))
		die(2, "back-end does not offer dirty logging (VHOST_F_LOG_ALL, LOG_SHMFD)");
	if (d->no_flush)
		want &= ~VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	d->features = d->fe.features & want;
	if (!(d->features & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		die(2, "back-end does not offer VIRTIO_F_VERSION_1");
	if (vu_fe_get_config(&d->fe, 0, &d->capacity, 8, &e))
		die(2, "%s", e.msg);
	if (want_queues > nq || want_queues > MAX_QUEUES)
		die(2, "%u queues asked, back-end has %u", want_queues, nq);
	d->nr_queues = want_queues;
	if (vu_fe_set_features(&d->fe, d->features | (log ? 1ULL << VHOST_F_LOG_ALL : 0), &e))
		die(2, "%s", e.msg);
	send_mem_table(d);
	if (log && vu_fe_set_log_base(&d->fe, d->log_fd, d->log_bytes, &e))
		die(2, "%s", e.msg);
	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		struct drv_vq *q = &d->q[qi];
		if (drv_vq_init(q, &d->mem, d->qsize,
				d->features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)))
			die(2, "ring: %s", strerror(errno));
		for (unsigned i = 0; i < SLOTS; i++) {
			struct slot *s = &d->slots[qi][i];
			s->hdr = drv_alloc(&d->mem, 16, 16, false);
			s->status = drv_alloc(&d->mem, 1, 1, false);
			s->itable = drv_alloc(&d->mem, ITABLE_MAX * 16, 16, false);
			/* Slots 2.. use memory above 4 GiB. */
			s->data = drv_alloc(&d->mem, SLOT_DATA + 4096, 4096, i >= 2);
		}
		struct vu_fe_vring v = {
			.num = d->qsize,
			.desc = (uint64_t)q->desc, .avail = (uint64_t)q->avail,
			.used = (uint64_t)q->used, .base = 0,
			.kickfd = q->kickfd, .callfd = q->callfd,
			.log = log, .log_gpa = q->used_gpa,
		};
		if (vu_fe_vring_start(&d->fe, qi, &v, &e))
			die(2, "%s", e.msg);
	}
}

static void teardown(struct drv *d)
{
	struct azerr e;

	for (unsigned qi = 0; qi < d->nr_queues; qi++) {
		uint16_t base;
		if (vu_fe_vring_stop(&d->fe, qi, &base, &e))
			die(EXIT_GONE, "%s", e.msg);
		check(d, base == d->q[qi].avail_idx,
		      "GET_VRING_BASE of queue %u = %u (driver made %u available)",
		      qi, base, d->q[qi].avail_idx);
	}
	if (vu_fe_reset(&d->fe, &e))
		die(EXIT_GONE, "%s", e.msg);
}

int main(int argc, char **argv)
{
	static struct drv d;
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "queues", required_argument, NULL, 'q' },
		{ "qsize", required_argument, NULL, 'Q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' },
		{ "bench-seconds", required_argument, NULL, 'b' },
		{ "bench-size", required_argument, NULL, 'z' },
		{ "warmup-ms", required_argument, NULL, 'w' },
		{ "image", required_argument, NULL, 'i' },
		{ "check-image", required_argument, NULL, 'c' },
		{ "next-image", required_argument, NULL, 'n' },
		{ "next-direct", no_argument, NULL, 'D' },
		{ "no-flush", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL, *image = NULL, *check_img = NULL, *next_img = NULL;
	bool next_direct = false;
	unsigned queues = 1, bench_secs = 3, bench_size = 65536, warmup_ms = 1000;
	struct azerr e;
	int c, sock;

	d.qsize = 128;
	d.log_fd = -1;
	d.timeout_ms = 5000;
	d.seed = 1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'q': queues = (unsigned)atoi(optarg); break;
		case 'Q': d.qsize = (unsigned)atoi(optarg); break;
		case 't': d.timeout_ms = atoi(optarg); break;
		case 'S': d.seed = (unsigned)atoi(optarg); break;
		case 'b': bench_secs = (unsigned)atoi(optarg); break;
		case 'z': bench_size = (unsigned)atoi(optarg); break;
		case 'w': warmup_ms = (unsigned)atoi(optarg); break;
		case 'i': image = optarg; break;
		case 'c': check_img = optarg; break;
		case 'n': next_img = optarg; break;
		case 'D': next_direct = true; break;
		case 'F': d.no_flush = true; break;
		default: die(2, "bad arguments");
		}
	}
	if (check_img)
		return check_image(check_img, d.seed);
	char **tests = argv + optind, **card = drv_card_argv(tests);
	signal(SIGPIPE, SIG_IGN);
	if (card && *card) {
		d.card_pid = drv_spawn_card(card, &sock);
		if (vu_fe_attach(&d.fe, sock, "card (socketpair)", d.timeout_ms, &e))
			die(2, "%s", e.msg);
	} else if (socket_path) {
		if (vu_fe_connect(&d.fe, socket_path, d.timeout_ms, &e))
			die(2, "%s", e.msg);
	} else {
		die(2, "give --socket PATH or -- CARD ARGS...");
	}
	if (drv_mem_init(&d.mem))
		die(2, "guest memory: %s", strerror(errno));
	setup(&d, queues);
	for (char **t = tests; *t; t++) {
		printf("== %s\n", *t);
		if (!strcmp(*t, "basic")) test_basic(&d);
		else if (!strcmp(*t, "ro")) test_ro(&d);
		else if (!strcmp(*t, "odd-size")) test_odd_size(&d, image ? image : "");
		else if (!strcmp(*t, "nopunch")) test_nopunch(&d);
		else if (!strcmp(*t, "seg-max")) test_seg_max(&d);
		else if (!strcmp(*t, "hostile")) test_hostile(&d);
		else if (!strcmp(*t, "mq")) test_mq(&d);
		else if (!strcmp(*t, "remap")) test_remap(&d, true);
		else if (!strcmp(*t, "remap-idle")) test_remap(&d, false);
		else if (!strcmp(*t, "reset")) { teardown(&d); setup(&d, queues); test_roundtrip(&d, "after a device reset"); }
		else if (!strcmp(*t, "fds")) test_fds(&d, image ? image : "");
		else if (!strcmp(*t, "bench")) { bench(&d, bench_secs, false); bench(&d, bench_secs, true); }
		else if (!strcmp(*t, "throughput")) throughput(&d, bench_secs, warmup_ms, bench_size);
		else if (!strcmp(*t, "throttle-stop")) test_throttle_stop(&d, queues);
		else if (!strcmp(*t, "zeroes-limit")) test_zeroes_limit(&d);
		else if (!strcmp(*t, "flood")) test_flood(&d, queues);
		else if (!strcmp(*t, "durable-write")) durable_write(&d);
		else if (!strcmp(*t, "crash-io")) crash_io(&d);
		else if (!strcmp(*t, "control")) test_control(&d, image ? image : "",
							     next_img ? next_img : "", next_direct);
		else if (!strcmp(*t, "handover")) test_handover(&d, card);
		else if (!strcmp(*t, "dirtylog")) test_dirtylog(&d);
		else die(2, "unknown test %s", *t);
	}
	teardown(&d);
	vu_fe_close(&d.fe);
	if (d.card_pid > 0) {
		int status;
		waitpid(d.card_pid, &status, 0);
		check(&d, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "card exits cleanly when the front-end goes away (status 0x%x)",
		      status);
	}
	printf("vublk-drv: %d passed, %d failed\n", d.passes, d.failures);
	return d.failures ? 1 : 0;
}
