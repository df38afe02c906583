/* Starting the APs: INIT, then two STARTUP IPIs through the xAPIC ICR
 * (Intel SDM vol. 3 "MP initialization"), one AP at a time so that a dead
 * one is named. Runs at CPL 3: the LAPIC page is mapped user-accessible.
 * APs started as workers (smp_workers) come to CPL 3 too and wait there
 * for jobs, one at a time, posted to their mailbox (smp_run, smp_wait). */
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
#define WORKER_STACK   16384

/* A worker's mailbox: the BSP writes fn and arg, then bumps posted; the
 * worker runs fn(arg) and sets done to posted. */
static struct mailbox {
	void (*fn)(void *);
	void *arg;
	u32 posted, done;
} mailbox[MAX_CPUS];

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

/* A worker AP's life at CPL 3, in slot `slot`: jobs, forever. */
static NORETURN void worker_main(u64 slot)
{
	struct mailbox *m = &mailbox[slot];

	for (;;) {
		u32 seq = __atomic_load_n(&m->posted, __ATOMIC_ACQUIRE);

		if (seq == m->done) {
			cpu_relax();
			continue;
		}
		m->fn(m->arg);
		__atomic_store_n(&m->done, seq, __ATOMIC_RELEASE);
	}
}

void smp_run(u32 slot, void (*fn)(void *), void *arg)
{
	struct mailbox *m = &mailbox[slot];

	m->fn = fn;
	m->arg = arg;
	__atomic_store_n(&m->posted, m->posted + 1, __ATOMIC_RELEASE);
}

bool smp_wait(u32 slot, u64 timeout_us)
{
	struct mailbox *m = &mailbox[slot];
	u64 t0 = rdtsc(), limit = tsc_from_us(timeout_us);

	while (__atomic_load_n(&m->done, __ATOMIC_ACQUIRE) != m->posted) {
		if (rdtsc() - t0 > limit)
			return false;
		cpu_relax();
	}
	return true;
}

bool smp_prepare(struct report *r, const char *want, struct cpu_tables *t,
		 u32 *bsp)
{
	const char *why = "";

	if (!cpus_find(t, want, &why)) {
		rep_fail(r, "cpus=1 %s", why);
		return false;
	}
	if (t->lapic)
		lapic_base = t->lapic;
	if (!bootinfo_is_ram(TRAMP_PA, 4096)) {
		rep_fail(r, "reason=trampoline_page_not_ram addr=0x%x", TRAMP_PA);
		return false;
	}
	*bsp = mmio_read32(lapic_base + 0x20) >> 24;
	printk("PROBE cpu apic=%u online bsp=1 listed=%u tables=%s\n", *bsp,
	       t->nr, t->source);
	return true;
}

bool smp_workers(struct report *r, unsigned n)
{
	struct cpu_tables t;
	u32 bsp;
	long dead;

	if (n <= 1)
		return true;
	if (!smp_prepare(r, "auto", &t, &bsp))
		return false;
	if (t.nr < n || n > MAX_CPUS) {
		rep_fail(r, "reason=too_few_cpus cpus=%u wanted=%u", t.nr, n);
		return false;
	}
	/* Slots go to the APs in the order they start; n - 1 are needed,
	 * each with its stack's top. */
	for (u32 i = 0; i + 1 < n; i++) {
		u8 *stack = alloc_pages(WORKER_STACK);

		if (!stack) {
			rep_fail(r, "reason=out_of_memory");
			return false;
		}
		ap_user_rsp[i] = (u64)stack + WORKER_STACK;
	}
	ap_user_rip = (u64)worker_main;
	dead = smp_start(&t, bsp, n - 1);
	if (dead >= 0) {
		rep_fail(r, "reason=ap_timeout apic=%ld", dead);
		return false;
	}
	return true;
}

long smp_start(const struct cpu_tables *t, u32 bsp_id, u32 max)
{
	u32 started = 0;

	u32 n = MIN(t->nr, (u32)MIN(ARRAY_SIZE(t->apic_ids), MAX_CPUS));

	memcpy(phys_ptr(TRAMP_PA), tramp_start, (size_t)(tramp_end - tramp_start));
	for (u32 i = 0; i < n && started < max; i++) {
		if (t->apic_ids[i] == bsp_id)
			continue;
		if (!start_one(t->apic_ids[i]))
			return t->apic_ids[i];
		started++;
	}
	return -1;
}
