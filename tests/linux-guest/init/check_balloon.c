/*
 * balloon: the guest's virtio-balloon (azote's balloon card, Firecracker's
 * PUT /balloon; QEMU's virtio-balloon) inflated by lg.balloon_mib= MiB and
 * deflated again, as Linux's virtio_balloon driver shows it. Without
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM the driver takes every page it puts in
 * the balloon out of the kernel's managed pages, so MemTotal in
 * /proc/meminfo falls by the balloon's size and comes back when it
 * deflates: the check watches that.
 *
 * The device must be bound to virtio_balloon and must not have negotiated
 * deflate-on-OOM (MemTotal would not move); whether it negotiated the
 * statistics ring and free page reporting are reported (stats_vq=,
 * reporting=) for the host to judge. Then the guest writes to most of its
 * free memory and frees it again, so that the pages the balloon will take
 * have been written and the host holds them (the host measures what
 * inflating gives back; with free page reporting, what the guest's
 * reports gave back before), prints
 *	LINUX balloon-wait total_kib=<MemTotal> dirtied_kib=<what it wrote>
 * the host's cue to inflate the balloon to lg.balloon_mib, and waits until
 * MemTotal has fallen by that much; prints
 *	LINUX balloon-inflated total_kib=<MemTotal>
 * the host's cue to deflate it to 0, and waits until MemTotal is back.
 * A timeout fails, naming the last MemTotal seen. The result line has
 * before_kib, inflated_kib (fell_kib, their difference) and after_kib.
 */
#include "lg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DRIVER    "/sys/bus/virtio/drivers/virtio_balloon"
#define WAIT_MS   (300 * 1000)	/* the host's inflation, or deflation, in the box */
#define POLL_MS   100
#define SPARE_KIB (48 * 1024)	/* left free while the guest writes memory */

static uint64_t ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The value of "field:   N kB" in /proc/meminfo, in KiB; 0 if absent. */
static uint64_t meminfo_kib(const char *field)
{
	char line[128];
	unsigned long long v = 0;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			if (sscanf(line + n + 1, "%llu", &v) != 1)
				v = 0;
			break;
		}
	fclose(f);
	return v;
}

/* The first device bound to virtio_balloon (a "virtioN" link in the
 * driver's directory) into name; false if none. */
static bool find_device(char *name, size_t size)
{
	DIR *d = opendir(DRIVER);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6)) {
			snprintf(name, size, "%s", e->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

/* Feature bit bit of the device as negotiated: sysfs's features file is a
 * string of '0'/'1', bit 0 first. -1 if unreadable. */
static int feature(const char *dev, unsigned bit)
{
	char path[320], bits[128];

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/features", dev);
	if (read_text(path, bits, sizeof(bits)) < 0 || strlen(bits) <= bit)
		return -1;
	return bits[bit] == '1';
}

/* Writes to all free memory but SPARE_KIB, then frees it: the MiB
 * written. */
static uint64_t dirty_free_memory(void)
{
	uint64_t free_kib = meminfo_kib("MemFree");
	size_t len;
	void *p;

	if (free_kib <= SPARE_KIB)
		return 0;
	len = (size_t)(free_kib - SPARE_KIB) << 10;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	memset(p, 0x5a, len);
	munmap(p, len);
	return len >> 20;
}

/* Polls MemTotal until done(MemTotal) or WAIT_MS pass; the last seen in
 * *seen, the time taken in *ms. */
static bool wait_total(bool (*done)(uint64_t, uint64_t), uint64_t arg, uint64_t *seen,
		       uint64_t *ms)
{
	uint64_t t0 = ms_now();

	for (;;) {
		*seen = meminfo_kib("MemTotal");
		*ms = ms_now() - t0;
		if (done(*seen, arg))
			return true;
		if (*ms > WAIT_MS)
			return false;
		usleep(POLL_MS * 1000);
	}
}

static bool at_most(uint64_t total, uint64_t limit) { return total <= limit; }
static bool at_least(uint64_t total, uint64_t limit) { return total >= limit; }

bool check_balloon(void)
{
	struct line l = { .len = 0 };
	uint64_t mib, before, inflated, after, ms;
	char dev[256];
	uint64_t dirtied;
	int oom, stats, reporting;

	if (!param_u64("lg.balloon_mib", &mib) || !mib || mib > (1 << 20)) {
		line_fail(&l, "error=bad-lg.balloon_mib");
		return line_emit(&l, "balloon");
	}
	if (!find_device(dev, sizeof(dev))) {
		line_fail(&l, "error=no-device-bound-to-virtio_balloon");
		return line_emit(&l, "balloon");
	}
	oom = feature(dev, 2);		/* VIRTIO_BALLOON_F_DEFLATE_ON_OOM */
	stats = feature(dev, 1);	/* VIRTIO_BALLOON_F_STATS_VQ */
	reporting = feature(dev, 5);	/* VIRTIO_BALLOON_F_PAGE_REPORTING */
	line_add(&l, "dev=%s stats_vq=%d deflate_on_oom=%d reporting=%d", dev, stats, oom,
		 reporting);
	if (oom != 0) {
		/* Ballooned pages then stay in MemTotal: nothing to watch. */
		line_fail(&l, "want_deflate_on_oom=0");
		return line_emit(&l, "balloon");
	}
	before = meminfo_kib("MemTotal");
	if (!before || before <= mib << 10) {
		line_fail(&l, "before_kib=%llu error=too-small-for-the-balloon",
			  (unsigned long long)before);
		return line_emit(&l, "balloon");
	}
	dirtied = dirty_free_memory();
	line_add(&l, "dirtied_mib=%llu", (unsigned long long)dirtied);
	line_add(&l, "before_kib=%llu", (unsigned long long)before);

	say("LINUX balloon-wait total_kib=%llu dirtied_kib=%llu", (unsigned long long)before,
	    (unsigned long long)(dirtied << 10));
	if (!wait_total(at_most, before - (mib << 10), &inflated, &ms)) {
		line_fail(&l, "inflate=timeout seen_kib=%llu want_at_most_kib=%llu",
			  (unsigned long long)inflated,
			  (unsigned long long)(before - (mib << 10)));
		return line_emit(&l, "balloon");
	}
	line_add(&l, "inflated_kib=%llu fell_kib=%llu inflate_ms=%llu",
		 (unsigned long long)inflated, (unsigned long long)(before - inflated),
		 (unsigned long long)ms);

	say("LINUX balloon-inflated total_kib=%llu", (unsigned long long)inflated);
	if (!wait_total(at_least, before, &after, &ms)) {
		line_fail(&l, "deflate=timeout seen_kib=%llu want_kib=%llu",
			  (unsigned long long)after, (unsigned long long)before);
		return line_emit(&l, "balloon");
	}
	line_add(&l, "after_kib=%llu deflate_ms=%llu", (unsigned long long)after,
		 (unsigned long long)ms);
	return line_emit(&l, "balloon");
}
