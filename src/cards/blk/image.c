#include "cards/blk/image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned blk_image_direct_align(int fd)
{
	struct statx stx;
	unsigned a;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) < 0 ||
	    !(stx.stx_mask & STATX_DIOALIGN) || !stx.stx_dio_offset_align)
		return 4096;
	a = stx.stx_dio_offset_align > stx.stx_dio_mem_align ? stx.stx_dio_offset_align
							      : stx.stx_dio_mem_align;
	/* Powers of 2 by the kernel's rules; a sector at least, as the
	 * guest's requests are never finer. */
	return a < VIRTIO_BLK_SECTOR || (a & (a - 1)) ? 4096 : a;
}

int blk_image_size(int fd, const char *what, uint64_t *size, struct azerr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return azerr_set(e, "cannot stat image %s: %s", what, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return azerr_set(e, "cannot get the size of %s: %s", what, strerror(errno));
	} else {
		return azerr_set(e, "image %s is neither a regular file nor a block device", what);
	}
	/* The disk is the image's whole sectors, as Firecracker sizes it: the
	 * bytes after the last one are never read or written, and an empty
	 * file is a disk of 0 sectors (Kata hands over empty placeholders). */
	*size -= *size % VIRTIO_BLK_SECTOR;
	return 0;
}

int blk_image_open(struct blk_image *img, const char *path, bool ro, bool direct,
		   struct azerr *e)
{
	int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st = { 0 };

	memset(img, 0, sizeof(*img));
	img->path = path;
	img->read_only = ro;
	img->direct_fd = -1;
	img->fd = open(path, flags);
	if (img->fd < 0)
		return azerr_set(e, "cannot open image %s%s: %s", path,
				 ro ? " read-only" : "", strerror(errno));
	if (blk_image_size(img->fd, path, &img->size, e) < 0)
		goto fail;
	(void)fstat(img->fd, &st); /* as blk_image_size just found it */
	/* Punching past the file's end changes nothing where holes are
	 * supported; elsewhere it fails with EOPNOTSUPP. The file's end, not
	 * the disk's: the bytes of a partial last sector are not the disk's,
	 * and stay as they are. A read-only image refuses both requests
	 * anyway, and block devices support both. */
	img->can_punch = ro || !S_ISREG(st.st_mode) ||
			 fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   st.st_size, VIRTIO_BLK_SECTOR) == 0 ||
			 errno != EOPNOTSUPP;
	if (direct) {
		img->direct_fd = open(path, flags | O_DIRECT);
		if (img->direct_fd < 0) {
			azerr_set(e, "cannot open image %s with O_DIRECT (--direct): %s",
				  path, strerror(errno));
			goto fail;
		}
		img->direct_align = blk_image_direct_align(img->direct_fd);
	}
	/* GET_ID: the file name, truncated to the 20 bytes virtio allows. */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	memcpy(img->id, base, len < sizeof(img->id) ? len : sizeof(img->id));
	return 0;
fail:
	blk_image_close(img);
	return -1;
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	if (img->direct_fd >= 0)
		close(img->direct_fd);
	img->fd = img->direct_fd = -1;
}
