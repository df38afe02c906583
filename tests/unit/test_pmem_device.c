/* The pmem device's request path (src/cards/pmem/request.c) on a ring in
 * memory: the driver half posts chains as a guest would (net_fixture,
 * drv_ring.c's memory), pmem_serve answers them by flushing a real file;
 * a pipe stands for a file whose flush fails (fdatasync refuses it with
 * EINVAL). And the backing file's checks (file.c), each refusal whole. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cards/pmem/file.h"
#include "cards/pmem/request.h"
#include "net_fixture.h"
#include "virtio/virtio.h"
#include "virtio/virtio_pmem.h"

#define FILE_SIZE 8192
#define UNTOUCHED 0xa5a5a5a5u       /* a status the device did not write */
#define ST_OK  VIRTIO_PMEM_RESP_TYPE_OK
#define ST_EIO VIRTIO_PMEM_RESP_TYPE_EIO

struct env {
	struct net_fx fx;
	struct card_limiter limit;
	struct card_pmem_stats st;
	struct pmem_server srv;
	char dir[64];               /* a directory of the test's own */
	char path[96];              /* the backing file in it */
	int pipe[2];                /* -1: none */
};

static struct env *env_new(const struct rate_limiter *rl)
{
	struct env *v = calloc(1, sizeof(*v));
	struct pmem_file f;
	struct azerr e;

	assert_non_null(v);
	net_fx_init(&v->fx, 16, NET_FX_RING_FEATURES);
	card_limiter_init(&v->limit, rl);
	snprintf(v->dir, sizeof(v->dir), "%s/test_pmem.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(v->dir));
	snprintf(v->path, sizeof(v->path), "%s/backing", v->dir);
	int fd = open(v->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, FILE_SIZE), 0);
	close(fd);
	if (pmem_file_open(&f, v->path, false, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(f.size, FILE_SIZE);
	v->srv = (struct pmem_server){ .limit = &v->limit, .stats = &v->st, .fd = f.fd,
				       .size = f.size, .budget = PMEM_MAX_BATCH };
	v->pipe[0] = v->pipe[1] = -1;
	return v;
}

/* Flushes from now on fail: the server's fd is a pipe's. */
static void break_flush(struct env *v)
{
	assert_int_equal(pipe(v->pipe), 0);
	close(v->srv.fd);
	v->srv.fd = v->pipe[0];
}

static void env_free(struct env *v)
{
	if (v->pipe[0] >= 0) {
		close(v->pipe[0]);
		close(v->pipe[1]);
	} else {
		close(v->srv.fd);
	}
	unlink(v->path);
	rmdir(v->dir);
	pthread_mutex_destroy(&v->limit.lock);
	net_fx_fini(&v->fx);
	free(v);
}

/* The guest memory at gpa, as the driver sees it. */
static void *at(struct env *v, uint64_t gpa)
{
	return drv_gpa(&v->fx.mem, gpa);
}

static void put32(struct env *v, uint64_t gpa, uint32_t x)
{
	uint32_t le = htole32(x);

	memcpy(at(v, gpa), &le, sizeof(le));
}

static uint32_t get32(struct env *v, uint64_t gpa)
{
	uint32_t le;

	memcpy(&le, at(v, gpa), sizeof(le));
	return le32toh(le);
}

/* Where request i's type and status live (distinct for each). */
static uint64_t req_gpa(struct env *v, unsigned i)
{
	return v->fx.buf + 64u * i;
}

static uint64_t status_gpa(struct env *v, unsigned i)
{
	return req_gpa(v, i) + 32;
}

/* Posts request i as Linux's driver does: a 4-byte type, readable, then
 * a 4-byte status, writable (left UNTOUCHED). Returns its head. */
static int post(struct env *v, unsigned i, uint32_t type)
{
	struct drv_buf b[2] = { { req_gpa(v, i), 4, false }, { status_gpa(v, i), 4, true } };
	int h;

	put32(v, req_gpa(v, i), type);
	put32(v, status_gpa(v, i), UNTOUCHED);
	h = drv_vq_add(&v->fx.dq, b, 2, 0);
	assert_true(h >= 0);
	return h;
}

static enum limited_pass serve(struct env *v)
{
	uint64_t wait = 0;

	return pmem_serve(&v->srv, &v->fx.q, &wait);
}

/* What the card counted: taken, failed, throttled. */
static void counted(struct env *v, uint64_t flushes, uint64_t fails, uint64_t throttled)
{
	assert_int_equal(v->st.flush_count, flushes);
	assert_int_equal(v->st.event_fails, fails);
	assert_int_equal(v->st.rate_limiter_throttled, throttled);
}

/* A flush answers OK, and what the guest wrote through a shared mapping
 * of the file (azote's, in a VM) is in the file for read(2) after it. */
static void test_flush_ok(void **state)
{
	struct env *v = env_new(NULL);
	char got[16];
	(void)state;

	int fd = open(v->path, O_RDWR);
	assert_true(fd >= 0);
	char *map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	memcpy(map + 4096, "written by guest", 16);
	int h = post(v, 0, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), VIRTIO_PMEM_RESP_SIZE);
	assert_int_equal(get32(v, status_gpa(v, 0)), ST_OK);
	net_fx_no_more_used(&v->fx);
	counted(v, 1, 0, 0);
	munmap(map, FILE_SIZE);
	assert_int_equal(pread(fd, got, sizeof(got), 4096), (ssize_t)sizeof(got));
	assert_memory_equal(got, "written by guest", 16);
	close(fd);
	env_free(v);
}

/* Requests taken in one pass share one flush, each answered; under an
 * ops limit of one, the whole batch costs one op, so all three go. */
static void test_batch(void **state)
{
	struct rate_limiter rl = { .has_ops = true,
				   .ops = { .size = 1, .refill_time_ms = 60000 } };
	struct env *v = env_new(&rl);
	int h[3];
	(void)state;

	for (unsigned i = 0; i < 3; i++)
		h[i] = post(v, i, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_IDLE);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(net_fx_used(&v->fx, h[i]), 4);
		assert_int_equal(get32(v, status_gpa(v, i)), ST_OK);
	}
	counted(v, 3, 0, 0);
	env_free(v);
}

/* A flush that fails answers EIO, each request of its batch counted as
 * failed; the device goes on. */
static void test_flush_fails(void **state)
{
	struct env *v = env_new(NULL);
	(void)state;

	break_flush(v);
	int h1 = post(v, 0, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	int h2 = post(v, 1, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h1), 4);
	assert_int_equal(net_fx_used(&v->fx, h2), 4);
	assert_int_equal(get32(v, status_gpa(v, 0)), ST_EIO);
	assert_int_equal(get32(v, status_gpa(v, 1)), ST_EIO);
	counted(v, 2, 2, 0);
	int h3 = post(v, 2, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h3), 4);
	assert_int_equal(get32(v, status_gpa(v, 2)), ST_EIO);
	counted(v, 3, 3, 0);
	env_free(v);
}

/* A request is its bytes, however the descriptors split them (virtio's
 * framing rule): 2 + 2 readable bytes, 1 + 3 writable, through an
 * indirect table, one byte straddling two regions of guest memory. */
static void test_split(void **state)
{
	struct env *v = env_new(NULL);
	uint64_t table = drv_alloc(&v->fx.mem, 4096, 16, false);
	uint64_t straddle = (16u << 20) - 2;
	(void)state;

	put32(v, req_gpa(v, 0), VIRTIO_PMEM_REQ_TYPE_FLUSH);
	memset(at(v, straddle), 0xa5, 4);
	struct drv_buf b[4] = {
		{ req_gpa(v, 0), 2, false }, { req_gpa(v, 0) + 2, 2, false },
		{ straddle, 1, true }, { straddle + 1, 3, true },
	};
	int h = drv_vq_add(&v->fx.dq, b, 4, table);
	assert_true(h >= 0);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h), 4);
	assert_int_equal(get32(v, straddle), ST_OK);
	counted(v, 1, 0, 0);
	env_free(v);
}

/* Each malformed chain is completed and counted as failed, EIO written
 * where a 4-byte status buffer is, nothing written where none is; the
 * well-formed flush after them is served. */
static void test_malformed(void **state)
{
	struct env *v = env_new(NULL);
	uint64_t g = req_gpa(v, 8);
	const uint16_t W = VIRTQ_DESC_F_WRITE, N = VIRTQ_DESC_F_NEXT;
	uint16_t idx[4];
	(void)state;

	/* A 4-byte status after the wrong request: EIO. */
	int unknown = post(v, 0, 1);
	struct drv_buf wide[2] = { { req_gpa(v, 1), 8, false }, { status_gpa(v, 1), 4, true } };
	put32(v, status_gpa(v, 1), UNTOUCHED);
	int h_wide = drv_vq_add(&v->fx.dq, wide, 2, 0);
	put32(v, status_gpa(v, 2), UNTOUCHED);
	int h_nonly = net_fx_post(&v->fx, status_gpa(v, 2), 4, true);
	/* No 4-byte status: 0, nothing written. */
	struct drv_buf big[2] = { { req_gpa(v, 3), 4, false }, { status_gpa(v, 3), 8, true } };
	put32(v, req_gpa(v, 3), VIRTIO_PMEM_REQ_TYPE_FLUSH);
	put32(v, status_gpa(v, 3), UNTOUCHED);
	int h_big = drv_vq_add(&v->fx.dq, big, 2, 0);
	int h_ronly = net_fx_post(&v->fx, req_gpa(v, 4), 4, false);
	/* Chains virtq_pop refuses: outside guest memory, a loop. */
	int h_out = drv_vq_post_raw(&v->fx.dq, (struct virtq_desc[]){
		{ 0x80000000ULL, 4, N, 1 }, { g, 4, W, 0 } }, 2, idx);
	int h_loop = drv_vq_post_raw(&v->fx.dq, (struct virtq_desc[]){
		{ g, 4, N, 1 }, { g + 4, 4, N, 0 } }, 2, idx + 2);
	int ok = post(v, 5, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, unknown), 4);
	assert_int_equal(get32(v, status_gpa(v, 0)), ST_EIO);
	assert_int_equal(net_fx_used(&v->fx, h_wide), 4);
	assert_int_equal(get32(v, status_gpa(v, 1)), ST_EIO);
	assert_int_equal(net_fx_used(&v->fx, h_nonly), 4);
	assert_int_equal(get32(v, status_gpa(v, 2)), ST_EIO);
	assert_int_equal(net_fx_used(&v->fx, h_big), 0);
	assert_int_equal(get32(v, status_gpa(v, 3)), UNTOUCHED);
	assert_int_equal(net_fx_used(&v->fx, h_ronly), 0);
	assert_int_equal(net_fx_used(&v->fx, h_out), 0);
	assert_int_equal(net_fx_used(&v->fx, h_loop), 0);
	assert_int_equal(net_fx_used(&v->fx, ok), 4);
	assert_int_equal(get32(v, status_gpa(v, 5)), ST_OK);
	net_fx_no_more_used(&v->fx);
	counted(v, 8, 7, 0);
	env_free(v);
}

/* Malformed chains are not charged: under an exhausted limiter they are
 * still completed, and only the flush waits. */
static void test_malformed_not_charged(void **state)
{
	struct rate_limiter rl = { .has_ops = true,
				   .ops = { .size = 1, .refill_time_ms = 60000 } };
	struct env *v = env_new(&rl);
	uint64_t wait = 0;
	(void)state;

	int h1 = post(v, 0, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h1), 4);
	int bad = post(v, 1, 7);
	int h2 = post(v, 2, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(pmem_serve(&v->srv, &v->fx.q, &wait), LIMITED_THROTTLED);
	assert_int_equal(net_fx_used(&v->fx, bad), 4);
	assert_int_equal(get32(v, status_gpa(v, 1)), ST_EIO);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(get32(v, status_gpa(v, 2)), UNTOUCHED);
	assert_int_equal(v->fx.q.last_avail, 2);
	assert_true(wait > 0);
	(void)h2;
	counted(v, 2, 1, 1);
	env_free(v);
}

/* A first flush goes and empties the limiter; a second is held: left on
 * the ring, unanswered, counted once as throttled. Its head in *held;
 * returns its wait. */
static uint64_t second_held(struct env *v, int *held)
{
	uint64_t wait = 0;

	int h1 = post(v, 0, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(pmem_serve(&v->srv, &v->fx.q, &wait), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h1), 4);
	*held = post(v, 1, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(pmem_serve(&v->srv, &v->fx.q, &wait), LIMITED_THROTTLED);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(v->fx.q.last_avail, 1);
	assert_int_equal(get32(v, status_gpa(v, 1)), UNTOUCHED);
	counted(v, 1, 0, 1);
	return wait;
}

/* One op per 50 ms: the second flush waits until the limiter's wait has
 * passed, then is answered. */
static void test_throttled_ops(void **state)
{
	struct rate_limiter rl = { .has_ops = true,
				   .ops = { .size = 1, .refill_time_ms = 50 } };
	struct env *v = env_new(&rl);
	int h2;
	uint64_t wait = second_held(v, &h2);
	(void)state;

	assert_true(wait > 0 && wait <= 50000000u);
	struct timespec ts = { 0, (long)wait };
	nanosleep(&ts, NULL);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h2), 4);
	assert_int_equal(get32(v, status_gpa(v, 1)), ST_OK);
	counted(v, 2, 0, 1);
	env_free(v);
}

/* A flush costs the file's whole length in bytes: a bucket of exactly
 * one file's worth lets one go, then holds the next for a full refill,
 * asking again every CARD_LIMITER_RETRY_NS meanwhile (so that a limit
 * lifted meanwhile frees it then). */
static void test_throttled_bytes(void **state)
{
	struct rate_limiter rl = { .has_bandwidth = true,
				   .bandwidth = { .size = FILE_SIZE, .refill_time_ms = 60000 } };
	struct env *v = env_new(&rl);
	int h2;
	uint64_t wait = second_held(v, &h2);
	(void)state;

	assert_int_equal(wait, CARD_LIMITER_RETRY_NS);
	struct timespec ts = { 0, (long)wait };
	nanosleep(&ts, NULL);
	assert_int_equal(pmem_serve(&v->srv, &v->fx.q, &wait), LIMITED_THROTTLED);
	net_fx_no_more_used(&v->fx);
	/* Lifted: the next ask lets it go. */
	card_limiter_set(&v->limit, NULL);
	assert_int_equal(pmem_serve(&v->srv, &v->fx.q, &wait), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h2), 4);
	env_free(v);
}

/* The budget bounds one call, and one flush's batch: the rest waits for
 * the next. */
static void test_budget(void **state)
{
	struct env *v = env_new(NULL);
	int h[3];
	(void)state;

	v->srv.budget = 2;
	for (unsigned i = 0; i < 3; i++)
		h[i] = post(v, i, VIRTIO_PMEM_REQ_TYPE_FLUSH);
	assert_int_equal(serve(v), LIMITED_MORE);
	assert_int_equal(net_fx_used(&v->fx, h[0]), 4);
	assert_int_equal(net_fx_used(&v->fx, h[1]), 4);
	net_fx_no_more_used(&v->fx);
	assert_int_equal(serve(v), LIMITED_IDLE);
	assert_int_equal(net_fx_used(&v->fx, h[2]), 4);
	counted(v, 3, 0, 0);
	env_free(v);
}

/* The backing file's checks, each refusal's whole message; nothing is
 * left open after one. */
static void test_file(void **state)
{
	struct env *v = env_new(NULL);
	char p[160], want[256];
	struct pmem_file f;
	struct azerr e;
	(void)state;

	assert_int_equal(pmem_file_open(&f, v->path, true, &e), 0);
	assert_int_equal(f.size, FILE_SIZE);
	assert_int_equal(fcntl(f.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(f.fd, F_GETFD) & FD_CLOEXEC);
	pmem_file_close(&f);
	assert_int_equal(f.fd, -1);

	snprintf(p, sizeof(p), "%s/missing", v->dir);
	assert_int_equal(pmem_file_open(&f, p, false, &e), -1);
	snprintf(want, sizeof(want), "--file %s: cannot open it read-write: No such file or "
		 "directory", p);
	assert_string_equal(e.msg, want);
	assert_int_equal(f.fd, -1);
	assert_int_equal(pmem_file_open(&f, p, true, &e), -1);
	snprintf(want, sizeof(want), "--file %s: cannot open it read-only: No such file or "
		 "directory", p);
	assert_string_equal(e.msg, want);

	for (int ro = 0; ro < 2; ro++) {
		assert_int_equal(pmem_file_open(&f, v->dir, ro, &e), -1);
		snprintf(want, sizeof(want), "--file %s is a directory, not a regular file",
			 v->dir);
		assert_string_equal(e.msg, want);
	}

	snprintf(p, sizeof(p), "%s/fifo", v->dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(pmem_file_open(&f, p, true, &e), -1);
	snprintf(want, sizeof(want), "--file %s is a FIFO, not a regular file", p);
	assert_string_equal(e.msg, want);
	assert_int_equal(f.fd, -1);
	unlink(p);

	assert_int_equal(pmem_file_open(&f, "/dev/null", false, &e), -1);
	assert_string_equal(e.msg, "--file /dev/null is a character device, not a regular file");

	snprintf(p, sizeof(p), "%s/empty", v->dir);
	close(open(p, O_WRONLY | O_CREAT | O_EXCL, 0600));
	assert_int_equal(pmem_file_open(&f, p, false, &e), -1);
	snprintf(want, sizeof(want), "--file %s is empty: the device needs a file of at least "
		 "one byte", p);
	assert_string_equal(e.msg, want);
	assert_int_equal(f.fd, -1);
	unlink(p);
	env_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_ok),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_flush_fails),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_not_charged),
		cmocka_unit_test(test_throttled_ops),
		cmocka_unit_test(test_throttled_bytes),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
