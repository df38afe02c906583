/* probe.test=hello (the default): CPUs, memory, user mode. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "probe.h"
#include "x86.h"

/* Shows that CPL 3 runs and that the ring-0 round trip works. */
static bool user_mode_ok(struct report *r)
{
	volatile u64 acc = 1;
	u64 t0 = rdtsc(), iters = 10000000;

	if ((read_cs() & 3) != 3) {
		rep_fail(r, "user=not_cpl3");
		return false;
	}
	for (u64 i = 0; i < iters; i++)
		acc = acc * 6364136223846793005ULL + i;
	if (syscall2(SYS_PING, 0x5a5a, 0) != ~0x5a5aULL) {
		rep_fail(r, "user=syscall_broken");
		return false;
	}
	printk("PROBE user loop=%lu us=%lu\n", (unsigned long)iters,
	       (unsigned long)us_from_tsc(rdtsc() - t0));
	return true;
}

void test_hello(struct report *r)
{
	struct cpu_tables t;
	u64 mem = bootinfo_ram_bytes();
	u32 bsp;
	long dead = -1;

	const char *want = param_str("cpu_tables", "auto");

	if (strcmp(want, "auto") && strcmp(want, "acpi") && strcmp(want, "mp")) {
		rep_fail(r, "param_error=bad_value key=cpu_tables");
		return;
	}
	if (!smp_prepare(r, want, &t, &bsp))
		return;
	if (t.nr > MAX_CPUS || t.nr > ARRAY_SIZE(t.apic_ids))
		rep_fail(r, "reason=too_many_cpus listed=%u max=%u", t.nr, MAX_CPUS);
	else
		dead = smp_start(&t, bsp, MAX_CPUS);
	rep_kv(r, "cpus=%u mem_mib=%lu", cpus_online,
	       (unsigned long)((mem + MIB - 1) / MIB));
	if (user_mode_ok(r))
		rep_kv(r, "user=ok");
	if (dead >= 0)
		rep_fail(r, "reason=ap_timeout apic=%ld", dead);
	if (cpus_online != t.nr && dead < 0)
		rep_fail(r, "reason=cpu_count listed=%u", t.nr);
}
