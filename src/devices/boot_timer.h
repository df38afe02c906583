/* Firecracker's boot timer (its --boot-timer): a pseudo device, one page
 * of MMIO at GPA_BOOT_TIMER (arch/x86/layout.h, 0xc0000000), to which a
 * guest writes the byte 123 at offset 0 once it has booted (Firecracker's
 * test init does so before it execs /sbin/init). azote then logs, at info
 * level and in Firecracker's words, the wall-clock time (CLOCK_MONOTONIC)
 * and this process's CPU time (CLOCK_PROCESS_CPUTIME_ID) since the boot
 * was requested:
 *   Guest-boot-time =  81234 us 81 ms,  40321 CPU us 40 CPU ms
 * Every other access does nothing, and reads give 0. Only the first such
 * write is logged, where Firecracker logs each: a guest that boots once
 * writes once, and one that writes in a loop cannot fill the host's log.
 * Stateless: nothing to snapshot (vm.c puts it on the bus only for a boot,
 * never for a restore). */
#ifndef AZOTE_DEVICES_BOOT_TIMER_H
#define AZOTE_DEVICES_BOOT_TIMER_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "base/io_bus.h"

#define BOOT_TIMER_MAGIC 123   /* the byte that says "booted" */

struct boot_timer {
	uint64_t (*clock)(clockid_t);   /* microseconds on a clock: clock_us */
	uint64_t start_us;              /* CLOCK_MONOTONIC at the request */
	uint64_t start_cpu_us;          /* CLOCK_PROCESS_CPUTIME_ID then */
	atomic_bool logged;
};

extern const struct io_ops boot_timer_io_ops;

/* The start is now, on both clocks: call it where the boot is requested
 * (Firecracker takes it as it begins building the microVM). clock is
 * common/clock.h's clock_us outside tests. */
void boot_timer_init(struct boot_timer *t, uint64_t (*clock)(clockid_t));

#endif
