#include "common/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* read_full, or pread_full at off when off >= 0. */
static ssize_t fill(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = off < 0 ? read(fd, (char *)buf + got, len - got)
				    : pread(fd, (char *)buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	return fill(fd, buf, len, -1);
}

ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return fill(fd, buf, len, off);
}

int pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		/* At most 1 GiB a call: Linux writes no more than ~2 GiB. */
		ssize_t n = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* open_regular, and open_image when blkdev_ok. */
static int open_checked(const char *path, int flags, const char *what, bool blkdev_ok,
			uint64_t *size, struct azerr *e)
{
	const char *kind = blkdev_ok ? "not a regular file or a block device" :
				       "not a regular file";
	struct stat st;
	/* O_NONBLOCK, O_NOCTTY: a FIFO or terminal named by mistake is
	 * refused below, instead of the open waiting for the FIFO's other
	 * end or the terminal becoming the caller's. */
	int fd = open(path, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0 && errno == ENXIO)  /* a FIFO with no reader, for writing */
		return azerr_set(e, "%s %s: %s", what, path, kind);
	if (fd < 0)
		return azerr_set(e, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || (blkdev_ok && S_ISBLK(st.st_mode)))) {
		azerr_set(e, "%s %s: %s", what, path, kind);
		close(fd);
		return -1;
	}
	/* Then blocking, as asked: an fd may outlive its opener (a snapshot's
	 * memory file is shared with pagers and cards), and io_uring, unlike
	 * read, may answer EAGAIN on a file left O_NONBLOCK. */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		azerr_set(e, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int open_regular(const char *path, int flags, const char *what, uint64_t *size,
		 struct azerr *e)
{
	return open_checked(path, flags, what, false, size, e);
}

int open_image(const char *path, int flags, const char *what, struct azerr *e)
{
	uint64_t size;

	return open_checked(path, flags, what, true, &size, e);
}

ssize_t write_now(int fd, const void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	/* POLLERR or POLLHUP: the write says what is wrong. */
	if (poll(&p, 1, 0) < 0)
		return -1;
	if (!p.revents) {
		errno = EAGAIN;
		return -1;
	}
	return write(fd, buf, len);
}
