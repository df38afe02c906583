#include "cards/fds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int close_between(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	return (int)syscall(SYS_close_range, lo, hi, 0);
}

int jail_close_fds(const int *keep, unsigned n, struct azerr *e)
{
	int sorted[16];
	unsigned lo = 3;

	if (n > sizeof(sorted) / sizeof(sorted[0]))
		return azerr_set(e, "too many fds to keep (%u)", n);
	memcpy(sorted, keep, n * sizeof(int));
	qsort(sorted, n, sizeof(int), cmp_int);
	for (unsigned i = 0; i < n; i++) {
		if (sorted[i] < 3)
			continue;
		if (close_between(lo, (unsigned)sorted[i] - 1) < 0)
			return azerr_set(e, "close_range: %s", strerror(errno));
		lo = (unsigned)sorted[i] + 1;
	}
	if (close_between(lo, UINT_MAX) < 0)
		return azerr_set(e, "close_range: %s", strerror(errno));
	/* A stderr the card was started without is /dev/null too: else the
	 * next fd the card opens becomes stderr and takes the log's lines
	 * (the block card wrote them into its image). Asked before the open,
	 * which takes the lowest free fd. */
	bool no_stderr = fcntl(2, F_GETFD) < 0;
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		return azerr_set(e, "cannot open /dev/null: %s", strerror(errno));
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || (no_stderr && dup2(null, 2) < 0))
		return azerr_set(e, "cannot redirect stdin/stdout/stderr: %s", strerror(errno));
	if (null > 2)
		close(null);
	return 0;
}
