#include "vmm/pmem_region.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/virtio_pmem.h"

#define GIB (1ULL << 30)
#define FOUR_GIB (4 * GIB)

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

uint64_t pmem_regions_base(uint64_t ram_end)
{
	return align_up(ram_end > FOUR_GIB ? ram_end : FOUR_GIB, GIB);
}

/* The region: an anonymous reservation of its whole size, the file mapped
 * over its start (so that no page of the region lies past the file's end
 * in a file mapping, where a touch is SIGBUS). */
static uint8_t *map_file(int fd, uint64_t file_len, uint64_t size, bool read_only,
			 const char *path, struct azerr *e)
{
	int prot = PROT_READ | (read_only ? 0 : PROT_WRITE);
	uint8_t *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		azerr_set(e, "pmem %s: cannot reserve %llu MiB of address space: %s", path,
			  (unsigned long long)(size >> 20), strerror(errno));
		return NULL;
	}
	if (mmap(p, file_len, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
		azerr_set(e, "pmem %s: cannot map it: %s", path, strerror(errno));
		munmap(p, size);
		return NULL;
	}
	return p;
}

/* The length of the regular, non-empty file open on fd. */
static int file_length(int fd, const char *path, uint64_t *len, struct azerr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return azerr_set(e, "pmem %s: cannot stat it: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return azerr_set(e, "pmem %s: not a regular file", path);
	if (!st.st_size)
		return azerr_set(e, "pmem %s: an empty file", path);
	*len = (uint64_t)st.st_size;
	return 0;
}

int pmem_region_map(struct pmem_region *r, const char *path, bool read_only,
		    uint64_t *next, uint64_t limit, struct azerr *e)
{
	/* O_NONBLOCK, O_NOCTTY: a FIFO or terminal named by mistake is
	 * refused below, instead of azote waiting for a FIFO's writer or
	 * taking the terminal as its own. */
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	*r = (struct pmem_region){ .read_only = read_only };
	if (fd < 0)
		return azerr_set(e, "pmem %s: cannot open it%s: %s", path,
				 read_only ? "" : " for writing", strerror(errno));
	if (file_length(fd, path, &r->file_len, e) < 0) {
		close(fd);
		return -1;
	}
	r->size = align_up(r->file_len, VIRTIO_PMEM_ALIGN);
	r->gpa = align_up(*next, VIRTIO_PMEM_ALIGN);
	/* (No sum wraps: a file is under 2^63 bytes, *next far below.) */
	if (r->gpa + r->size > limit) {
		close(fd);
		return azerr_set(e, "pmem %s: its %llu MiB region would end at 0x%llx, past the "
				 "guest physical address space's end at 0x%llx", path,
				 (unsigned long long)(r->size >> 20),
				 (unsigned long long)(r->gpa + r->size), (unsigned long long)limit);
	}
	r->hva = map_file(fd, r->file_len, r->size, read_only, path, e);
	close(fd);  /* the mapping keeps the file */
	if (!r->hva)
		return -1;
	*next = r->gpa + r->size;
	return 0;
}

void pmem_region_unmap(struct pmem_region *r)
{
	if (r->hva)
		munmap(r->hva, r->size);
	r->hva = NULL;
}
