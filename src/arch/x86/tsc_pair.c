/* The guest's TSC and kvmclock as one pair: see tsc_pair.h. */
#include "arch/x86/tsc_pair.h"

#include <string.h>

int64_t tsc_cycles(int64_t ns, uint32_t khz)
{
	/* ns * kHz / 10^6 overflows 64 bits past ~50 minutes at 3 GHz:
	 * 128-bit intermediate, clamped (no pause lasts 2^63 cycles). */
	__int128 c = (__int128)ns * khz / 1000000;

	if (c > INT64_MAX)
		return INT64_MAX;
	if (c < INT64_MIN)
		return INT64_MIN;
	return (int64_t)c;
}

/* a - b and a + b of host times, saturated: the snapshot file (user
 * input) and the guest's kvmclock page feed them, and no real interval
 * comes near 2^63 ns. */
static int64_t ns_sub(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_sub_overflow(a, b, &d))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return d;
}

static int64_t ns_add(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_add_overflow(a, b, &d))
		return b < 0 ? INT64_MIN : INT64_MAX;
	return d;
}

uint64_t tsc_at_pause_from_offset(uint64_t host_tsc, uint64_t offset, int64_t clock_ns,
				  int64_t pause_ns, uint32_t khz)
{
	return host_tsc + offset - (uint64_t)tsc_cycles(ns_sub(clock_ns, pause_ns), khz);
}

uint64_t tsc_at_pause_from_msr(uint64_t tsc, int64_t read_ns, int64_t pause_ns,
			       uint32_t khz)
{
	return tsc - (uint64_t)tsc_cycles(ns_sub(read_ns, pause_ns), khz);
}

bool tsc_at_pause_from_pvclock(const unsigned char *page, uint64_t clock, uint32_t khz,
			       uint64_t *tsc)
{
	uint32_t version;
	uint64_t tsc_timestamp, system_time;

	memcpy(&version, page, 4);
	memcpy(&tsc_timestamp, page + 8, 8);
	memcpy(&system_time, page + 16, 8);
	if (version & 1)
		return false;
	*tsc = tsc_timestamp + (uint64_t)tsc_cycles((int64_t)(clock - system_time), khz);
	return true;
}

uint64_t kvmclock_at_pause(uint64_t clock, int64_t clock_ns, int64_t pause_ns)
{
	int64_t back = ns_sub(clock_ns, pause_ns);

	if (back <= 0)
		return clock;
	return (uint64_t)back > clock ? 0 : clock - (uint64_t)back;
}

uint64_t tsc_offset_for_load(uint64_t tsc, uint64_t saved_clock, uint64_t clock,
			     uint64_t host_tsc, uint32_t khz)
{
	/* vcpu.rst: ofs_dst = ofs_src - (guest_src - guest_dest) * freq
	 * + (tsc_src - tsc_dest), where ofs_src + tsc_src is the guest TSC
	 * at guest_src, the snapshot's tsc at saved_clock. */
	int64_t moved = (int64_t)(clock - saved_clock);

	return tsc + (uint64_t)tsc_cycles(moved, khz) - host_tsc;
}

uint64_t tsc_value_for_load(uint64_t tsc, uint64_t saved_clock, uint64_t clock,
			    int64_t clock_ns, int64_t now_ns, uint32_t khz)
{
	int64_t moved = ns_add((int64_t)(clock - saved_clock), ns_sub(now_ns, clock_ns));

	return tsc + (uint64_t)tsc_cycles(moved, khz);
}
