/* Starting the APs: INIT, then two STARTUP IPIs through the xAPIC ICR
 * (Intel SDM vol. 3 "MP initialization"), one AP at a time so that a dead
 * one is named. Runs at CPL 3: the LAPIC page is mapped user-accessible. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "probe.h"
#include "x86.h"

#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define ICR_INIT       0x00000500
#define ICR_STARTUP    0x00000600
#define ICR_LEVEL_TRIG 0x00008000
#define ICR_ASSERT     0x00004000
#define ICR_BUSY       0x00001000
#define AP_TIMEOUT_US  3000000   /* ring 0 is slow on emulated hosts */

extern const u8 tramp_start[], tramp_end[];

static void send_ipi(u32 apic_id, u32 icr)
{
	for (unsigned i = 0; i < 100000 && (mmio_read32(lapic_base + LAPIC_ICR_LO) & ICR_BUSY); i++)
		cpu_relax();
	mmio_write32(lapic_base + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(lapic_base + LAPIC_ICR_LO, icr);
}

static bool start_one(u32 apic_id)
{
	u32 before = cpus_online;
	u64 t0, limit = tsc_from_us(AP_TIMEOUT_US);

	send_ipi(apic_id, ICR_INIT | ICR_LEVEL_TRIG | ICR_ASSERT);
	udelay(10000);
	send_ipi(apic_id, ICR_INIT | ICR_LEVEL_TRIG);   /* de-assert */
	for (int i = 0; i < 2; i++) {
		send_ipi(apic_id, ICR_STARTUP | (TRAMP_PA >> 12));
		udelay(200);
	}
	for (t0 = rdtsc(); rdtsc() - t0 < limit;)
		if (cpus_online != before)
			return true;
	return false;
}

long smp_start(const struct cpu_tables *t, u32 bsp_id)
{
	u32 n = MIN(t->nr, (u32)MIN(ARRAY_SIZE(t->apic_ids), MAX_CPUS));

	memcpy(phys_ptr(TRAMP_PA), tramp_start, (size_t)(tramp_end - tramp_start));
	for (u32 i = 0; i < n; i++)
		if (t->apic_ids[i] != bsp_id && !start_one(t->apic_ids[i]))
			return t->apic_ids[i];
	return -1;
}
