/* The guest's kvmclock page as a snapshot's save reads it
 * (tsc_at_pause_from_pvclock): any bytes the guest left there, with any
 * kvmclock and frequency, and the load's arithmetic on what the save
 * made of them. No crash, no undefined behaviour (UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86/tsc_pair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char page[PVCLOCK_SIZE];
	uint64_t clock, now, host_tsc, tsc;
	uint32_t khz;

	if (size < PVCLOCK_SIZE + 28)
		return 0;
	memcpy(page, data, PVCLOCK_SIZE);
	memcpy(&clock, data + PVCLOCK_SIZE, 8);
	memcpy(&now, data + PVCLOCK_SIZE + 8, 8);
	memcpy(&host_tsc, data + PVCLOCK_SIZE + 16, 8);
	memcpy(&khz, data + PVCLOCK_SIZE + 24, 4);
	if (!tsc_at_pause_from_pvclock(page, clock, khz, &tsc))
		return 0;
	(void)tsc_offset_for_load(tsc, clock, now, host_tsc, khz);
	(void)tsc_value_for_load(tsc, clock, now, (int64_t)host_tsc, (int64_t)now, khz);
	(void)kvmclock_at_pause(clock, (int64_t)now, (int64_t)host_tsc);
	return 0;
}
