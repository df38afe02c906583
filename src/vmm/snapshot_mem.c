/* Guest RAM to and from a snapshot's memory file: see snapshot_mem.h. */
#include "vmm/snapshot_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/mem_file_id.h"
#include "vmm/atomic_file.h"

/* [off, off+len) of the memfd from azote's mappings of it (a run may go
 * on from one region into the next), at the same offset of the file. */
static int copy_mapped(struct atomic_file *f, const struct guest_mem *m, uint64_t off,
		       uint64_t len, struct azerr *e)
{
	while (len) {
		const struct guest_mem_region *r = NULL;
		for (int i = 0; i < m->nr_regions && !r; i++)
			if (off >= m->regions[i].fd_offset &&
			    off - m->regions[i].fd_offset < m->regions[i].size)
				r = &m->regions[i];
		if (!r)
			return azerr_set(e, "memfd offset 0x%llx is in no RAM region",
					 (unsigned long long)off);
		uint64_t n = r->fd_offset + r->size - off < len ? r->fd_offset + r->size - off : len;
		if (pwrite_full(f->fd, r->hva + (off - r->fd_offset), (size_t)n, (off_t)off) < 0)
			return azerr_set(e, "cannot write %s: %s", f->path, strerror(errno));
		off += n;
		len -= n;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* Writes [run, end) of buf at offset at + run of the file, if not empty. */
static int write_run(struct atomic_file *f, const uint8_t *buf, size_t run, size_t end,
		     uint64_t at, struct azerr *e)
{
	if (end > run && pwrite_full(f->fd, buf + run, end - run, (off_t)(at + run)) < 0)
		return azerr_set(e, "cannot write %s: %s", f->path, strerror(errno));
	return 0;
}

/* buf's n bytes at offset at of the file, but its pages of zeroes, which
 * stay holes: each run of other pages in one write. */
static int write_nonzero(struct atomic_file *f, const uint8_t *buf, size_t n, uint64_t at,
			 struct azerr *e)
{
	const size_t pg = DIRTY_LOG_PAGE;
	size_t run = 0;     /* where the current run of other pages starts */

	for (size_t i = 0; i < n; i += pg) {
		size_t len = n - i < pg ? n - i : pg;
		if (!all_zero(buf + i, len))
			continue;
		if (write_run(f, buf, run, i, at, e) < 0)
			return -1;
		run = i + len;
	}
	return write_run(f, buf, run, n, at, e);
}

/* A hole of the memfd, [off, off+len): its bytes from the lazy load's
 * memory file where they are not zeroes, or through the mapping. */
static int copy_hole(struct atomic_file *f, const struct guest_mem *m, const struct mem_holes *h,
		     uint64_t off, uint64_t len, struct azerr *e)
{
	static uint8_t buf[1 << 20];

	if (h->via_mapping)
		return copy_mapped(f, m, off, len, e);
	for (uint64_t at = off; h->file_fd >= 0 && at < off + len; at += sizeof(buf)) {
		size_t n = (size_t)(off + len - at < sizeof(buf) ? off + len - at : sizeof(buf));
		if (pread_full(h->file_fd, buf, n, (off_t)at) != (ssize_t)n)
			return azerr_set(e, "cannot write %s: reading the guest memory file it was "
					 "loaded from: %s", f->path, strerror(errno ? errno : EIO));
		if (write_nonzero(f, buf, n, at, e) < 0)
			return -1;
	}
	return 0;
}

/* The memfd's next run of data at or after off, below end: [*data,
 * *hole), both end when the rest is a hole. -1 with e if the memfd cannot
 * say (nothing may then pass for a hole). */
static int next_data(int memfd, uint64_t off, uint64_t end, uint64_t *data, uint64_t *hole,
		     struct azerr *e)
{
	off_t d = lseek(memfd, (off_t)off, SEEK_DATA);
	off_t h = d < 0 ? d : lseek(memfd, d, SEEK_HOLE);

	if (d < 0 && errno == ENXIO) {
		*data = *hole = end;
		return 0;
	}
	if (d < 0 || h < 0)
		return azerr_set(e, "guest RAM: where its data lies (SEEK_DATA/SEEK_HOLE): %s",
				 strerror(errno));
	*data = (uint64_t)d < end ? (uint64_t)d : end;
	*hole = (uint64_t)h < end ? (uint64_t)h : end;
	return 0;
}

/* id on the memory file being written (fd, path for messages). */
static int set_id(int fd, const char *path, const uint8_t *id, struct azerr *e)
{
	if (id && mem_file_id_set(fd, id) < 0)
		return azerr_set(e, "cannot write %s: its snapshot ID (extended attribute %s): %s",
				 path, MEM_FILE_ID_XATTR, strerror(errno));
	return 0;
}

/* A new memory file's start: the whole size first (what is not written
 * is a hole), then id. */
static int start_new(int fd, const struct guest_mem *m, const uint8_t *id, const char *path,
		     struct azerr *e)
{
	if (ftruncate(fd, (off_t)m->ram_size) < 0)
		return azerr_set(e, "cannot write %s: %s", path, strerror(errno));
	return set_id(fd, path, id, e);
}

int snapshot_mem_save(const struct guest_mem *m, const struct mem_holes *h, const uint8_t *id,
		      const char *path, struct azerr *e)
{
	struct atomic_file f;
	uint64_t data = 0, hole = 0;

	if (atomic_file_open(&f, path, e) < 0)
		return -1;
	int ret = start_new(f.fd, m, id, path, e);
	for (uint64_t at = 0; !ret && at < m->ram_size; at = hole) {
		ret = next_data(m->fd, at, m->ram_size, &data, &hole, e);
		if (!ret)
			ret = copy_hole(&f, m, h, at, data - at, e);
		if (!ret && hole > data)
			ret = copy_mapped(&f, m, data, hole - data, e);
	}
	if (ret) {
		atomic_file_abort(&f);
		return -1;
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
			      const uint8_t *id, const char *path, uint64_t *pages,
			      struct azerr *e)
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
	/* The new ID first: from the first page merged on, the file is no
	 * longer the base's own memory. */
	int ret = set_id(fd, path, id, e);
	if (ret == 0)
		ret = write_changed(fd, path, m, l, pages, e);
	if (ret == 0 && fsync(fd) < 0)
		ret = azerr_set(e, "cannot write %s (fsync): %s", path, strerror(errno));
	close(fd);
	return ret < 0 ? -1 : 1;
}

int snapshot_mem_save_diff(const struct guest_mem *m, const struct dirty_log *l,
			   const uint8_t *id, const char *path, uint64_t *pages,
			   struct azerr *e)
{
	struct atomic_file f;

	int merged = save_diff_in_place(m, l, id, path, pages, e);
	if (merged)
		return merged < 0 ? -1 : 0;
	if (atomic_file_open(&f, path, e) < 0)
		return -1;
	if (start_new(f.fd, m, id, path, e) < 0 ||
	    write_changed(f.fd, path, m, l, pages, e) < 0) {
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
	uint64_t size;
	int fd = open_regular(path, O_RDONLY, "guest memory file", &size, e);

	if (fd < 0)
		return -1;
	if (size != m->ram_size) {
		close(fd);
		return azerr_set(e, "guest memory file %s is %llu bytes, the snapshot's guest "
				 "has %llu bytes of RAM", path, (unsigned long long)size,
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

int snapshot_mem_check_id(const char *path, const char *snap_path, const uint8_t *id,
			  struct azerr *e)
{
	uint8_t has[MEM_FILE_ID_SIZE];
	char want_hex[2 * MEM_FILE_ID_SIZE + 1], has_hex[2 * MEM_FILE_ID_SIZE + 1];
	uint64_t size;

	if (!id)
		return 0;
	int fd = open_regular(path, O_RDONLY, "guest memory file", &size, e);
	if (fd < 0)
		return -1;
	int got = mem_file_id_get(fd, has);
	int err = errno;
	close(fd);
	if (got < 0)
		return azerr_set(e, "guest memory file %s: its snapshot ID (extended attribute "
				 "%s): %s", path, MEM_FILE_ID_XATTR, strerror(err));
	if (got == 0 || !memcmp(has, id, sizeof(has)))
		return 0;
	return azerr_set(e, "guest memory file %s is not the memory of snapshot %s: it carries "
			 "snapshot ID %s, the state file records %s (the files of two "
			 "snapshots, or a create interrupted between renaming the one and "
			 "the other)", path, snap_path, mem_file_id_hex(has, has_hex),
			 mem_file_id_hex(id, want_hex));
}
