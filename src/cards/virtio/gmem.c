#include "cards/virtio/gmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/log.h"

int gmem_check(const struct gmem *m, struct azerr *e)
{
	if (m->nr > GMEM_MAX_REGIONS)
		return azerr_set(e, "%u memory regions, at most %d", m->nr,
				 GMEM_MAX_REGIONS);
	for (unsigned i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		if (!r->size || r->gpa + r->size < r->gpa ||
		    r->uva + r->size < r->uva)
			return azerr_set(e, "memory region %u (gpa 0x%llx size 0x%llx "
					 "uva 0x%llx) is empty or wraps", i,
					 (unsigned long long)r->gpa,
					 (unsigned long long)r->size,
					 (unsigned long long)r->uva);
		for (unsigned j = 0; j < i; j++) {
			const struct gmem_region *o = &m->r[j];
			if (r->gpa < o->gpa + o->size && o->gpa < r->gpa + r->size)
				return azerr_set(e, "memory regions %u and %u overlap "
						 "at gpa 0x%llx", j, i,
						 (unsigned long long)r->gpa);
		}
	}
	return 0;
}

int gmem_seal_shrink(int fd, bool must, const char *what, struct azerr *e)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && ((seals & F_SEAL_SHRINK) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0))
		return 0;
	if (must)
		return azerr_set(e, "%s: its fd cannot be sealed against shrinking "
				 "(F_SEAL_SHRINK)", what);
	log_warn("%s: its fd cannot be sealed against shrinking; a front-end that "
		 "truncates it crashes this card", what);
	return 0;
}

/* The size of the pages a mapping of fd has: hugetlbfs's own (2 MiB,
 * say), the host's for any other file. */
static uint64_t fd_page_size(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC && fs.f_bsize > 0)
		return (uint64_t)fs.f_bsize;
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

int gmem_map_region(struct gmem_region *r, int fd, uint64_t off, bool must_seal,
		    struct azerr *e)
{
	uint64_t page = fd_page_size(fd);
	uint64_t start = off & ~(page - 1);
	uint64_t lead = off - start;
	struct stat st;
	char what[48];

	r->hva = NULL;
	r->map = NULL;
	/* Sealed before its size is read: a front-end shrinking it between
	 * the two would get a size check the mapping then outlives. */
	snprintf(what, sizeof(what), "memory region gpa 0x%llx", (unsigned long long)r->gpa);
	if (gmem_seal_shrink(fd, must_seal, what, e))
		return -1;
	if (fstat(fd, &st) < 0)
		return azerr_set(e, "memory region fd: %s", strerror(errno));
	/* Guest memory is a file (memfds, hugetlbfs files and ordinary
	 * files are all regular), whose size says what a mapping of it
	 * holds. A device's does not: an unbound loop device maps, then
	 * SIGBUSes the card on the first access. */
	if (!S_ISREG(st.st_mode))
		return azerr_set(e, "memory region gpa 0x%llx: fd is not a regular file or memfd",
				 (unsigned long long)r->gpa);
	if (off + r->size < off || (uint64_t)st.st_size < off + r->size)
		return azerr_set(e, "memory region gpa 0x%llx: fd holds %lld bytes, "
				 "region needs 0x%llx at offset 0x%llx",
				 (unsigned long long)r->gpa, (long long)st.st_size,
				 (unsigned long long)r->size, (unsigned long long)off);
	/* Whole pages, so that munmap, which cannot split a huge page,
	 * takes the mapping back whole. */
	uint64_t len = (r->size + lead + page - 1) & ~(page - 1);
	if (r->size + lead < r->size || len < r->size + lead || len > SIZE_MAX)
		return azerr_set(e, "memory region gpa 0x%llx too large",
				 (unsigned long long)r->gpa);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_NORESERVE, fd, (off_t)start);
	if (p == MAP_FAILED)
		return azerr_set(e, "cannot map memory region gpa 0x%llx size 0x%llx: %s",
				 (unsigned long long)r->gpa,
				 (unsigned long long)r->size, strerror(errno));
	/* Guest memory in a card's core dump would leak the guest's data. */
	madvise(p, len, MADV_DONTDUMP);
	r->map = p;
	r->map_len = len;
	r->page = page;
	r->hva = (uint8_t *)p + lead;
	return 0;
}

void gmem_unmap(struct gmem *m)
{
	for (unsigned i = 0; i < m->nr; i++)
		if (m->r[i].map)
			munmap(m->r[i].map, m->r[i].map_len);
	memset(m, 0, sizeof(*m));
}

/* The region holding [a, a+len) in the space chosen by uva, or NULL. */
static const struct gmem_region *find(const struct gmem *m, uint64_t a,
				      uint64_t len, int uva)
{
	for (unsigned i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		uint64_t base = uva ? r->uva : r->gpa;
		if (a < base || a - base >= r->size)
			continue;
		if (len > r->size - (a - base) || !r->hva)
			return NULL;
		return r;
	}
	return NULL;
}

void *gmem_gpa(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = find(m, gpa, len ? len : 1, 0);
	return r ? r->hva + (gpa - r->gpa) : NULL;
}

void *gmem_uva(const struct gmem *m, uint64_t uva, uint64_t len)
{
	const struct gmem_region *r = find(m, uva, len ? len : 1, 1);
	return r ? r->hva + (uva - r->uva) : NULL;
}

/* The region whose mapping holds host address hva, or NULL. */
static const struct gmem_region *find_hva(const struct gmem *m, const void *hva)
{
	const uint8_t *p = hva;

	for (unsigned i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		if (r->hva && p >= r->hva && (uint64_t)(p - r->hva) < r->size)
			return r;
	}
	return NULL;
}

bool gmem_hva_to_gpa(const struct gmem *m, const void *hva, uint64_t *gpa)
{
	const struct gmem_region *r = find_hva(m, hva);

	if (!r)
		return false;
	*gpa = r->gpa + (uint64_t)((const uint8_t *)hva - r->hva);
	return true;
}

uint64_t gmem_hva_page(const struct gmem *m, const void *hva)
{
	const struct gmem_region *r = find_hva(m, hva);

	return r ? r->page : 0;
}

int gmem_gpa_iov(const struct gmem *m, uint64_t gpa, uint64_t len,
		 struct iovec *iov, unsigned cap, unsigned *n)
{
	if (gpa + len < gpa)
		return -1;
	while (len) {
		const struct gmem_region *r = find(m, gpa, 1, 0);
		if (!r || *n >= cap)
			return -1;
		uint64_t off = gpa - r->gpa;
		uint64_t chunk = r->size - off < len ? r->size - off : len;
		iov[*n].iov_base = r->hva + off;
		iov[*n].iov_len = chunk;
		(*n)++;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}
