/* The rings that give guest memory back to the host: inflate (page frame
 * numbers) and free page reporting (ranges); and deflate, which has
 * nothing to give. Every guest address is checked against the memory
 * table (gmem) before the card touches it, and the discard works on the
 * card's own mapping of guest memory only, never on huge pages. */
#include "cards/balloon/request.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cards/virtio/iov.h"
#include "common/log.h"

int64_t balloon_remove(void *hva, uint64_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)hva + page - 1) & ~(uintptr_t)(page - 1);
	uintptr_t end = ((uintptr_t)hva + len) & ~(uintptr_t)(page - 1);

	/* Only whole host pages: a part of one may hold what the guest
	 * still uses. */
	if (end <= start)
		return 0;
	if (madvise((void *)start, end - start, MADV_REMOVE) < 0)
		return -1;
	return (int64_t)(end - start);
}

/* Whether hva lies in guest memory of pages larger than the host's
 * (guest RAM on hugetlbfs: huge_pages "2M"), which is never given back.
 * A hole punched there frees whole huge pages and their reservation with
 * them (hugetlb_unreserve_pages): the next touch of the page, the guest's
 * or a card's writing a buffer there, takes one from the host's shared
 * pool, and is a SIGBUS if the pool is empty by then: the very failure
 * azote reserves the pages for when it maps RAM (guest_mem_create).
 * Firecracker's balloon does not reclaim huge pages either (its
 * docs/hugepages.md). */
static bool on_huge_pages(const struct gmem *mem, const void *hva)
{
	return gmem_hva_page(mem, hva) > (uint64_t)sysconf(_SC_PAGESIZE);
}

/* s->discard on [hva, hva + len): the bytes given back into *given, or
 * false. A host that cannot (a mapping MADV_REMOVE does not take) is
 * said once: the guest cannot make it fail, and its every page would
 * repeat it. */
static bool give_back(struct balloon_server *s, void *hva, uint64_t len, uint64_t *given)
{
	int64_t got = s->discard(hva, len);

	if (got < 0) {
		if (!s->discard_warned)
			log_warn("balloon: cannot give guest memory back to the host: %s",
				 strerror(errno));
		s->discard_warned = true;
		return false;
	}
	*given = (uint64_t)got;
	return true;
}

/* One run of contiguous pages given back, counted; false if it failed. */
static bool give_back_run(struct balloon_server *s, uint8_t *run, uint64_t len)
{
	uint64_t given;

	if (!run)
		return true;
	if (!give_back(s, run, len, &given))
		return false;
	card_stat_add(&s->stats->inflated_pages, given / BALLOON_PAGE_SIZE);
	return true;
}

/* Moves v[i] down the max-heap v[0..n) to where it belongs. */
static void sift_down(uint32_t *v, unsigned i, unsigned n)
{
	for (unsigned child; (child = 2 * i + 1) < n; i = child) {
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[i] >= v[child])
			return;
		uint32_t t = v[i];
		v[i] = v[child];
		v[child] = t;
	}
}

/* Heapsort, ascending: in place and with no system call. glibc's qsort
 * may allocate and call sysinfo(2) (it did for Linux's 256-page batches),
 * which the card's seccomp filter rightly refuses. */
static void sort_pfns(uint32_t *v, unsigned n)
{
	for (unsigned i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (unsigned end = n; end > 1; end--) {
		uint32_t t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(v, 0, end - 1);
	}
}

/* Gives back the n pages of s->pfns (little-endian as the guest wrote
 * them), sorted so that neighbours coalesce into one discard each and a
 * page listed twice is given (and counted) once. False if any page was
 * outside guest memory or could not be given back; the others are given
 * all the same. */
static bool give_back_pfns(struct balloon_server *s, const struct gmem *mem, unsigned n)
{
	uint8_t *run = NULL;
	uint64_t run_len = 0;
	uint32_t last = 0;
	bool ok = true;

	for (unsigned i = 0; i < n; i++)
		s->pfns[i] = le32toh(s->pfns[i]);
	sort_pfns(s->pfns, n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t pfn = s->pfns[i];

		if (i && pfn == s->pfns[i - 1])
			continue;
		/* The whole 4 KiB page, in one region: a page across two
		 * regions (adjacent in guest space) is not one the guest's
		 * allocator hands out whole, and is refused. */
		uint8_t *hva = gmem_gpa(mem, (uint64_t)pfn << VIRTIO_BALLOON_PFN_SHIFT,
					BALLOON_PAGE_SIZE);
		if (!hva) {
			ok = false;
			continue;
		}
		/* Taken into the balloon all the same: the guest gives it up
		 * whatever the host does with it. */
		if (on_huge_pages(mem, hva))
			continue;
		if (run && pfn == last + 1 && hva == run + run_len) {
			run_len += BALLOON_PAGE_SIZE;
		} else {
			ok &= give_back_run(s, run, run_len);
			run = hva;
			run_len = BALLOON_PAGE_SIZE;
		}
		last = pfn;
	}
	return give_back_run(s, run, run_len) && ok;
}

/* The chain's device-readable bytes are the list of le32 page frame
 * numbers. Its length is judged over the whole readable part, not per
 * buffer: a buffer across two memory regions reaches the card in two
 * pieces, and Linux posts one buffer. */
void balloon_inflate_one(struct balloon_server *s, struct virtq *q,
			 const struct virtq_chain *c)
{
	bool ok = !c->nr_in && c->out_len % sizeof(uint32_t) == 0 &&
		  c->out_len <= BALLOON_MAX_PFNS * sizeof(uint32_t);

	if (ok) {
		/* Copied first: the list may lie in a page it names. */
		iov_to_buf(c->iov, c->nr_out, 0, s->pfns, c->out_len);
		ok = give_back_pfns(s, q->mem, (unsigned)(c->out_len / sizeof(uint32_t)));
	}
	if (!ok)
		card_stat_add(&s->stats->event_fails, 1);
	/* After the discard: once the driver sees the chain used it counts
	 * the pages as the host's. */
	virtq_push(q, c, 0);
}

/* A page the guest takes back needs nothing from the device: its next
 * touch faults a zeroed page into the memfd (no PAGE_POISON offered, so
 * the guest expects no content). */
void balloon_deflate_one(struct balloon_server *s, struct virtq *q,
			 const struct virtq_chain *c)
{
	(void)s;
	virtq_push(q, c, 0);
}

/* Each buffer is a range of free guest memory (Linux posts them
 * device-writable; either way is taken, as Firecracker does). virtq_pop
 * has checked each lies in guest memory, in one region (a range across
 * two counts as two); one on huge pages is kept, and gives nothing. */
void balloon_report_one(struct balloon_server *s, struct virtq *q,
			const struct virtq_chain *c)
{
	for (unsigned i = 0; i < c->nr_out + c->nr_in; i++) {
		uint64_t given;

		card_stat_add(&s->stats->free_page_report_count, 1);
		if (on_huge_pages(q->mem, c->iov[i].iov_base))
			continue;
		if (give_back(s, c->iov[i].iov_base, c->iov[i].iov_len, &given))
			card_stat_add(&s->stats->free_page_report_freed, given);
		else
			card_stat_add(&s->stats->free_page_report_fails, 1);
	}
	virtq_push(q, c, 0);
}
