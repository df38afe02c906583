/* Time in the guest: the TSC, calibrated against the PIT (present under
 * azote and QEMU alike, in-kernel under KVM). */
#include "io.h"
#include "probe.h"

#define PIT_HZ        1193182ULL
#define PIT_CH0       0x40
#define PIT_CMD       0x43
#define CALIB_TICKS   (PIT_HZ / 40)    /* 25 ms */
#define MAX_POLLS     2000000

u64 tsc_hz;

u16 timer_pit_count(void)
{
	u8 lo, hi;

	outb(PIT_CMD, 0x00);          /* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (u16)(lo | hi << 8);
}

/* Channel 0 in mode 0 counts down from 0xffff and keeps wrapping; summing
 * the differences of reads taken well under one wrap (55 ms) apart gives
 * elapsed PIT ticks. (Channel 2's gate and status live in port 0x61,
 * which QEMU's microvm does not have.) IF is 0 and the PIC/IOAPIC pin is
 * masked, so the count reaching zero interrupts nobody. */
bool timer_init(void)
{
	u64 t0, t1, elapsed = 0;
	u16 prev, cur;
	unsigned polls = 0;

	outb(PIT_CMD, 0x30);          /* channel 0, lo/hi byte, mode 0 */
	outb(PIT_CH0, 0xff);
	outb(PIT_CH0, 0xff);
	prev = timer_pit_count();
	t0 = rdtsc();
	while (elapsed < CALIB_TICKS) {
		if (++polls > MAX_POLLS)
			return false;
		cur = timer_pit_count();
		elapsed += (u16)(prev - cur);
		prev = cur;
	}
	t1 = rdtsc();
	tsc_hz = (t1 - t0) * PIT_HZ / elapsed;
	return tsc_hz > 1000000;
}

u64 tsc_from_us(u64 us)
{
	return tsc_hz / 1000000 * us + tsc_hz % 1000000 * us / 1000000;
}

u64 us_from_tsc(u64 ticks)
{
	return ticks / tsc_hz * 1000000 + ticks % tsc_hz * 1000000 / tsc_hz;
}

void udelay(u64 us)
{
	u64 t0 = rdtsc(), d = tsc_from_us(us);

	while (rdtsc() - t0 < d)
		cpu_relax();
}
