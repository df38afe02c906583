/* Firecracker's boot timer: see boot_timer.h. */
#include "devices/boot_timer.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "common/log.h"

void boot_timer_init(struct boot_timer *t, uint64_t (*clock)(clockid_t))
{
	t->clock = clock;
	t->start_us = clock(CLOCK_MONOTONIC);
	t->start_cpu_us = clock(CLOCK_PROCESS_CPUTIME_ID);
	atomic_init(&t->logged, false);
}

static uint64_t since(uint64_t now, uint64_t start)
{
	return now > start ? now - start : 0;
}

static void boot_timer_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, len);
}

/* One byte, at offset 0, of the magic value; anything else is ignored,
 * as Firecracker ignores it. */
static void boot_timer_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct boot_timer *t = opaque;

	if (len != 1 || offset != 0 || *(const uint8_t *)data != BOOT_TIMER_MAGIC ||
	    atomic_exchange(&t->logged, true))
		return;
	uint64_t us = since(t->clock(CLOCK_MONOTONIC), t->start_us);
	uint64_t cpu_us = since(t->clock(CLOCK_PROCESS_CPUTIME_ID), t->start_cpu_us);
	log_info("Guest-boot-time = %6" PRIu64 " us %" PRIu64 " ms, %6" PRIu64 " CPU us %"
		 PRIu64 " CPU ms", us, us / 1000, cpu_us, cpu_us / 1000);
}

const struct io_ops boot_timer_io_ops = { .read = boot_timer_read, .write = boot_timer_write };
