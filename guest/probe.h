/* The CPL 3 side of the probe: parameters, timing, result lines, tests. */
#ifndef PROBE_PROBE_H
#define PROBE_PROBE_H

#include "types.h"

/* --- kernel command line: probe.KEY=VALUE (see README.md) --- */
void params_init(const char *cmdline);
/* The value for KEY, or def if absent. */
const char *param_str(const char *key, const char *def);
/* A number in [min, max] (decimal, or 0x hex; suffix K/M/G allowed);
 * def if absent. A bad value is recorded and reported by params_error. */
u64 param_u64(const char *key, u64 def, u64 min, u64 max);
/* Non-NULL when a parameter was malformed or is unknown to the test: a
 * key=value string for the FAIL line. */
const char *params_error(const char *const *known);
/* Other words of the command line, meant for a kernel, that the probe
 * reads as one would (e.g. virtio_mmio.device=): each word KEY=VALUE (or
 * a bare KEY, as an empty value) in order. *pos starts NULL; each call
 * gives the next value (not NUL-terminated) or returns false. */
bool cmdline_next(const char *key, const char **pos, const char **val,
		  size_t *len);

/* --- result line: PROBE <test> PASS|FAIL key=value ... --- */
struct report {
	const char *test;
	bool failed;
	bool truncated;     /* a key=value did not fit: the line says so */
	size_t len;
	char kv[2048];
};
void rep_init(struct report *r, const char *test);
void rep_kv(struct report *r, const char *fmt, ...) PRINTF(2, 3);
void rep_fail(struct report *r, const char *fmt, ...) PRINTF(2, 3);
void rep_print(const struct report *r);
/* A timestamp-able progress line: PROBE mark <test>.<what> <event>. */
void mark(const char *test, const char *what, const char *event);

/* --- time: the TSC, calibrated against the PIT --- */
extern u64 tsc_hz;
bool timer_init(void);
u64 tsc_from_us(u64 us);
u64 us_from_tsc(u64 ticks);
void udelay(u64 us);
/* PIT channel 0's current count (it counts down and wraps, ~55 ms). */
u16 timer_pit_count(void);

/* --- memory for queues and buffers: bump allocation from free RAM --- */
bool alloc_init(void);
void *alloc_pages(u64 bytes);       /* 4 KiB aligned, zeroed */
u64 alloc_free_bytes(void);

/* --- CPUs --- */
struct cpu_tables {
	const char *source;       /* "acpi" or "mp" */
	u32 nr;
	u32 apic_ids[64];
	u64 lapic;
};
/* Finds the CPUs from the ACPI MADT or the MP table; want is "auto"
 * (MADT if an RSDP is found, else MP), "acpi" or "mp". False with a
 * key=value reason. */
bool cpus_find(struct cpu_tables *t, const char *want, const char **why);
/* Finds the CPUs (cpus_find with `want`), takes the LAPIC's address,
 * checks the AP trampoline's page is RAM and prints the boot CPU's line;
 * false with the report failed. */
bool smp_prepare(struct report *r, const char *want, struct cpu_tables *t,
		 u32 *bsp);
/* Starts up to `max` APs of t, in table order; returns the APIC id of the
 * first that did not come up, or -1 if all did. */
long smp_start(const struct cpu_tables *t, u32 bsp_id, u32 max);
/* n - 1 APs as workers (slots 0 .. n-2), each at CPL 3 on a stack of its
 * own waiting for smp_run; nothing for n <= 1. False with the report
 * failed (reason=too_few_cpus when fewer than n CPUs are listed). Once
 * per boot. */
bool smp_workers(struct report *r, unsigned n);
/* Has worker `slot` run fn(arg) (at once: it polls its mailbox), and
 * waits up to timeout_us for it to finish (false: it did not). One job
 * at a time per worker. */
void smp_run(u32 slot, void (*fn)(void *), void *arg);
bool smp_wait(u32 slot, u64 timeout_us);

/* --- tests --- */
void test_hello(struct report *r);
void test_blk_info(struct report *r);
void test_blk_verify(struct report *r);
void test_blk_ro(struct report *r);
void test_blk_bench(struct report *r);
void test_net_echo(struct report *r);
void test_net_bench(struct report *r);
void test_persist(struct report *r);
void test_rng(struct report *r);
void test_pmem(struct report *r);

#endif
