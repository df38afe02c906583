#include "cards/virtio/vlog.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost/protocol.h"

int vlog_map(struct vlog *l, int fd, uint64_t size, uint64_t off, bool must_seal,
	     struct azerr *e)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t start = off & ~((uint64_t)page - 1);
	uint64_t lead = off - start;
	struct stat st;

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		return azerr_set(e, "no log fd in the message");
	if (!size || size > VLOG_MAX_BYTES)
		return azerr_set(e, "log size %llu bytes, must be 1..%llu",
				 (unsigned long long)size, VLOG_MAX_BYTES);
	if (off > UINT64_MAX - size || off + size > INT64_MAX)
		return azerr_set(e, "log offset 0x%llx with size %llu overflows",
				 (unsigned long long)off, (unsigned long long)size);
	/* Sealed before its size is read, as guest memory is (gmem.c). */
	if (gmem_seal_shrink(fd, must_seal, "dirty log", e))
		return -1;
	if (fstat(fd, &st) < 0)
		return azerr_set(e, "log fd: %s", strerror(errno));
	/* A device or socket would not behave as memory; a short file would
	 * SIGBUS us on the first bit set beyond its end. */
	if (!S_ISREG(st.st_mode))
		return azerr_set(e, "log fd is not a regular file or memfd");
	if ((uint64_t)st.st_size < off + size)
		return azerr_set(e, "log fd holds %lld bytes, the log needs %llu at "
				 "offset 0x%llx", (long long)st.st_size,
				 (unsigned long long)size, (unsigned long long)off);
	void *p = mmap(NULL, size + lead, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)start);
	if (p == MAP_FAILED)
		return azerr_set(e, "cannot map the log (%llu bytes at offset 0x%llx): %s",
				 (unsigned long long)size, (unsigned long long)off,
				 strerror(errno));
	l->map = p;
	l->map_len = size + lead;
	l->bits = (uint8_t *)p + lead;
	l->size = size;
	return 0;
}

void vlog_unmap(struct vlog *l)
{
	if (l->map)
		munmap(l->map, l->map_len);
	memset(l, 0, sizeof(*l));
}

bool vlog_covers(const struct vlog *l, uint64_t end)
{
	uint64_t pages = end / VHOST_LOG_PAGE + (end % VHOST_LOG_PAGE != 0);

	return l->bits && pages <= l->size * 8;
}

uint64_t vlog_mem_end(const struct gmem *m)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < m->nr; i++)
		if (m->r[i].gpa + m->r[i].size > end)
			end = m->r[i].gpa + m->r[i].size;
	return end;
}

void vlog_mark(struct vlog *l, uint64_t gpa, uint64_t len)
{
	uint64_t pages = l->size * 8;

	if (!len)
		return;
	uint64_t first = gpa / VHOST_LOG_PAGE;
	uint64_t last = (len - 1 > UINT64_MAX - gpa ? UINT64_MAX : gpa + len - 1) /
			VHOST_LOG_PAGE;
	if (last >= pages) {
		__atomic_fetch_add(&l->missed, last - (first > pages ? first : pages) + 1,
				   __ATOMIC_RELAXED);
		if (first >= pages)
			return;
		last = pages - 1;
	}
	/* A byte at a time: the pages of one byte in a single OR. */
	for (uint64_t byte = first / 8; byte <= last / 8; byte++) {
		unsigned lo = byte == first / 8 ? first % 8 : 0;
		unsigned hi = byte == last / 8 ? last % 8 : 7;
		uint8_t mask = (uint8_t)((0xffu << lo) & (0xffu >> (7 - hi)));
		__atomic_fetch_or(&l->bits[byte], mask, __ATOMIC_RELAXED);
	}
}

bool vlog_test(const struct vlog *l, uint64_t gpa)
{
	uint64_t page = gpa / VHOST_LOG_PAGE;

	return page < l->size * 8 &&
	       (__atomic_load_n(&l->bits[page / 8], __ATOMIC_RELAXED) >> (page % 8)) & 1;
}
