/* libFuzzer target: the pmem card's request path on a hostile driver's
 * ring. The input is the whole guest memory image (descriptor table,
 * available ring, indirect tables, requests) of a small queue; its first
 * byte picks EVENT_IDX, a rate limit and whether the file's flush fails.
 * pmem_serve then runs on it until it rests. Nothing may crash, hang or
 * write outside the image (ASan sees the image's ends), no chain may be
 * completed with a used length but 0 or 4, and every request taken is
 * counted once, failed when it could not have succeeded.
 *
 * The lengths are checked as the card gives them (linked with
 * -Xlinker --wrap=virtq_push), not read back from the used ring: a hostile
 * driver may put a status buffer over the used ring, and a later
 * request's status then overwrites an earlier element's length. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cards/pmem/request.h"
#include "virtio/virtio.h"
#include "virtio/virtio_pmem.h"

#include "fuzz_ring_mem.h"

#define NUM 16
#define USED_GPA 0x400

static struct pmem_server srv;

/* The backing file: a memfd, whose fdatasync succeeds at once, or a
 * pipe's end, which fdatasync refuses (EINVAL): the failing flush. Made
 * once: the fuzzer runs millions of inputs. */
static int good_fd = -1, bad_fd = -1;

static void files(void)
{
	int p[2];

	if (good_fd >= 0)
		return;
	good_fd = memfd_create("fuzz_pmem", MFD_CLOEXEC);
	if (good_fd < 0 || ftruncate(good_fd, 4096) < 0 || pipe(p) < 0)
		abort();
	bad_fd = p[0];
}

void __real_virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t len);
void __wrap_virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t len);

void __wrap_virtq_push(struct virtq *q, const struct virtq_chain *c, uint32_t len)
{
	if (len != 0 && len != VIRTIO_PMEM_RESP_SIZE)
		abort();
	__real_virtq_push(q, c, len);
}

/* The ring over the image: EVENT_IDX as cfg says, INDIRECT_DESC always. */
static void start_ring(struct virtq *q, const struct gmem *g, uint8_t cfg)
{
	uint64_t features = VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			    (cfg & 1 ? VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) : 0);

	*q = (struct virtq){ .callfd = -1 };
	if (virtq_start(q, g, NUM, 0x100, 0x300, USED_GPA, false, 0, features, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t cfg = size ? data[0] : 0;
	bool fails = cfg & 4;
	/* Ops for two batches at most: a refusal un-pops. */
	struct rate_limiter rl = { .has_ops = cfg & 2,
				   .ops = { .size = 2, .refill_time_ms = 1000 } };
	struct card_pmem_stats st = { 0 };
	struct card_limiter limit;
	struct gmem g = { 0 };
	struct virtq q;
	uint64_t wait;

	files();
	fuzz_ring_mem(&g, data, size);
	card_limiter_init(&limit, &rl);
	srv = (struct pmem_server){ .limit = &limit, .stats = &st,
				    .fd = fails ? bad_fd : good_fd, .size = 4096,
				    .budget = cfg & 8 ? 3 : PMEM_MAX_BATCH };
	start_ring(&q, &g, cfg);
	uint16_t first = q.used_idx;  /* as the image had it */
	enum limited_pass r;
	unsigned passes = 0;
	while ((r = pmem_serve(&srv, &q, &wait)) == LIMITED_MORE)
		/* A pass that ran out of budget took 3 requests at least, and no
		 * driver adds any meanwhile: the NUM of a ring end it. */
		if (++passes > 4 * NUM)
			abort();
	if (r == LIMITED_THROTTLED && (!wait || st.rate_limiter_throttled != 1))
		abort();
	uint16_t done = (uint16_t)(q.used_idx - first);
	/* Every request taken is counted once; all but those whose head
	 * named no descriptor (virtq_pop cannot complete them) completed.
	 * With the flush failing, none succeeded. */
	if (st.flush_count < done || st.flush_count > done + q.bad_chains ||
	    st.event_fails > st.flush_count || (fails && st.event_fails != st.flush_count))
		abort();
	pthread_mutex_destroy(&limit.lock);
	return 0;
}
