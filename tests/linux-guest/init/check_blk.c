/*
 * blk: a writable virtio-blk disk, lg.blk=NAME:SECTORS (e.g. vda:65536).
 * Checks the size Linux sees, writes lg.blk_mib= MiB (default 4) of a
 * pattern seeded by lg.seed= at 1 MiB into the disk with O_DIRECT (so every
 * byte crosses the device, not the page cache), fsyncs, reads it back with
 * O_DIRECT and compares. Prints the CRC-32 of the data so the host can
 * compare it with what the image holds after the VM has gone.
 *
 * blkro: a read-only disk, lg.blkro=NAME:SECTORS. Linux must see it
 * read-only, a write must fail, and the first 4 KiB must read; their CRC-32
 * is printed for the host to compare with the image.
 *
 * blkgrow: a disk the host replaces while the guest runs (Firecracker's
 * PATCH of path_on_host), lg.blkgrow=NAME:SECTORS, the new size. Prints
 * "LINUX blkgrow-wait" for the host, then waits up to lg.blkgrow_secs=
 * (60) for /sys/block/NAME/size to become SECTORS (the driver's
 * configuration change handler sets it), and reads the last 4 KiB, past
 * the old end: their CRC-32 is printed for the host to compare with the
 * new image.
 */
#include "lg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB (1024u * 1024)
#define BLK_OFFSET MiB
#define CHUNK (256u * 1024)

struct disk {
	char name[32];
	char dev[48];
	uint64_t sectors;
};

static bool disk_param(struct line *l, const char *key, struct disk *d)
{
	const char *v = param(key);
	const char *colon = v ? strchr(v, ':') : NULL;
	char *end;

	if (!colon || colon == v || (size_t)(colon - v) >= sizeof(d->name)) {
		line_fail(l, "error=bad-%s", key);
		return false;
	}
	memcpy(d->name, v, (size_t)(colon - v));
	d->name[colon - v] = '\0';
	d->sectors = strtoull(colon + 1, &end, 0);
	if (*end || !d->sectors) {
		line_fail(l, "error=bad-%s", key);
		return false;
	}
	snprintf(d->dev, sizeof(d->dev), "/dev/%s", d->name);
	return true;
}

/* The size in /sys/block/NAME/size is in 512-byte sectors, whatever the
 * device's logical block size. */
static bool disk_size_ok(struct line *l, const struct disk *d)
{
	char path[96];
	uint64_t seen;

	snprintf(path, sizeof(path), "/sys/block/%s/size", d->name);
	if (read_u64(path, &seen) < 0) {
		line_fail(l, "disk=%s error=absent", d->name);
		return false;
	}
	if (seen != d->sectors) {
		line_fail(l, "disk=%s sectors=%llu want_sectors=%llu", d->name,
			  (unsigned long long)seen, (unsigned long long)d->sectors);
		return false;
	}
	line_add(l, "disk=%s sectors=%llu", d->name, (unsigned long long)seen);
	return true;
}

static void *aligned(size_t size)
{
	void *p = NULL;

	return posix_memalign(&p, 4096, size) ? NULL : p;
}

static bool io_all(int fd, uint8_t *buf, size_t len, off_t off, bool wr)
{
	ssize_t n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	return n == (ssize_t)len;
}

bool check_blk(void)
{
	struct line l = { .len = 0 };
	struct disk d;
	uint64_t mib = 4, seed = 1, state;
	uint8_t *wbuf = NULL, *rbuf = NULL;
	uint32_t crc = 0;
	size_t done, total;
	int fd = -1;

	if (!disk_param(&l, "lg.blk", &d) || !disk_size_ok(&l, &d))
		goto out;
	param_u64("lg.blk_mib", &mib);
	param_u64("lg.seed", &seed);
	total = (size_t)mib * MiB;
	if (!mib || mib > 64 || BLK_OFFSET + total > d.sectors * 512) {
		line_fail(&l, "error=disk-too-small-for-%llumib", (unsigned long long)mib);
		goto out;
	}
	wbuf = aligned(CHUNK);
	rbuf = aligned(CHUNK);
	fd = open(d.dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (!wbuf || !rbuf || fd < 0) {
		line_fail(&l, "error=open-%s errno=%d", d.dev, errno);
		goto out;
	}
	state = seed | 1;
	for (done = 0; done < total; done += CHUNK) {
		pattern_fill(wbuf, CHUNK, &state);
		crc = crc32_update(crc, wbuf, CHUNK);
		if (!io_all(fd, wbuf, CHUNK, (off_t)(BLK_OFFSET + done), true)) {
			line_fail(&l, "error=write offset=%zu errno=%d", BLK_OFFSET + done, errno);
			goto out;
		}
	}
	if (fsync(fd) < 0) {
		line_fail(&l, "error=fsync errno=%d", errno);
		goto out;
	}
	state = seed | 1;
	for (done = 0; done < total; done += CHUNK) {
		pattern_fill(wbuf, CHUNK, &state);
		if (!io_all(fd, rbuf, CHUNK, (off_t)(BLK_OFFSET + done), false)) {
			line_fail(&l, "error=read offset=%zu errno=%d", BLK_OFFSET + done, errno);
			goto out;
		}
		if (memcmp(wbuf, rbuf, CHUNK)) {
			line_fail(&l, "error=readback-mismatch offset=%zu", BLK_OFFSET + done);
			goto out;
		}
	}
	line_add(&l, "offset=%u bytes=%zu crc=%08x", BLK_OFFSET, total, crc);
out:
	if (fd >= 0)
		close(fd);
	free(wbuf);
	free(rbuf);
	return line_emit(&l, "blk");
}

bool check_blkro(void)
{
	struct line l = { .len = 0 };
	char path[96];
	struct disk d;
	uint64_t ro;
	uint8_t *buf = NULL;
	int fd = -1;

	if (!disk_param(&l, "lg.blkro", &d) || !disk_size_ok(&l, &d))
		goto out;
	snprintf(path, sizeof(path), "/sys/block/%s/ro", d.name);
	if (read_u64(path, &ro) < 0 || ro != 1)
		line_fail(&l, "ro=0");
	else
		line_add(&l, "ro=1");
	buf = aligned(4096);
	if (!buf)
		goto out;
	memset(buf, 0xa5, 4096);
	/* Linux may refuse at open (EROFS/EACCES) or at write (EPERM). */
	fd = open(d.dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd >= 0 && pwrite(fd, buf, 4096, 0) == 4096 && fsync(fd) == 0)
		line_fail(&l, "write=accepted");
	else
		line_add(&l, "write=refused errno=%d", errno);
	if (fd >= 0)
		close(fd);
	fd = open(d.dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || pread(fd, buf, 4096, 0) != 4096)
		line_fail(&l, "read=error errno=%d", errno);
	else
		line_add(&l, "read=ok crc=%08x", crc32_update(0, buf, 4096));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return line_emit(&l, "blkro");
}

bool check_blkgrow(void)
{
	struct line l = { .len = 0 };
	char path[96];
	struct disk d;
	uint64_t secs = 60, seen = 0, tenths;
	uint8_t *buf = NULL;
	int fd = -1;

	if (!disk_param(&l, "lg.blkgrow", &d))
		goto out;
	param_u64("lg.blkgrow_secs", &secs);
	snprintf(path, sizeof(path), "/sys/block/%s/size", d.name);
	say("LINUX blkgrow-wait");
	for (tenths = 0; tenths < secs * 10; tenths++) {
		if (read_u64(path, &seen) == 0 && seen == d.sectors)
			break;
		usleep(100 * 1000);
	}
	if (seen != d.sectors) {
		line_fail(&l, "disk=%s sectors=%llu want_sectors=%llu", d.name,
			  (unsigned long long)seen, (unsigned long long)d.sectors);
		goto out;
	}
	line_add(&l, "disk=%s sectors=%llu waited_ms=%llu", d.name,
		 (unsigned long long)seen, (unsigned long long)tenths * 100);
	buf = aligned(4096);
	fd = open(d.dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (!buf || fd < 0 || pread(fd, buf, 4096, (off_t)(d.sectors * 512 - 4096)) != 4096)
		line_fail(&l, "tail=unreadable errno=%d", errno);
	else
		line_add(&l, "tail_crc=%08x", crc32_update(0, buf, 4096));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return line_emit(&l, "blkgrow");
}
