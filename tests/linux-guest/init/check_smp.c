/*
 * smp: every vCPU the VMM was given (lg.cpus=N) is online in Linux, i.e.
 * /sys/devices/system/cpu/online reads "0-(N-1)" ("0" for one vCPU).
 */
#include "lg.h"

#include <stdio.h>
#include <string.h>

bool check_smp(void)
{
	struct line l = { .len = 0 };
	char online[64], want[32];
	uint64_t cpus;

	if (!param_u64("lg.cpus", &cpus) || !cpus || cpus > 4096) {
		line_fail(&l, "error=bad-lg.cpus");
		return line_emit(&l, "smp");
	}
	if (cpus == 1)
		snprintf(want, sizeof(want), "0");
	else
		snprintf(want, sizeof(want), "0-%llu", (unsigned long long)cpus - 1);
	if (read_text("/sys/devices/system/cpu/online", online, sizeof(online)) < 0)
		line_fail(&l, "error=no-cpu-online");
	else if (strcmp(online, want))
		line_fail(&l, "online=%s want_online=%s", online, want);
	else
		line_add(&l, "online=%s", online);
	return line_emit(&l, "smp");
}
