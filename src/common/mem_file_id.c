/* A snapshot's memory file tied to its state file: see mem_file_id.h. */
#include "common/mem_file_id.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

void mem_file_id_new(uint8_t id[MEM_FILE_ID_SIZE])
{
	static uint32_t count;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	uint32_t pid = (uint32_t)getpid(), n = __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 8; i++)
		id[i] = (uint8_t)(ns >> (8 * i));
	for (int i = 0; i < 4; i++) {
		id[8 + i] = (uint8_t)(pid >> (8 * i));
		id[12 + i] = (uint8_t)(n >> (8 * i));
	}
}

/* No user extended attributes on this file system (or none for this
 * kind of file): nothing can be tied, nothing checked. */
static bool unsupported(int err)
{
	return err == ENOTSUP || err == EOPNOTSUPP;
}

int mem_file_id_set(int fd, const uint8_t *id)
{
	int r = id ? fsetxattr(fd, MEM_FILE_ID_XATTR, id, MEM_FILE_ID_SIZE, 0)
		   : fremovexattr(fd, MEM_FILE_ID_XATTR);

	if (r < 0 && (unsupported(errno) || (!id && errno == ENODATA)))
		return 0;
	return r < 0 ? -1 : 0;
}

int mem_file_id_get(int fd, uint8_t id[MEM_FILE_ID_SIZE])
{
	ssize_t n = fgetxattr(fd, MEM_FILE_ID_XATTR, id, MEM_FILE_ID_SIZE);

	if (n < 0 && (errno == ENODATA || unsupported(errno)))
		return 0;
	if (n < 0 && errno != ERANGE)
		return -1;
	/* Of another length (ERANGE: longer): no ID azote wrote, so one that
	 * matches no state file's. */
	if (n != MEM_FILE_ID_SIZE)
		memset(id, 0, MEM_FILE_ID_SIZE);
	return 1;
}

char *mem_file_id_hex(const uint8_t id[MEM_FILE_ID_SIZE], char buf[2 * MEM_FILE_ID_SIZE + 1])
{
	for (int i = 0; i < MEM_FILE_ID_SIZE; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
	return buf;
}
