/* Unit tests for the cards' dirty log (src/cards/virtio/vlog.c) and the
 * shared virtqueue code that sets its bits (virtqueue.c): exactly the pages
 * a device wrote (by guest address, the bytes written, not the buffers'
 * size), the used ring's pages, nothing when logging is off, and never a
 * byte outside the log whatever the front-end sent.
 *
 * Guest memory: two regions adjacent in guest physical space at G, mapped
 * in the opposite order in this process, so that a buffer crossing from
 * one to the other becomes two iovecs whose host addresses say nothing
 * of their guest ones. The log is a memfd as azote makes it, mapped here a
 * second time as azote sees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cards/virtio/virtqueue.h"
#include "cards/virtio/vlog.h"
#include "common/log.h"
#include "virtio/ring.h"
#include "virtio/virtio.h"

#define G        0x40000ULL          /* guest address of the first region */
#define HALF     0x20000ULL          /* each region's size */
#define PAGES    ((2 * HALF + G) / 4096)  /* pages below the end of RAM: 128 */
#define NUM      8
#define DESC     (G + 0x1000)
#define AVAIL    (G + 0x2000)
#define USED     (G + 0x3000)
#define LOG_OFF  24                  /* the log starts 24 bytes into its fd */
#define LOG_FD_SIZE 4096

static uint8_t mem_buf[2 * HALF] __attribute__((aligned(4096)));
static struct gmem mem;
static struct virtq q;
static struct iovec iov[8];
static struct virtq_chain c = { .iov = iov, .cap = 8 };
static struct vlog lg;
static int log_fd;
static uint8_t *fe_view;             /* the whole log fd, as azote maps it */

/* Host address of guest address gpa (regions swapped, see above). */
static void *host(uint64_t gpa)
{
	return gpa < G + HALF ? mem_buf + HALF + (gpa - G) : mem_buf + (gpa - G - HALF);
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	((struct virtq_desc *)host(DESC))[i] = (struct virtq_desc){ addr, len, flags, next };
}

static void post(uint16_t head)
{
	struct virtq_avail *a = host(AVAIL);

	a->ring[a->idx % NUM] = head;
	a->idx++;
}

/* Whether the front-end's view has page n's bit set. */
static bool bit(uint64_t n)
{
	return (fe_view[LOG_OFF + n / 8] >> (n % 8)) & 1;
}

/* Checks that no byte of the fd outside the log was touched. */
static void expect_untouched_outside(void)
{
	for (unsigned i = 0; i < LOG_FD_SIZE; i++)
		if (i < LOG_OFF || i >= LOG_OFF + PAGES / 8)
			assert_int_equal(fe_view[i], 0);
}

/* Checks that exactly the pages in want (a list ending with UINT64_MAX)
 * are set, and nothing outside the log. */
static void expect_pages(const uint64_t *want)
{
	for (uint64_t n = 0; n < PAGES; n++) {
		bool w = false;
		for (const uint64_t *p = want; *p != UINT64_MAX; p++)
			w |= *p == n;
		if (bit(n) != w)
			fail_msg("page %llu (gpa 0x%llx): bit %d, expected %d",
				 (unsigned long long)n, (unsigned long long)n * 4096,
				 bit(n), w);
	}
	expect_untouched_outside();
}

static void clear_log(void)
{
	memset(fe_view, 0, LOG_FD_SIZE);
}

static int setup(void **state)
{
	struct azerr e;
	(void)state;

	memset(mem_buf, 0, sizeof(mem_buf));
	mem = (struct gmem){ .nr = 2 };
	mem.r[0] = (struct gmem_region){ .gpa = G, .size = HALF, .hva = mem_buf + HALF };
	mem.r[1] = (struct gmem_region){ .gpa = G + HALF, .size = HALF, .hva = mem_buf };
	log_fd = memfd_create("log", MFD_ALLOW_SEALING);
	assert_true(log_fd >= 0);
	assert_int_equal(ftruncate(log_fd, LOG_FD_SIZE), 0);
	fe_view = mmap(NULL, LOG_FD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd, 0);
	assert_true(fe_view != MAP_FAILED);
	if (vlog_map(&lg, log_fd, PAGES / 8, LOG_OFF, false, &e))
		fail_msg("%s", e.msg);
	memset(&q, 0, sizeof(q));
	q.callfd = q.kickfd = -1;
	assert_int_equal(virtq_start(&q, &mem, NUM, DESC, AVAIL, USED, false, 0, 0, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vlog_unmap(&lg);
	munmap(fe_view, LOG_FD_SIZE);
	close(log_fd);
	return 0;
}

/* A request: a readable header, then writable buffers across a page
 * boundary (4 pages), across the two regions, and one more byte far on. */
static void pop_request(void)
{
	set_desc(0, G + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, G + 0x9f00, 0x2200, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, G + HALF - 0x10, 0x20, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	set_desc(3, G + 0x30000, 1, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_int_equal(c.nr_in, 4);  /* the second buffer split in two */
}

#define P(gpa) ((gpa) / 4096)
#define END UINT64_MAX

static void test_written_pages(void **state)
{
	(void)state;
	assert_int_equal(virtq_set_log(&q, &lg, true, true, USED, NULL), 0);
	pop_request();
	/* All of the first buffer and 0x18 bytes of the second, which end
	 * past the region boundary; the third buffer is not reached. */
	virtq_push(&q, &c, 0x2200 + 0x18);
	const uint64_t want[] = { P(G + 0x9000), P(G + 0xa000), P(G + 0xb000),
				  P(G + 0xc000), P(G + HALF - 1), P(G + HALF),
				  P(USED), END };
	expect_pages(want);

	/* The bytes written, not the buffers' size: 0x100 bytes stay in
	 * the first page of the first buffer. */
	clear_log();
	pop_request();
	virtq_push(&q, &c, 0x100);
	const uint64_t want2[] = { P(G + 0x9000), P(USED), END };
	expect_pages(want2);

	/* A device whose used length does not say where it wrote logs on
	 * its own (the block card: a failed request's length is 1, its
	 * status byte the chain's last) and pushes without the length's
	 * logging: the first writable page is not marked. */
	clear_log();
	pop_request();
	virtq_log_write(&q, &c, c.in_len - 1, 1);
	virtq_push_logged(&q, &c, 1);
	const uint64_t want3[] = { P(G + 0x30000), P(USED), END };
	expect_pages(want3);
	/* A length beyond the chain is clipped to it. */
	clear_log();
	virtq_log_write(&q, &c, c.in_len - 1, 1000);
	const uint64_t want4[] = { P(G + 0x30000), END };
	expect_pages(want4);
}

static void test_used_ring_pages(void **state)
{
	/* The used ring across a page boundary: flags, idx and element 0
	 * in the first page, element 1 and avail_event in the second. */
	uint64_t used_gpa = G + 0x4ff4;
	struct virtq_used *u = host(used_gpa);
	(void)state;

	assert_int_equal(virtq_start(&q, &mem, NUM, DESC, AVAIL, used_gpa, false, 0,
				     VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX), NULL), 0);
	assert_int_equal(virtq_set_log(&q, &lg, true, true, used_gpa, NULL), 0);
	pop_request();
	virtq_push(&q, &c, 0);
	/* Element 0 and idx. */
	const uint64_t want[] = { P(G + 0x4000), END };
	expect_pages(want);
	assert_int_equal(u->idx, 1);
	/* Element 1 and idx; then avail_event alone, written by rearm. */
	clear_log();
	pop_request();
	virtq_push(&q, &c, 0);
	const uint64_t want2[] = { P(G + 0x4000), P(G + 0x5000), END };
	expect_pages(want2);
	clear_log();
	assert_false(virtq_rearm(&q));
	const uint64_t want3[] = { P(G + 0x5000), END };
	expect_pages(want3);
}

static void test_logging_off(void **state)
{
	struct azerr e;
	(void)state;

	/* Not turned on (virtq_start alone): nothing. */
	pop_request();
	virtq_push(&q, &c, 0x2200);
	const uint64_t none[] = { END };
	expect_pages(none);
	/* VHOST_F_LOG_ALL not negotiated, the used ring logged: only its
	 * page. */
	assert_int_equal(virtq_set_log(&q, &lg, false, true, USED, NULL), 0);
	pop_request();
	virtq_push(&q, &c, 0x2200);
	const uint64_t used_only[] = { P(USED), END };
	expect_pages(used_only);
	/* LOG_ALL but no log given: nothing to log into, nothing set. */
	clear_log();
	assert_int_equal(virtq_set_log(&q, NULL, true, false, 0, NULL), 0);
	pop_request();
	virtq_push(&q, &c, 0x2200);
	expect_pages(none);
	/* The used ring to be logged with no log: refused. */
	assert_int_equal(virtq_set_log(&q, NULL, true, true, USED, &e), -1);
	assert_non_null(strstr(e.msg, "SET_LOG_BASE"));
	assert_null(q.log);
	assert_null(q.used_log);
}

static void test_set_log_refusals(void **state)
{
	struct vlog small;
	struct azerr e;
	(void)state;

	/* log_guest_addr must be where the memory table puts the used ring. */
	assert_int_equal(virtq_set_log(&q, &lg, true, true, USED + 8, &e), -1);
	assert_non_null(strstr(e.msg, "log_guest_addr 0x43008"));
	assert_int_equal(virtq_set_log(&q, &lg, true, true, 0x100000000ULL, &e), -1);
	assert_null(q.log);
	/* A log too small for guest memory: refused for buffers; for the
	 * used ring alone it needs to cover the ring's last byte. */
	assert_int_equal(vlog_map(&small, log_fd, 9, LOG_OFF, false, NULL), 0);  /* to 0x48000 */
	assert_int_equal(virtq_set_log(&q, &small, true, false, 0, &e), -1);
	assert_non_null(strstr(e.msg, "does not cover guest memory up to 0x80000"));
	assert_int_equal(virtq_set_log(&q, &small, false, true, USED, NULL), 0);
	vlog_unmap(&small);
	assert_int_equal(vlog_map(&small, log_fd, 8, LOG_OFF, false, NULL), 0);  /* to 0x40000 */
	assert_int_equal(virtq_set_log(&q, &small, false, true, USED, &e), -1);
	assert_non_null(strstr(e.msg, "does not cover the used ring at 0x43000"));
	vlog_unmap(&small);
}

static void test_mark_bounds(void **state)
{
	uint64_t missed;
	(void)state;

	/* Pages beyond the log are counted, never written. */
	vlog_mark(&lg, (PAGES - 1) * 4096, 3 * 4096);
	const uint64_t last[] = { PAGES - 1, END };
	expect_pages(last);
	assert_int_equal(lg.missed, 2);
	missed = lg.missed;
	vlog_mark(&lg, 1ULL << 40, 4096);
	vlog_mark(&lg, UINT64_MAX - 10, 100);  /* wraps */
	expect_pages(last);
	assert_true(lg.missed > missed);
	/* All of it, from 0 to the end of the address space. */
	vlog_mark(&lg, 0, UINT64_MAX);
	for (uint64_t n = 0; n < PAGES; n++)
		assert_true(bit(n));
	expect_untouched_outside();
}

static void test_mark_bounds_all_set(void **state)
{
	(void)state;
	/* Bits inside one byte and spanning bytes: pages 3..12. */
	vlog_mark(&lg, 3 * 4096 + 5, 9 * 4096);
	for (uint64_t n = 0; n < PAGES; n++)
		assert_int_equal(bit(n), n >= 3 && n <= 12);
	assert_true(vlog_test(&lg, 12 * 4096));
	assert_false(vlog_test(&lg, 13 * 4096));
	vlog_mark(&lg, 20 * 4096, 0);  /* nothing written: nothing set */
	assert_false(bit(20));
}

static void test_map_refusals(void **state)
{
	struct vlog l;
	struct azerr e;
	int efd = eventfd(0, 0);
	(void)state;

	assert_int_equal(vlog_map(&l, -1, 16, 0, false, &e), -1);
	assert_non_null(strstr(e.msg, "no log fd"));
	assert_int_equal(vlog_map(&l, log_fd, 0, 0, false, &e), -1);
	assert_non_null(strstr(e.msg, "log size 0 bytes"));
	assert_int_equal(vlog_map(&l, log_fd, VLOG_MAX_BYTES + 1, 0, false, &e), -1);
	assert_int_equal(vlog_map(&l, log_fd, 16, UINT64_MAX - 8, false, &e), -1);
	assert_non_null(strstr(e.msg, "overflows"));
	/* Beyond the fd's end: it would SIGBUS the card. */
	assert_int_equal(vlog_map(&l, log_fd, LOG_FD_SIZE, 1, false, &e), -1);
	assert_non_null(strstr(e.msg, "holds 4096 bytes"));
	assert_int_equal(vlog_map(&l, efd, 16, 0, false, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_null(l.bits);
	close(efd);
	/* The fd was sealed against shrinking by the first mapping. */
	assert_true(ftruncate(log_fd, 100) < 0);
	/* The whole fd, at an offset that is not page-aligned. */
	assert_int_equal(vlog_map(&l, log_fd, LOG_FD_SIZE - 4000, 4000, false, NULL), 0);
	vlog_mark(&l, 0, 1);
	assert_int_equal(fe_view[4000], 1);
	fe_view[4000] = 0;
	vlog_unmap(&l);
	assert_null(l.bits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_written_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_ring_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_log_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_bounds_all_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_refusals, setup, teardown),
	};
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
