/*
 * pmem: a virtio-pmem device (Firecracker's PUT /pmem, azote's --pmem) as
 * Linux's virtio_pmem and nd_pmem drivers show it, /dev/pmem0: a block
 * device whose sectors are the region the VMM mapped the host's file into.
 *
 *   lg.pmem_size=BYTES    the size the device must have: the region's, the
 *                         file's rounded up to 2 MiB (the VMM says it in the
 *                         device's configuration)
 *   lg.pmem_crc=LEN:HEX   zlib's CRC-32 of the file's first LEN bytes, which
 *                         must be the device's
 *   lg.pmem_file=BYTES    the file's length, when less than the size: the
 *                         rest of the region is memory of the VMM's own,
 *                         zero at boot, so it must read zero (and when
 *                         writing, a block written there reads back)
 *   lg.pmem_write=OFF:LEN LEN bytes of a pattern seeded by lg.seed written
 *                         at OFF (any alignment, so that the kernel reads,
 *                         modifies and writes partial pages), fsync(2)ed,
 *                         read back; their CRC-32 is printed for the host
 *                         to find in the file after the VM has gone
 *   lg.pmem_ro=1          read only: nothing is written (the VMM maps the
 *                         file read-only; virtio-pmem has no way to tell
 *                         Linux, so Linux would try)
 *
 * The fsync of the block device makes Linux send the device a FLUSH
 * request (nd_pmem's write cache, virtio_pmem's async flush) and wait for
 * its answer, an interrupt: the device's interrupt count must rise across
 * the fsync (flush_irqs=). Reads go through O_DIRECT, so every byte checked
 * comes from the region, not from the page cache. Kernel messages at
 * warning level or worse from the drivers involved fail the check.
 */
#include "lg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* The drivers probe the region asynchronously after the modules load
 * (libnvdimm registers its devices from a work queue). */
#define PMEM_WAIT_MS 20000
#define PMEM_DEV     "/dev/pmem0"
#define PMEM_SYS     "/sys/block/pmem0"
#define VIRTIO_ID_PMEM 0x1b
#define ALIGN        4096u
#define CHUNK        (256u * 1024)
#define WRITE_MAX    (4u << 20)
#define TAIL_WRITE   4096u

struct pmem_params {
	uint64_t size, crc_len, file_len, off, len, seed;
	uint32_t crc;
	bool ro, write;
};

static uint64_t ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static uint64_t us_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* "A:B", two numbers, B in base `base`; false if absent or malformed. */
static bool param_pair(const char *name, uint64_t *a, uint64_t *b, int base)
{
	const char *v = param(name);
	char *end;

	if (!v)
		return false;
	*a = strtoull(v, &end, 0);
	if (end == v || *end != ':')
		return false;
	v = end + 1;
	*b = strtoull(v, &end, base);
	return end != v && !*end;
}

static bool params(struct line *l, struct pmem_params *p)
{
	uint64_t crc, ro = 0;

	*p = (struct pmem_params){ .seed = 1 };
	if (!param_u64("lg.pmem_size", &p->size) || !p->size ||
	    !param_pair("lg.pmem_crc", &p->crc_len, &crc, 16) || crc > UINT32_MAX ||
	    p->crc_len > p->size) {
		line_fail(l, "error=bad-lg.pmem_size-or-crc");
		return false;
	}
	p->crc = (uint32_t)crc;
	p->file_len = p->size;
	if (param("lg.pmem_file") && (!param_u64("lg.pmem_file", &p->file_len) ||
				      !p->file_len || p->file_len > p->size)) {
		line_fail(l, "error=bad-lg.pmem_file");
		return false;
	}
	param_u64("lg.pmem_ro", &ro);
	param_u64("lg.seed", &p->seed);
	p->ro = ro != 0;
	p->write = !p->ro && param("lg.pmem_write");
	if (p->write && (!param_pair("lg.pmem_write", &p->off, &p->len, 0) || !p->len ||
			 p->len > WRITE_MAX || p->off + p->len > p->file_len)) {
		line_fail(l, "error=bad-lg.pmem_write");
		return false;
	}
	return true;
}

/* The virtio device virtio_pmem drives ("virtio2"), into name. */
static bool find_virtio(char *name, size_t size)
{
	DIR *d = opendir("/sys/bus/virtio/devices");
	struct dirent *e;
	char path[300];
	uint64_t id;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/device", e->d_name);
		if (read_u64(path, &id) == 0 && id == VIRTIO_ID_PMEM &&
		    strlen(e->d_name) < size) {
			memcpy(name, e->d_name, strlen(e->d_name) + 1);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* A vector of virtio device dev but its configuration's: "virtioN"
 * (virtio-mmio's one line) or "virtioN-QUEUE" (virtio-pci's MSI-X
 * vectors), for irq_sum. */
static bool dev_queue_irq(const char *name, const void *arg)
{
	const char *dev = arg;
	size_t n = strlen(dev);

	return !strncmp(name, dev, n) && (!name[n] || name[n] == '-') &&
	       strcmp(name + n, "-config");
}

/* len bytes at off on fd (opened O_DIRECT) into out, through an aligned
 * bounce buffer (O_DIRECT wants aligned offsets and lengths). */
static bool direct_read(int fd, uint8_t *bounce, uint64_t off, uint64_t len, uint8_t *out)
{
	uint64_t pos = off & ~(uint64_t)(ALIGN - 1), end = off + len;

	while (pos < end) {
		uint64_t skip = pos < off ? off - pos : 0, span = end - pos, upto;
		size_t n = (size_t)((span + ALIGN - 1) & ~(uint64_t)(ALIGN - 1));

		if (n > CHUNK)
			n = CHUNK;
		if (pread(fd, bounce, n, (off_t)pos) != (ssize_t)n)
			return false;
		upto = span < n ? span : n;
		memcpy(out, bounce + skip, (size_t)(upto - skip));
		out += upto - skip;
		pos += n;
	}
	return true;
}

/* The CRC-32 of len bytes at off, read with O_DIRECT. */
static bool direct_crc(int fd, uint8_t *bounce, uint8_t *buf, uint64_t off, uint64_t len,
		       uint32_t *crc)
{
	*crc = 0;
	for (uint64_t done = 0; done < len; done += CHUNK) {
		uint64_t n = len - done < CHUNK ? len - done : CHUNK;

		if (!direct_read(fd, bounce, off + done, n, buf))
			return false;
		*crc = crc32_update(*crc, buf, (size_t)n);
	}
	return true;
}

/* Whether len bytes at off read as zero; the first that does not, in *at. */
static bool direct_zero(int fd, uint8_t *bounce, uint8_t *buf, uint64_t off, uint64_t len,
			uint64_t *at, bool *io_ok)
{
	*io_ok = true;
	for (uint64_t done = 0; done < len; done += CHUNK) {
		uint64_t n = len - done < CHUNK ? len - done : CHUNK;

		if (!direct_read(fd, bounce, off + done, n, buf)) {
			*io_ok = false;
			return false;
		}
		for (uint64_t i = 0; i < n; i++)
			if (buf[i]) {
				*at = off + done + i;
				return false;
			}
	}
	return true;
}

/* Waits for the block device and its node (devtmpfs makes it; without
 * one, a node of our own from its dev numbers). */
static bool wait_device(struct line *l, const char **dev)
{
	uint64_t t0 = ms_now();
	char nums[32];
	unsigned int major, minor;
	struct stat st;

	while (access(PMEM_SYS "/dev", R_OK) < 0) {
		if (ms_now() - t0 >= PMEM_WAIT_MS) {
			line_fail(l, "error=no-pmem0-after-%ums", PMEM_WAIT_MS);
			return false;
		}
		usleep(10000);
	}
	line_add(l, "waited_ms=%llu", (unsigned long long)(ms_now() - t0));
	*dev = PMEM_DEV;
	if (stat(PMEM_DEV, &st) == 0 && S_ISBLK(st.st_mode))
		return true;
	if (read_text(PMEM_SYS "/dev", nums, sizeof(nums)) < 0 ||
	    sscanf(nums, "%u:%u", &major, &minor) != 2 ||
	    mknod("/pmem0", S_IFBLK | 0600, makedev(major, minor)) < 0) {
		line_fail(l, "error=no-node-for-pmem0 errno=%d", errno);
		return false;
	}
	*dev = "/pmem0";
	return true;
}

/* Where the namespace is in guest physical memory: its resource (root
 * only, which the init is). */
static void region_start(struct line *l)
{
	uint64_t start;

	if (read_u64(PMEM_SYS "/device/resource", &start) == 0)
		line_add(l, "start=0x%llx", (unsigned long long)start);
	else
		line_add(l, "start=unknown");
}

/* Kernel messages at warning level or worse from the drivers of the
 * device: a complaint about the region (its place, its alignment, a
 * failed mapping) shows here before anything fails. One is allowed, and
 * counted apart: nd_pmem's "unable to guarantee persistence of writes",
 * which Linux 6.1 prints for every virtio-pmem device, QEMU's too (the
 * region has no nvdimm mappings, so nvdimm_has_flush() does not know the
 * device's flush and nd_pmem turns FUA off; fsync still flushes through
 * the device, which flush_irqs= shows). */
static void kernel_warnings(struct line *l)
{
	static const char *const who[] = { "pmem", "nd_", "nvdimm", "ndbus", "namespace",
					   "dax", "memremap" };
	char rec[1024], first[200] = "";
	const char *text;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), n = 0, allowed = 0;

	if (fd < 0) {
		line_fail(l, "error=no-kmsg");
		return;
	}
	while ((text = kmsg_next_warning(fd, rec, sizeof(rec)))) {
		if (strstr(text, "nd_pmem") && strstr(text, "unable to guarantee persistence")) {
			allowed++;
			continue;
		}
		for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++)
			if (strcasestr(text, who[i])) {
				if (!n++)
					line_word(first, sizeof(first), text);
				break;
			}
	}
	close(fd);
	if (n)
		line_fail(l, "kmsg_warnings=%d first=%s", n, first);
	else
		line_add(l, "kmsg_warnings=0 allowed=%d", allowed);
}

/* The pattern at p->off, fsynced (a FLUSH to the device), read back. */
static void write_pattern(struct line *l, const struct pmem_params *p, const char *dev,
			  int dfd, uint8_t *bounce, const char *vdev)
{
	uint8_t *wbuf = malloc(p->len), *rbuf = malloc(p->len);
	uint64_t state = p->seed | 1, irqs, t0;
	int fd = open(dev, O_RDWR | O_CLOEXEC), rc;

	if (!wbuf || !rbuf || fd < 0) {
		line_fail(l, "error=open-rw errno=%d", errno);
		goto out;
	}
	pattern_fill(wbuf, p->len, &state);
	/* Buffered, so that the fsync below has pages to write back before
	 * its flush, as a file system's would. */
	if (pwrite(fd, wbuf, p->len, (off_t)p->off) != (ssize_t)p->len) {
		line_fail(l, "error=write offset=%llu errno=%d", (unsigned long long)p->off, errno);
		goto out;
	}
	irqs = irq_sum(dev_queue_irq, vdev);
	t0 = us_now();
	rc = fsync(fd);
	line_add(l, "offset=%llu written=%llu wcrc=%08x fsync=%d", (unsigned long long)p->off,
		 (unsigned long long)p->len, crc32_update(0, wbuf, p->len), rc);
	if (rc < 0) {
		line_fail(l, "fsync_errno=%d", errno);
		goto out;
	}
	irqs = irq_sum(dev_queue_irq, vdev) - irqs;
	line_add(l, "fsync_us=%llu flush_irqs=%llu", (unsigned long long)(us_now() - t0),
		 (unsigned long long)irqs);
	if (!irqs)
		line_fail(l, "error=fsync-without-device-interrupt");
	if (!direct_read(dfd, bounce, p->off, p->len, rbuf)) {
		line_fail(l, "error=read-back errno=%d", errno);
		goto out;
	}
	if (memcmp(wbuf, rbuf, p->len)) {
		size_t i = 0;

		while (wbuf[i] == rbuf[i])
			i++;
		line_fail(l, "error=readback-mismatch at=%llu", (unsigned long long)(p->off + i));
	}
out:
	if (fd >= 0)
		close(fd);
	free(wbuf);
	free(rbuf);
}

/* A block written past the file's end, in the region's anonymous tail,
 * reads back: the tail is memory for as long as the VM runs (the host
 * checks afterwards that none of it reached the file). */
static void write_tail(struct line *l, const struct pmem_params *p, const char *dev, int dfd,
		       uint8_t *bounce)
{
	uint8_t wbuf[TAIL_WRITE], rbuf[TAIL_WRITE];
	uint64_t state = (p->seed + 1) | 1, n = p->size - p->file_len;
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	n = n < TAIL_WRITE ? n : TAIL_WRITE;
	pattern_fill(wbuf, (size_t)n, &state);
	if (fd < 0 || pwrite(fd, wbuf, (size_t)n, (off_t)p->file_len) != (ssize_t)n ||
	    fsync(fd) < 0) {
		line_fail(l, "error=tail-write errno=%d", errno);
	} else if (!direct_read(dfd, bounce, p->file_len, n, rbuf) ||
		   memcmp(wbuf, rbuf, (size_t)n)) {
		line_fail(l, "error=tail-read-back errno=%d", errno);
	} else {
		line_add(l, "tail_written=%llu", (unsigned long long)n);
	}
	if (fd >= 0)
		close(fd);
}

bool check_pmem(void)
{
	struct line l = { .len = 0 };
	struct pmem_params p;
	uint64_t t0 = ms_now(), sectors, at = 0;
	uint8_t *bounce = NULL, *buf = NULL;
	const char *dev;
	char vdev[64] = "";
	uint32_t crc;
	bool io_ok;
	int dfd = -1;

	if (!params(&l, &p) || !wait_device(&l, &dev))
		goto out;
	if (!find_virtio(vdev, sizeof(vdev))) {
		line_fail(&l, "error=no-virtio-pmem-device");
		goto out;
	}
	line_add(&l, "dev=%s", vdev);
	region_start(&l);
	if (read_u64(PMEM_SYS "/size", &sectors) < 0 || sectors * 512 != p.size) {
		line_fail(&l, "size=%llu want_size=%llu", (unsigned long long)sectors * 512,
			  (unsigned long long)p.size);
		goto out;
	}
	line_add(&l, "size=%llu", (unsigned long long)p.size);
	if (posix_memalign((void **)&bounce, ALIGN, CHUNK) || !(buf = malloc(CHUNK)) ||
	    (dfd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0) {
		line_fail(&l, "error=open-direct errno=%d", errno);
		goto out;
	}
	if (!direct_crc(dfd, bounce, buf, 0, p.crc_len, &crc)) {
		line_fail(&l, "error=read errno=%d", errno);
		goto out;
	}
	if (crc != p.crc) {
		/* A device that is not the file: write nothing to it. */
		line_fail(&l, "crc_len=%llu crc=%08x want_crc=%08x", (unsigned long long)p.crc_len,
			  crc, p.crc);
		goto out;
	}
	line_add(&l, "crc_len=%llu crc=%08x", (unsigned long long)p.crc_len, crc);
	if (p.file_len < p.size) {
		if (direct_zero(dfd, bounce, buf, p.file_len, p.size - p.file_len, &at, &io_ok))
			line_add(&l, "tail=%llu tail_zero=1",
				 (unsigned long long)(p.size - p.file_len));
		else if (io_ok)
			line_fail(&l, "tail=%llu tail_zero=0 at=%llu",
				  (unsigned long long)(p.size - p.file_len), (unsigned long long)at);
		else
			line_fail(&l, "error=tail-read errno=%d", errno);
	}
	line_add(&l, "mode=%s", p.ro ? "ro" : "rw");
	if (p.write)
		write_pattern(&l, &p, dev, dfd, bounce, vdev);
	else
		line_add(&l, "written=0");
	if (p.write && p.file_len < p.size)
		write_tail(&l, &p, dev, dfd, bounce);
out:
	kernel_warnings(&l);
	line_add(&l, "ms=%llu", (unsigned long long)(ms_now() - t0));
	if (dfd >= 0)
		close(dfd);
	free(bounce);
	free(buf);
	return line_emit(&l, "pmem");
}
