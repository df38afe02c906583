/* The disk image a block card serves: a regular file or a block device. */
#ifndef AZOTE_CARDS_BLK_IMAGE_H
#define AZOTE_CARDS_BLK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "cards/blk/virtio_blk.h"
#include "common/err.h"

struct blk_image {
	const char *path;
	int fd;              /* buffered I/O, flushes, fallocate */
	int direct_fd;       /* O_DIRECT for aligned requests, -1 without --direct */
	unsigned direct_align; /* what direct_fd needs of offsets, lengths, buffers */
	uint64_t size;       /* bytes, a multiple of 512 */
	bool read_only;
	/* The image can free and zero ranges in place (fallocate), so the
	 * card offers DISCARD and WRITE_ZEROES; some filesystems (9p, older
	 * NFS) cannot. */
	bool can_punch;
	/* GET_ID answer: the image's file name, NUL-padded, not terminated. */
	char id[VIRTIO_BLK_ID_BYTES];
};

/* Opens path (read-only when ro), checks it is a regular file or block
 * device of non-zero size that is a multiple of 512 bytes, and finds out
 * whether it can punch holes. */
int blk_image_open(struct blk_image *img, const char *path, bool ro, bool direct,
		   struct azerr *e);
/* What O_DIRECT on fd needs its offsets, lengths and buffer addresses to
 * be multiples of (a power of 2): the kernel's answer (statx
 * STATX_DIOALIGN, Linux 6.1), or a page where it gives none. A disk of
 * 4096-byte logical sectors refuses requests aligned to 512 only. */
unsigned blk_image_direct_align(int fd);
/* The size in bytes of fd, a regular file or a block device, cut to whole
 * sectors; what names it in messages. */
int blk_image_size(int fd, const char *what, uint64_t *size, struct azerr *e);
void blk_image_close(struct blk_image *img);

#endif
