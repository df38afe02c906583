/* Unit tests for the device side of split virtqueues (src/virtio): guest
 * memory lookups and hostile descriptor chains. "Guest memory" is a static
 * buffer described by a hand-made memory table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "cards/virtio/gmem.h"
#include "virtio/ring.h"
#include "virtio/virtio.h"
#include "cards/virtio/virtqueue.h"

#define MEM_SIZE (1 << 20)
#define NUM 16
/* Guest layout: region 0 gpa [0, 512K), region 1 gpa [512K, 1M) (adjacent
 * halves of the buffer), region 2 a huge fake region at 64 GiB whose
 * buffers are never dereferenced. Rings sit in region 0. */
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define DATA  0x10000
#define ITAB  0x8000
#define UVA   0x7f0000000000ULL

static uint8_t mem_buf[MEM_SIZE] __attribute__((aligned(4096)));
static struct gmem mem;
static struct virtq q;
static struct iovec iov[8];
static struct virtq_chain c = { .iov = iov, .cap = 8 };

static struct virtq_desc *desc(unsigned i)
{
	return (struct virtq_desc *)(mem_buf + DESC) + i;
}

static struct virtq_avail *avail(void)
{
	return (struct virtq_avail *)(mem_buf + AVAIL);
}

static struct virtq_used *used(void)
{
	return (struct virtq_used *)(mem_buf + USED);
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	*desc(i) = (struct virtq_desc){ addr, len, flags, next };
}

static void post(uint16_t head)
{
	avail()->ring[avail()->idx % NUM] = head;
	avail()->idx++;
}

static int setup(void **state)
{
	(void)state;
	memset(mem_buf, 0, sizeof(mem_buf));
	mem = (struct gmem){ .nr = 3 };
	mem.r[0] = (struct gmem_region){ .gpa = 0, .size = MEM_SIZE / 2, .uva = UVA, .hva = mem_buf };
	mem.r[1] = (struct gmem_region){ .gpa = MEM_SIZE / 2, .size = MEM_SIZE / 2,
					 .uva = UVA + MEM_SIZE / 2, .hva = mem_buf + MEM_SIZE / 2 };
	mem.r[2] = (struct gmem_region){ .gpa = 64ULL << 30, .size = 16ULL << 30,
					 .uva = 1ULL << 46, .hva = mem_buf };
	memset(&q, 0, sizeof(q));
	q.callfd = -1;
	assert_int_equal(virtq_start(&q, &mem, NUM, UVA + DESC, UVA + AVAIL, UVA + USED,
				     true, 0, VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC),
				     NULL), 0);
	return 0;
}

/* Pops once and expects the request to fail alone: completed, length 0. */
static void expect_bad(uint16_t head)
{
	uint64_t bad = q.bad_chains;
	uint16_t u = used()->idx;

	post(head);
	assert_int_equal(virtq_pop(&q, &c), -1);
	assert_int_equal(q.bad_chains, bad + 1);
	assert_int_equal(used()->idx, (uint16_t)(u + 1));
	assert_int_equal(used()->ring[u % NUM].id, head);
	assert_int_equal(used()->ring[u % NUM].len, 0);
	assert_false(q.broken);
}

static void test_gmem_lookup(void **state)
{
	struct iovec v[4];
	unsigned n = 0;
	(void)state;

	assert_ptr_equal(gmem_gpa(&mem, 0x100, 16), mem_buf + 0x100);
	assert_ptr_equal(gmem_uva(&mem, UVA + 0x100, 16), mem_buf + 0x100);
	/* A range crossing between regions is not contiguous memory... */
	assert_null(gmem_gpa(&mem, MEM_SIZE / 2 - 8, 16));
	/* ...but maps as two iovecs. */
	assert_int_equal(gmem_gpa_iov(&mem, MEM_SIZE / 2 - 8, 16, v, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].iov_len, 8);
	assert_ptr_equal(v[1].iov_base, mem_buf + MEM_SIZE / 2);
	/* Past the end of RAM, in the hole, wrapping. */
	n = 0;
	assert_int_equal(gmem_gpa_iov(&mem, MEM_SIZE - 8, 16, v, 4, &n), -1);
	assert_null(gmem_gpa(&mem, MEM_SIZE, 1));
	assert_null(gmem_gpa(&mem, UINT64_MAX - 4, 16));
	n = 0;
	assert_int_equal(gmem_gpa_iov(&mem, UINT64_MAX - 4, 16, v, 4, &n), -1);
	/* Capacity. */
	n = 3;
	assert_int_equal(gmem_gpa_iov(&mem, MEM_SIZE / 2 - 8, 16, v, 4, &n), -1);
}

static void test_gmem_check(void **state)
{
	struct gmem m = { .nr = 2 };
	(void)state;

	m.r[0] = (struct gmem_region){ .gpa = 0, .size = 4096, .uva = 0x1000 };
	m.r[1] = (struct gmem_region){ .gpa = 4096, .size = 4096, .uva = 0x9000 };
	assert_int_equal(gmem_check(&m, NULL), 0);
	m.r[1].gpa = 2048;  /* overlap */
	assert_int_equal(gmem_check(&m, NULL), -1);
	m.r[1].gpa = UINT64_MAX - 100;  /* wraps */
	assert_int_equal(gmem_check(&m, NULL), -1);
	m.r[1].gpa = 8192;
	m.r[1].size = 0;  /* empty */
	assert_int_equal(gmem_check(&m, NULL), -1);
	m.nr = GMEM_MAX_REGIONS + 1;
	assert_int_equal(gmem_check(&m, NULL), -1);
}

/* Mapping a memfd seals it against shrinking, so the front-end cannot
 * truncate it under the card (issue 15, finding 3). A memfd that takes no
 * seals, and a plain file, still map for a front-end that connects (QEMU's
 * memory-backend-file), but not for azote's (must_seal), which makes its
 * memory sealable. */
static void test_gmem_map_seals(void **state)
{
	struct gmem_region r = { .gpa = 0, .size = 65536, .uva = UVA };
	(void)state;

	int fd = memfd_create("guest", MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(fd, 65536), 0);
	assert_int_equal(gmem_map_region(&r, fd, 0, true, NULL), 0);
	assert_true(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK);
	assert_int_equal(ftruncate(fd, 4096), -1);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);  /* growing stays allowed */
	munmap(r.map, r.map_len);
	/* Mapped again (a new memory table): already sealed, still fine. */
	assert_int_equal(gmem_map_region(&r, fd, 0, true, NULL), 0);
	munmap(r.map, r.map_len);
	close(fd);

	char path[] = "/tmp/test_virtqueue.XXXXXX";
	int unsealable[2] = { memfd_create("guest", 0) /* F_SEAL_SEAL from the start */,
			      mkstemp(path) };
	unlink(path);
	for (int i = 0; i < 2; i++) {
		struct azerr e;
		assert_int_equal(ftruncate(unsealable[i], 65536), 0);
		assert_int_equal(gmem_map_region(&r, unsealable[i], 0, true, &e), -1);
		assert_non_null(strstr(e.msg, "cannot be sealed"));
		assert_null(r.map);
		assert_int_equal(gmem_map_region(&r, unsealable[i], 0, false, NULL), 0);
		munmap(r.map, r.map_len);
		close(unsealable[i]);
	}
}

static void test_start_checks(void **state)
{
	struct virtq t = { .callfd = -1 };
	(void)state;

	assert_int_equal(virtq_start(&t, &mem, 0, DESC, AVAIL, USED, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, 24, DESC, AVAIL, USED, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, 65536, DESC, AVAIL, USED, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC + 8, AVAIL, USED, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL + 1, USED, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL, USED + 2, false, 0, 0, NULL), -1);
	/* Aligned guest addresses in a region mapped one byte off. */
	struct gmem off = { .nr = 1 };
	off.r[0] = (struct gmem_region){ .gpa = 0, .size = MEM_SIZE / 2, .uva = UVA,
					 .hva = mem_buf + 1 };
	assert_int_equal(virtq_start(&t, &off, NUM, DESC, AVAIL, USED, false, 0, 0, NULL), -1);
	off.r[0].hva = mem_buf;
	assert_int_equal(virtq_start(&t, &off, NUM, DESC, AVAIL, USED, false, 0, 0, NULL), 0);
	/* Descriptor table crossing the region boundary, or outside RAM. */
	assert_int_equal(virtq_start(&t, &mem, NUM, MEM_SIZE / 2 - 64, AVAIL, USED,
				     false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL, MEM_SIZE, false, 0, 0, NULL), -1);
	/* A used ring over the available ring's index, its last entry, or
	 * the descriptor table's end: our stores would feed the ring. */
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL, AVAIL, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL,
				     (AVAIL + virtq_avail_size(NUM) - 4) & ~3ULL, false, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL,
				     DESC + virtq_desc_size(NUM) - 4, false, 0, 0, NULL), -1);
	/* Packed back to back, as Linux lays a split ring out, is fine. */
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, DESC + virtq_desc_size(NUM),
				     (DESC + virtq_desc_size(NUM) + virtq_avail_size(NUM) + 3) & ~3ULL,
				     false, 0, 0, NULL), 0);
	/* guest physical vs frontend virtual addresses. */
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL, USED, true, 0, 0, NULL), -1);
	assert_int_equal(virtq_start(&t, &mem, NUM, DESC, AVAIL, USED, false, 0, 0, NULL), 0);
}

static void test_valid_chain(void **state)
{
	(void)state;
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 5);
	set_desc(5, DATA + 0x100, 512, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, MEM_SIZE / 2 - 4, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	set_desc(3, DATA + 0x1000, 1, VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(virtq_pop(&q, &c), 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_int_equal(c.head, 0);
	assert_int_equal(c.nr_out, 2);
	assert_int_equal(c.nr_in, 3);  /* the 8 bytes split across regions */
	assert_int_equal(c.out_len, 528);
	assert_int_equal(c.in_len, 9);
	assert_ptr_equal(c.iov[1].iov_base, mem_buf + DATA + 0x100);
	assert_int_equal(virtq_pop(&q, &c), 0);
	virtq_push(&q, &c, 9);
	assert_int_equal(used()->idx, 1);
	assert_int_equal(used()->ring[0].len, 9);
}

static void test_loops_and_indices(void **state)
{
	(void)state;
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	expect_bad(0);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 0);  /* self loop */
	expect_bad(0);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, NUM);  /* next out of range */
	expect_bad(0);
	/* A head out of range is dropped without a used entry. */
	uint16_t u = used()->idx;
	post(NUM + 1);
	assert_int_equal(virtq_pop(&q, &c), -1);
	assert_int_equal(used()->idx, u);
	assert_int_equal(q.bad_chains, 4);
}

/* Malformed chains cost a pop each: one is refused per call, said apart
 * from an empty ring, so that a driver that keeps them coming cannot
 * hold the card in one call. */
static void test_one_refusal_per_pop(void **state)
{
	(void)state;
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 0);  /* a loop */
	set_desc(1, DATA, 16, 0, 0);
	post(0);
	post(0);
	post(1);
	assert_int_equal(virtq_pop(&q, &c), -1);
	assert_int_equal(q.bad_chains, 1);
	assert_int_equal(used()->idx, 1);
	assert_true(virtq_rearm(&q));
	assert_int_equal(virtq_pop(&q, &c), -1);
	assert_int_equal(q.bad_chains, 2);
	assert_int_equal(used()->idx, 2);
	assert_true(virtq_rearm(&q));
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_int_equal(c.head, 1);
	assert_int_equal(virtq_pop(&q, &c), 0);
	assert_false(virtq_rearm(&q));
}

static void test_bad_buffers(void **state)
{
	struct iovec small[2];
	struct virtq_chain sc = { .iov = small, .cap = 2 };
	(void)state;

	set_desc(0, MEM_SIZE + 4096, 16, 0, 0);  /* outside RAM */
	expect_bad(0);
	set_desc(0, MEM_SIZE - 8, 16, 0, 0);  /* runs past the end */
	expect_bad(0);
	set_desc(0, DATA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 16, 0, 0);  /* readable after writable */
	expect_bad(0);
	/* More than 4 GiB in one direction (fake huge region). */
	set_desc(0, 64ULL << 30, 0xffffffff, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, (64ULL << 30) + (8ULL << 30), 0xffffffff, 0, 0);
	expect_bad(0);
	/* Too many segments for the caller's iovec array. */
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &sc), -1);
	assert_int_equal(q.bad_chains, 5);
	/* Zero-length descriptors are harmless. */
	set_desc(0, DATA, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_int_equal(c.nr_out, 0);
	assert_int_equal(c.in_len, 1);
}

static void test_indirect(void **state)
{
	struct virtq_desc *t = (struct virtq_desc *)(mem_buf + ITAB);
	(void)state;

	t[0] = (struct virtq_desc){ DATA, 16, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct virtq_desc){ DATA + 0x100, 1, VIRTQ_DESC_F_WRITE, 0 };
	/* A direct descriptor, then the indirect one (§2.7.5.3.2). */
	set_desc(0, DATA + 0x200, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_int_equal(c.out_len, 24);
	assert_int_equal(c.in_len, 1);

	set_desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	expect_bad(0);
	set_desc(0, ITAB, 24, VIRTQ_DESC_F_INDIRECT, 0);  /* not 16n */
	expect_bad(0);
	set_desc(0, ITAB, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(0);
	set_desc(0, ITAB, 16 * (VIRTQ_MAX_SIZE + 1), VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(0);  /* larger than any queue */
	set_desc(0, MEM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);  /* outside */
	expect_bad(0);
	t[1].flags = VIRTQ_DESC_F_INDIRECT;  /* nested */
	set_desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(0);
	t[1] = (struct virtq_desc){ DATA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0 };
	expect_bad(0);  /* loop inside the table */
	t[1] = (struct virtq_desc){ DATA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 7 };
	expect_bad(0);  /* next beyond the table */
	/* Without the feature, indirect is refused. */
	t[1] = (struct virtq_desc){ DATA + 0x100, 1, VIRTQ_DESC_F_WRITE, 0 };
	q.indirect = false;
	expect_bad(0);
}

/* Fills the indirect table at ITAB with n entries: n - 1 readable 16-byte
 * buffers, then one writable byte. */
static void fill_itab(unsigned n)
{
	struct virtq_desc *t = (struct virtq_desc *)(mem_buf + ITAB);

	for (unsigned i = 0; i + 1 < n; i++)
		t[i] = (struct virtq_desc){ DATA + 16 * i, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1) };
	t[n - 1] = (struct virtq_desc){ DATA, 1, VIRTQ_DESC_F_WRITE, 0 };
}

/* Indirect tables are counted apart from the ring's chain (issue 15): a
 * full queue-sized table behind a pointer and a direct descriptor, a table
 * larger than the queue, and requests on a 1-entry queue all map; a loop
 * inside a large table is still caught. */
static void test_indirect_sizes(void **state)
{
	struct iovec big[3 * NUM];
	struct virtq_chain bc = { .iov = big, .cap = 3 * NUM };
	struct virtq_desc *t = (struct virtq_desc *)(mem_buf + ITAB);
	struct virtq one = { .callfd = -1 };
	struct azerr e;
	(void)state;

	fill_itab(NUM);
	set_desc(0, DATA + 0x800, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, ITAB, 16 * NUM, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &bc), 1);
	assert_int_equal(bc.nr_out, NUM);       /* the direct one + NUM - 1 */
	assert_int_equal(bc.out_len, 8 + 16 * (NUM - 1));
	assert_int_equal(bc.in_len, 1);

	fill_itab(2 * NUM);
	set_desc(0, ITAB, 16 * 2 * NUM, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(virtq_map_chain(&q, 0, &bc, &e), 0);
	assert_int_equal(bc.nr_out + bc.nr_in, 2 * NUM);

	t[2 * NUM - 1] = (struct virtq_desc){ DATA, 1, VIRTQ_DESC_F_NEXT, 3 };
	assert_int_equal(virtq_map_chain(&q, 0, &bc, &e), -1);
	assert_non_null(strstr(e.msg, "longer than its indirect table (32)"));

	assert_int_equal(virtq_start(&one, &mem, 1, DESC, AVAIL, USED, false, 0,
				     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC), NULL), 0);
	fill_itab(3);
	set_desc(0, ITAB, 48, VIRTQ_DESC_F_INDIRECT, 0);
	assert_int_equal(virtq_map_chain(&one, 0, &bc, &e), 0);
	assert_int_equal(bc.nr_out, 2);
	assert_int_equal(bc.nr_in, 1);
	/* Direct chains there still stop at one descriptor. */
	set_desc(0, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	assert_int_equal(virtq_map_chain(&one, 0, &bc, &e), -1);
	assert_non_null(strstr(e.msg, "longer than the queue (1)"));
}

static void test_runaway_avail(void **state)
{
	(void)state;
	avail()->idx = NUM + 1;  /* more than the ring holds */
	assert_int_equal(virtq_pop(&q, &c), 0);
	assert_true(q.broken);
	assert_false(virtq_rearm(&q));
}

static uint64_t drain(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Completes a chain of head 0 that has no writable buffer. */
static void push_empty(void)
{
	struct virtq_chain k = { .head = 0, .iov = iov, .cap = 8 };

	virtq_push(&q, &k, 1);
}

static void test_notify(void **state)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint16_t *used_event = &avail()->ring[NUM];
	uint16_t *avail_event = (uint16_t *)&used()->ring[NUM];
	(void)state;

	q.callfd = efd;
	/* Without EVENT_IDX: NO_INTERRUPT suppresses. */
	push_empty();
	virtq_notify(&q);
	assert_int_equal(drain(efd), 1);
	virtq_notify(&q);  /* nothing new: no signal */
	assert_int_equal(drain(efd), 0);
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	push_empty();
	virtq_notify(&q);
	assert_int_equal(drain(efd), 0);
	avail()->flags = 0;

	/* With EVENT_IDX: signal only when used_idx passes used_event. */
	assert_int_equal(virtq_start(&q, &mem, NUM, UVA + DESC, UVA + AVAIL, UVA + USED,
				     true, 0, VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX), NULL), 0);
	q.callfd = efd;
	*used_event = 4;  /* used idx is 2 now */
	push_empty();
	virtq_notify(&q);  /* first decision always signals */
	assert_int_equal(drain(efd), 1);
	push_empty();  /* idx 4: not past used_event 4 yet */
	virtq_notify(&q);
	assert_int_equal(drain(efd), 0);
	push_empty();  /* idx 5: passes 4 */
	virtq_notify(&q);
	assert_int_equal(drain(efd), 1);

	/* rearm publishes avail_event and reports late arrivals. */
	assert_false(virtq_rearm(&q));
	assert_int_equal(*avail_event, q.last_avail);
	set_desc(0, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	assert_true(virtq_rearm(&q));
	close(efd);
}

/* A polling device turns kicks off, sees requests without them, and turns
 * them back on before it sleeps; under EVENT_IDX the flags stay alone. */
static void test_kick_suppression(void **state)
{
	uint16_t *avail_event = (uint16_t *)&used()->ring[NUM];
	(void)state;

	assert_false(virtq_has_avail(&q));
	virtq_suppress_kicks(&q);
	assert_int_equal(used()->flags, VIRTQ_USED_F_NO_NOTIFY);
	set_desc(0, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	assert_true(virtq_has_avail(&q));
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_false(virtq_has_avail(&q));
	assert_false(virtq_rearm(&q));
	assert_int_equal(used()->flags, 0);

	assert_int_equal(virtq_start(&q, &mem, NUM, UVA + DESC, UVA + AVAIL, UVA + USED,
				     true, 1, VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX), NULL), 0);
	assert_false(virtq_rearm(&q));
	assert_int_equal(*avail_event, 1);
	virtq_suppress_kicks(&q);
	assert_int_equal(used()->flags, 0);
	post(0);
	assert_int_equal(virtq_pop(&q, &c), 1);
	assert_int_equal(*avail_event, 1);  /* left behind: no kick asked for */

	/* A broken ring offers nothing to poll for. */
	avail()->idx = (uint16_t)(q.last_avail + NUM + 1);
	assert_int_equal(virtq_pop(&q, &c), 0);
	assert_false(virtq_has_avail(&q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gmem_lookup, setup),
		cmocka_unit_test_setup(test_gmem_check, setup),
		cmocka_unit_test(test_gmem_map_seals),
		cmocka_unit_test_setup(test_start_checks, setup),
		cmocka_unit_test_setup(test_valid_chain, setup),
		cmocka_unit_test_setup(test_loops_and_indices, setup),
		cmocka_unit_test_setup(test_one_refusal_per_pop, setup),
		cmocka_unit_test_setup(test_bad_buffers, setup),
		cmocka_unit_test_setup(test_indirect, setup),
		cmocka_unit_test_setup(test_indirect_sizes, setup),
		cmocka_unit_test_setup(test_runaway_avail, setup),
		cmocka_unit_test_setup(test_notify, setup),
		cmocka_unit_test_setup(test_kick_suppression, setup),
	};

	log_init("test_virtqueue", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
