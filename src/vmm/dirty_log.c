/* The record of changed guest pages: see dirty_log.h. */
#include "vmm/dirty_log.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

void dirty_log_none(struct dirty_log *l)
{
	*l = (struct dirty_log){ .fd = -1 };
}

int dirty_log_create(struct dirty_log *l, const struct guest_mem *m, bool all,
		     struct azerr *e)
{
	uint64_t end = 0;

	dirty_log_none(l);
	for (int i = 0; i < m->nr_regions; i++)
		if (m->regions[i].gpa + m->regions[i].size > end)
			end = m->regions[i].gpa + m->regions[i].size;
	uint64_t pages = (end + DIRTY_LOG_PAGE - 1) / DIRTY_LOG_PAGE;
	uint64_t bytes = (pages + 63) / 64 * 8;
	int fd = memfd_create("azote-dirty-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return azerr_set(e, "dirty page log: memfd_create: %s", strerror(errno));
	/* The cards map it; none may shrink it under another. */
	if (ftruncate(fd, (off_t)bytes) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		azerr_set(e, "dirty page log of %llu bytes: %s", (unsigned long long)bytes,
			  strerror(errno));
		close(fd);
		return -1;
	}
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		azerr_set(e, "dirty page log: mmap of %llu bytes: %s", (unsigned long long)bytes,
			  strerror(errno));
		close(fd);
		return -1;
	}
	*l = (struct dirty_log){ .fd = fd, .bits = p, .bytes = bytes, .all = all };
	return 0;
}

void dirty_log_destroy(struct dirty_log *l)
{
	if (l->bits)
		munmap(l->bits, l->bytes);
	if (l->fd >= 0)
		close(l->fd);
	dirty_log_none(l);
}

void dirty_log_or_slot(struct dirty_log *l, uint64_t gpa, const uint64_t *slot_bits,
		       uint64_t pages)
{
	uint64_t base = gpa / DIRTY_LOG_PAGE;
	uint64_t limit = l->bytes * 8;

	for (uint64_t w = 0; w < (pages + 63) / 64; w++) {
		uint64_t v = slot_bits[w];
		while (v) {
			uint64_t j = w * 64 + (uint64_t)__builtin_ctzll(v);
			v &= v - 1;
			if (j >= pages || base + j >= limit)
				break;
			l->bits[(base + j) / 64] |= 1ull << ((base + j) % 64);
		}
	}
}

bool dirty_log_test(const struct dirty_log *l, uint64_t page)
{
	if (l->all)
		return true;
	return page < l->bytes * 8 && (l->bits[page / 64] >> (page % 64) & 1);
}

/* The first page in [from, end) whose bit is want, or end. Whole words
 * at a time: most of a diff's log is zero. */
static uint64_t find_bit(const struct dirty_log *l, uint64_t from, uint64_t end, bool want)
{
	uint64_t limit = l->bytes * 8;

	if (end > limit)
		end = limit;   /* past the log: no bit set */
	while (from < end) {
		uint64_t w = l->bits[from / 64];
		if (!want)
			w = ~w;
		w &= ~0ull << (from % 64);
		if (w) {
			uint64_t n = from / 64 * 64 + (uint64_t)__builtin_ctzll(w);
			return n < end ? n : end;
		}
		from = from / 64 * 64 + 64;
	}
	return end;
}

bool dirty_log_next_run(const struct dirty_log *l, uint64_t from, uint64_t end,
			uint64_t *start, uint64_t *stop)
{
	if (from >= end)
		return false;
	if (l->all) {
		*start = from;
		*stop = end;
		return true;
	}
	uint64_t s = find_bit(l, from, end, true);
	if (s >= end || s >= l->bytes * 8)
		return false;
	uint64_t t = find_bit(l, s, end, false);
	/* A run reaching the log's end goes no further: pages past it are
	 * not RAM the log covers. The cards share the log: one that does not
	 * keep still while it is read may clear page s between the two
	 * reads, which would end the run where it began; it holds page s all
	 * the same, so that every caller's loop moves on. */
	*start = s;
	*stop = t > s ? t : s + 1;
	return true;
}

uint64_t dirty_log_count(const struct dirty_log *l, const struct guest_mem *m)
{
	uint64_t n = 0, s, t;

	for (int i = 0; i < m->nr_regions; i++) {
		uint64_t p = m->regions[i].gpa / DIRTY_LOG_PAGE;
		uint64_t end = p + m->regions[i].size / DIRTY_LOG_PAGE;
		while (dirty_log_next_run(l, p, end, &s, &t)) {
			n += t - s;
			p = t;
		}
	}
	return n;
}

void dirty_log_clear(struct dirty_log *l)
{
	if (l->bits)
		memset(l->bits, 0, l->bytes);
	l->all = false;
}
