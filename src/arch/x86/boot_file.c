#include "arch/x86/boot_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdio.h"

static int read_all(int fd, const char *path, const char *what, uint8_t *dst,
		    uint64_t size, struct azerr *e)
{
	uint64_t done = 0;

	while (done < size) {
		size_t chunk = size - done > (1u << 30) ? (1u << 30) : size - done;
		ssize_t n = pread(fd, dst + done, chunk, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return azerr_set(e, "%s %s: read %llu of %llu bytes: %s", what,
					 path, (unsigned long long)done,
					 (unsigned long long)size,
					 n < 0 ? strerror(errno) : "file shrank");
		done += (uint64_t)n;
	}
	return 0;
}

int boot_file_size(const char *path, const char *what, uint64_t *size,
		   struct azerr *e)
{
	int fd = open_regular(path, O_RDONLY, what, size, e);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int boot_file_read(const char *path, const char *what, uint64_t max,
		   uint8_t **buf, size_t *len, struct azerr *e)
{
	uint64_t size;
	int fd = open_regular(path, O_RDONLY, what, &size, e);

	if (fd < 0)
		return -1;
	if (size > max) {
		azerr_set(e, "%s %s is %llu bytes, more than the %llu bytes of guest "
			  "RAM below 4 GiB", what, path, (unsigned long long)size,
			  (unsigned long long)max);
		goto fail;
	}
	*buf = malloc(size ? size : 1);
	if (!*buf) {
		azerr_set(e, "%s %s: cannot allocate %llu bytes", what, path,
			  (unsigned long long)size);
		goto fail;
	}
	if (read_all(fd, path, what, *buf, size, e) < 0) {
		free(*buf);
		*buf = NULL;
		goto fail;
	}
	*len = size;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int boot_file_read_into(const char *path, const char *what, void *dst,
			uint64_t size, struct azerr *e)
{
	uint64_t now;
	int fd = open_regular(path, O_RDONLY, what, &now, e);
	int rc;

	if (fd < 0)
		return -1;
	rc = now < size ? azerr_set(e, "%s %s shrank to %llu bytes while loading",
				     what, path, (unsigned long long)now)
			: read_all(fd, path, what, dst, size, e);
	close(fd);
	return rc;
}
