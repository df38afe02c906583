/* The block card's io_uring modes: see blk_uring.h. */
#include "iface/blk_uring.h"

#include <string.h>

static const char *const names[] = {
	[BLK_URING_DEFAULT] = "default",
	[BLK_URING_SINGLE_ISSUER] = "single-issuer",
	[BLK_URING_DEFER_TASKRUN] = "defer-taskrun",
};

int blk_uring_mode_parse(const char *s, enum blk_uring_mode *mode)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*mode = (enum blk_uring_mode)i;
			return 0;
		}
	return -1;
}

const char *blk_uring_mode_name(enum blk_uring_mode mode)
{
	return names[mode];
}
