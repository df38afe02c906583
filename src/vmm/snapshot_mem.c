/* Guest RAM to and from a snapshot's memory file: see snapshot_mem.h. */
#include "vmm/snapshot_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdio.h"
#include "vmm/atomic_file.h"

int snapshot_mem_save(const struct guest_mem *m, const char *path, struct azerr *e)
{
	struct atomic_file f;

	if (atomic_file_open(&f, path, e) < 0)
		return -1;
	/* Regions are in fd_offset order, each right after the previous
	 * (guest_mem_layout), so writing them in turn writes the memfd. */
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		if (atomic_file_write(&f, r->hva, r->size, e) < 0) {
			atomic_file_abort(&f);
			return -1;
		}
	}
	return atomic_file_commit(&f, e);
}

/* The changed pages of each region, run by run, at their offsets. */
static int write_changed(int fd, const char *path, const struct guest_mem *m,
			 const struct dirty_log *l, uint64_t *pages, struct azerr *e)
{
	uint64_t s, t;

	*pages = 0;
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		uint64_t first = r->gpa / DIRTY_LOG_PAGE;
		uint64_t p = first, end = first + r->size / DIRTY_LOG_PAGE;
		while (dirty_log_next_run(l, p, end, &s, &t)) {
			uint64_t at = (s - first) * DIRTY_LOG_PAGE;
			if (pwrite_full(fd, r->hva + at, (t - s) * DIRTY_LOG_PAGE,
					(off_t)(r->fd_offset + at)) < 0)
				return azerr_set(e, "cannot write %s: %s", path, strerror(errno));
			*pages += t - s;
			p = t;
		}
	}
	return 0;
}

/* Firecracker's merge onto an existing memory file of the RAM's size: 1
 * when done, 0 when there is no such file, -1 on failure. */
static int save_diff_in_place(const struct guest_mem *m, const struct dirty_log *l,
			      const char *path, uint64_t *pages, struct azerr *e)
{
	struct stat st;
	/* The flags the event loop's seccomp list allows for an existing
	 * file (vmm/sandbox.c). */
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return azerr_set(e, "cannot write %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->ram_size) {
		close(fd);
		return 0;
	}
	int ret = write_changed(fd, path, m, l, pages, e);
	if (ret == 0 && fsync(fd) < 0)
		ret = azerr_set(e, "cannot write %s (fsync): %s", path, strerror(errno));
	close(fd);
	return ret < 0 ? -1 : 1;
}

int snapshot_mem_save_diff(const struct guest_mem *m, const struct dirty_log *l,
			   const char *path, uint64_t *pages, struct azerr *e)
{
	struct atomic_file f;

	int merged = save_diff_in_place(m, l, path, pages, e);
	if (merged)
		return merged < 0 ? -1 : 0;
	if (atomic_file_open(&f, path, e) < 0)
		return -1;
	/* The whole size first: the pages not written are holes. */
	if (ftruncate(f.fd, (off_t)m->ram_size) < 0) {
		azerr_set(e, "cannot write %s: %s", path, strerror(errno));
		atomic_file_abort(&f);
		return -1;
	}
	if (write_changed(f.fd, path, m, l, pages, e) < 0) {
		atomic_file_abort(&f);
		return -1;
	}
	return atomic_file_commit(&f, e);
}

static int pread_all(int fd, uint8_t *p, uint64_t len, uint64_t off, const char *path,
		     struct azerr *e)
{
	ssize_t n = pread_full(fd, p, (size_t)len, (off_t)off);

	if (n != (ssize_t)len)
		return azerr_set(e, "guest memory file %s: read: %s", path,
				 n < 0 ? strerror(errno) : "the file shrank while being read");
	return 0;
}

int snapshot_mem_open(const struct guest_mem *m, const char *path, struct azerr *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return azerr_set(e, "guest memory file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return azerr_set(e, "guest memory file %s: not a regular file", path);
	}
	if ((uint64_t)st.st_size != m->ram_size) {
		close(fd);
		return azerr_set(e, "guest memory file %s is %llu bytes, the snapshot's guest "
				 "has %llu bytes of RAM", path, (unsigned long long)st.st_size,
				 (unsigned long long)m->ram_size);
	}
	return fd;
}

int snapshot_mem_read(struct guest_mem *m, int fd, const char *path, struct azerr *e)
{
	int ret = 0;

	for (int i = 0; i < m->nr_regions && !ret; i++)
		ret = pread_all(fd, m->regions[i].hva, m->regions[i].size,
				m->regions[i].fd_offset, path, e);
	return ret;
}
