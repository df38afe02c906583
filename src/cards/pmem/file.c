#include "cards/pmem/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iface/card.h"

/* What st_mode names, for a refusal. */
static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "a directory";
	case S_IFBLK: return "a block device";
	case S_IFCHR: return "a character device";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	default: return "of an unknown type";
	}
}

int pmem_file_open(struct pmem_file *f, const char *path, bool ro, struct azerr *e)
{
	/* O_NONBLOCK: a FIFO named by mistake is refused below instead of
	 * stalling the card in open until a writer comes; on a regular file it
	 * changes nothing. O_NOCTTY: a terminal never becomes the card's. */
	int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	struct stat st;

	*f = (struct pmem_file){ .fd = open(path, flags) };
	if (f->fd < 0) {
		/* A directory refuses O_RDWR before it can be looked at: said
		 * as every other type is. */
		if (errno == EISDIR)
			return azerr_set(e, "--%s %s is a directory, not a regular file",
					 CARD_PMEM_OPT_FILE, path);
		return azerr_set(e, "--%s %s: cannot open it %s: %s", CARD_PMEM_OPT_FILE, path,
				 ro ? "read-only" : "read-write", strerror(errno));
	}
	if (fstat(f->fd, &st) < 0)
		azerr_set(e, "--%s %s: cannot stat it: %s", CARD_PMEM_OPT_FILE, path,
			  strerror(errno));
	else if (!S_ISREG(st.st_mode))
		azerr_set(e, "--%s %s is %s, not a regular file", CARD_PMEM_OPT_FILE, path,
			  file_type(st.st_mode));
	else if (st.st_size == 0)
		/* Linux's driver cannot place a region of no bytes. */
		azerr_set(e, "--%s %s is empty: the device needs a file of at least one byte",
			  CARD_PMEM_OPT_FILE, path);
	else {
		f->size = (uint64_t)st.st_size;
		return 0;
	}
	pmem_file_close(f);
	return -1;
}

void pmem_file_close(struct pmem_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* fdatasync, not fsync: the data and what reading it back needs (its
 * allocation; the size never changes, the guest cannot grow the file)
 * are what a flush promises. Firecracker's msync(MS_SYNC) of its mapping
 * is the same on Linux: an fdatasync of the range. Timestamps are not the
 * guest's concern. */
int pmem_file_flush(int fd)
{
	int r;

	while ((r = fdatasync(fd)) < 0 && errno == EINTR)
		;
	return r;
}
