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
