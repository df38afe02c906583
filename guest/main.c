/* The probe's CPL 3 entry: read the orders on the command line, run the
 * one test they name, print its result line, end the VM. */
#include "boot.h"
#include "lib.h"
#include "io.h"
#include "probe.h"
#include "x86.h"

struct test {
	const char *name;
	void (*run)(struct report *r);   /* NULL: pass at once (exit) */
	const char *const *params;   /* probe.* keys it accepts */
};

/* Every test takes "test", "hold" (after the result line, spin at CPL 3
 * instead of ending the VM, so that the host can act on a live VM in a
 * known state, e.g. kill a card after the guest's writes were flushed)
 * and "boot_timer" (signal_boot_timer). */
#define COMMON_PARAMS "test", "hold", "boot_timer"
static const char *const hello_params[] = { COMMON_PARAMS, "cpu_tables", NULL };
#define VIRTIO_PARAMS COMMON_PARAMS, "transport", "dev", "qsize", "event_idx"
static const char *const blk_info_params[] = { VIRTIO_PARAMS, "queues", NULL };
static const char *const blk_verify_params[] = {
	VIRTIO_PARAMS, "queues", "seed", "start", "sectors", "verify", NULL };
static const char *const blk_ro_params[] = {
	VIRTIO_PARAMS, "start", "sectors", NULL };
static const char *const blk_bench_params[] = {
	VIRTIO_PARAMS, "queues", "start", "sectors", "qd", "secs", "phases", "iops",
	NULL };
static const char *const net_echo_params[] = {
	VIRTIO_PARAMS, "ip", "peer", "count", NULL };
static const char *const net_bench_params[] = {
	VIRTIO_PARAMS, "ip", "peer", "secs", "port", "size", NULL };

static const char *const persist_params[] = {
	VIRTIO_PARAMS, "start", "rounds", "pause_ms", "irq", NULL };
static const char *const rng_params[] = {
	VIRTIO_PARAMS, "irq", "max", "secs", "size", "timeout_ms", NULL };
static const char *const pmem_params[] = {
	VIRTIO_PARAMS, "size", "crc", "check", "ro", "off", "len", "seed",
	"flushes", "timeout_ms", NULL };

/* exit: the guest reports and ends before it calibrates its clock or
 * touches a device, so that a start rate measures the VMM (bench/). */
static const char *const exit_params[] = { COMMON_PARAMS, NULL };

static const struct test tests[] = {
	{ "hello", test_hello, hello_params },
	{ "exit", NULL, exit_params },
	{ "blk-info", test_blk_info, blk_info_params },
	{ "blk-verify", test_blk_verify, blk_verify_params },
	{ "blk-ro", test_blk_ro, blk_ro_params },
	{ "blk-bench", test_blk_bench, blk_bench_params },
	{ "net-echo", test_net_echo, net_echo_params },
	{ "net-bench", test_net_bench, net_bench_params },
	{ "persist", test_persist, persist_params },
	{ "rng", test_rng, rng_params },
	{ "pmem", test_pmem, pmem_params },
};

/* Firecracker's boot timer (azote --boot-timer): the byte 123 written to
 * physical 0xc0000000, as Firecracker's test init writes it once booted.
 * The page must not be RAM, and is mapped uncached as other MMIO is (below
 * 4 GiB the boot map already has it so). A VMM without the device drops
 * the write. */
#define BOOT_TIMER_ADDR  0xc0000000ULL
#define BOOT_TIMER_MAGIC 123

static bool signal_boot_timer(struct report *r)
{
	if (bootinfo_overlaps_ram(BOOT_TIMER_ADDR, 4096)) {
		rep_fail(r, "reason=boot_timer_in_ram addr=0x%lx",
			 (unsigned long)BOOT_TIMER_ADDR);
		return false;
	}
	if (syscall2(SYS_MAP_MMIO, BOOT_TIMER_ADDR, 4096)) {
		rep_fail(r, "reason=boot_timer_unmappable addr=0x%lx",
			 (unsigned long)BOOT_TIMER_ADDR);
		return false;
	}
	mmio_write8(BOOT_TIMER_ADDR, BOOT_TIMER_MAGIC);
	printk("PROBE boot_timer addr=0x%lx value=%u written\n",
	       (unsigned long)BOOT_TIMER_ADDR, BOOT_TIMER_MAGIC);
	return true;
}

void user_main(void)
{
	const char *name;
	const struct test *t = NULL;
	struct report r;
	const char *err;

	params_init(boot.cmdline);
	name = param_str("test", "hello");
	for (unsigned i = 0; i < ARRAY_SIZE(tests); i++)
		if (!strcmp(tests[i].name, name))
			t = &tests[i];
	current_test = t ? t->name : "unknown";
	printk("PROBE banner version=%s test=%s mem_entries=%u cmdline=\"%s\"\n",
	       PROBE_VERSION, name, boot.nr_mem, boot.cmdline);
	rep_init(&r, current_test);
	/* Read before the parameters are judged: a bad value is named. 2:
	 * once more after the test, so that a host can tell whether a VM
	 * restored in between has the device. */
	u64 boot_timer = param_u64("boot_timer", 0, 0, 2);
	if (!t) {
		rep_fail(&r, "reason=unknown_test test=%s", name);
	} else if ((err = params_error(t->params))) {
		rep_fail(&r, "%s", err);
	} else if (boot.cmdline_truncated || boot.memmap_truncated) {
		rep_fail(&r, "reason=start_info_truncated");
	} else if (boot_timer && !signal_boot_timer(&r)) {
		/* failed: the report says why */
	} else if (!t->run) {
		/* exit: nothing to run, nothing to calibrate */
	} else if (!timer_init()) {
		rep_fail(&r, "reason=pit_calibration_failed");
	} else if (!alloc_init()) {
		rep_fail(&r, "reason=image_not_in_ram");
	} else {
		printk("PROBE timer tsc_khz=%lu\n", (unsigned long)(tsc_hz / 1000));
		t->run(&r);
		/* The tests read their numbers as they go: one out of range
		 * ran with its default, and must not pass as if it had not. */
		if ((err = params_error(t->params)))
			rep_fail(&r, "%s", err);
	}
	if (boot_timer == 2 && !r.failed)
		signal_boot_timer(&r);
	rep_print(&r);
	if (param_u64("hold", 0, 0, 1)) {
		printk("PROBE hold\n");
		for (;;)
			cpu_relax();
	}
	vm_end();
}
