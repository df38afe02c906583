/*
 * rng: the guest's virtio-rng (azote's rng card, Firecracker's entropy
 * device) is the kernel's current hardware RNG, named lg.rng_current=
 * (virtio_rng.0 for the first), and /dev/hwrng gives lg.rng_bytes= bytes
 * through it within RNG_WAIT_MS: not all zero, and no 64-byte block the
 * same as the one before it (a device that hands back the same buffer, or
 * none, fails).
 */
#include "lg.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RNG_WAIT_MS 20000
#define RNG_MAX     (1 << 20)
#define BLOCK       64

static uint64_t ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* want bytes of /dev/hwrng into buf; how many came before the deadline.
 * Non-blocking, so that a device that never answers ends the wait. */
static size_t read_hwrng(struct line *l, unsigned char *buf, size_t want)
{
	uint64_t deadline = ms_now() + RNG_WAIT_MS;
	size_t got = 0;
	int fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK);

	if (fd < 0) {
		line_fail(l, "error=no-/dev/hwrng:%s", strerror(errno));
		return 0;
	}
	while (got < want && ms_now() < deadline) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno == EAGAIN || errno == EINTR)
			usleep(10000);
		else
			break;
	}
	if (got < want)
		line_fail(l, "read=%zu/%zu:%s", got, want, got ? "timeout" : strerror(errno));
	close(fd);
	return got;
}

bool check_rng(void)
{
	static unsigned char buf[RNG_MAX];
	struct line l = { .len = 0 };
	const char *want = param("lg.rng_current");
	char current[64] = "";
	uint64_t bytes = 4096, t0;
	size_t got, zero = 0, repeats = 0;

	if (!want || !param_u64("lg.rng_bytes", &bytes) || bytes < 2 * BLOCK ||
	    bytes > RNG_MAX) {
		line_fail(&l, "error=bad-lg.rng");
		return line_emit(&l, "rng");
	}
	if (read_text("/sys/class/misc/hw_random/rng_current", current, sizeof(current)) < 0)
		line_fail(&l, "error=no-hw_random:%s", strerror(errno));
	else if (strcmp(current, want))
		line_fail(&l, "current=%s want_current=%s", current, want);
	else
		line_add(&l, "current=%s", current);
	t0 = ms_now();
	got = read_hwrng(&l, buf, (size_t)bytes);
	for (size_t i = 0; i < got; i++)
		zero += !buf[i];
	for (size_t i = BLOCK; i + BLOCK <= got; i += BLOCK)
		repeats += !memcmp(buf + i - BLOCK, buf + i, BLOCK);
	line_add(&l, "bytes=%zu ms=%llu", got, (unsigned long long)(ms_now() - t0));
	if (got && zero == got)
		line_fail(&l, "all_zero=1");
	if (repeats)
		line_fail(&l, "repeated_blocks=%zu", repeats);
	return line_emit(&l, "rng");
}
