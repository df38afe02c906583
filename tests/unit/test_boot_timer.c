/* Firecracker's boot timer through its MMIO interface: the one write that
 * logs (a byte of 123 at offset 0), with the times since the start on
 * both clocks in Firecracker's words, once; every other access silent. */
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/log.h"
#include "devices/boot_timer.h"

/* The log, read back from a pipe. */
static int log_pipe[2];

static int setup(void **state)
{
	(void)state;
	if (pipe2(log_pipe, O_NONBLOCK) < 0)
		return -1;
	log_init("azote", LOG_INFO);
	log_set_output(log_pipe[1], true, false, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_output(2, true, false, NULL, NULL);   /* closes log_pipe[1] */
	log_set_level(LOG_WARN);
	close(log_pipe[0]);
	return 0;
}

/* Everything logged since the last call ("" for nothing). */
static const char *logged(void)
{
	static char buf[4096];
	ssize_t n = read(log_pipe[0], buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A clock the test moves: each clock's value in microseconds. */
static uint64_t fake_mono, fake_cpu;
static uint64_t fake_clock(clockid_t c)
{
	return c == CLOCK_MONOTONIC ? fake_mono : c == CLOCK_PROCESS_CPUTIME_ID ? fake_cpu : 0;
}

static void write8(struct boot_timer *t, uint64_t off, uint8_t v)
{
	boot_timer_io_ops.write(t, off, &v, 1);
}

/* What the magic write logs once the clocks moved by us and cpu_us since
 * boot_timer_init. */
static const char *booted_after(struct boot_timer *t, uint64_t us, uint64_t cpu_us)
{
	boot_timer_init(t, fake_clock);
	fake_mono += us;
	fake_cpu += cpu_us;
	write8(t, 0, BOOT_TIMER_MAGIC);
	return logged();
}

/* The magic write logs the time since boot_timer_init on each clock, as
 * Firecracker's line has it (widths included), at info level, once. */
static void test_magic_write_logs_once(void **state)
{
	struct boot_timer t;
	(void)state;

	fake_mono = 5000000;
	fake_cpu = 70000;
	assert_string_equal(booted_after(&t, 234567, 12890), "azote: info: Guest-boot-time = "
			    "234567 us 234 ms,  12890 CPU us 12 CPU ms\n");
	fake_mono += 1000000;
	write8(&t, 0, BOOT_TIMER_MAGIC);
	assert_string_equal(logged(), "");
	/* Short times are padded to 6 characters, as Rust's {:>6}. */
	assert_string_equal(booted_after(&t, 999, 7), "azote: info: Guest-boot-time =    999 us "
			    "0 ms,      7 CPU us 0 CPU ms\n");
}

/* Below info level the line is not written (it is an info line, not a
 * warning), and a later write does not bring it back. */
static void test_info_level(void **state)
{
	struct boot_timer t;
	(void)state;

	log_set_level(LOG_WARN);
	boot_timer_init(&t, fake_clock);
	write8(&t, 0, BOOT_TIMER_MAGIC);
	log_set_level(LOG_INFO);
	assert_string_equal(logged(), "");
	write8(&t, 0, BOOT_TIMER_MAGIC);
	assert_string_equal(logged(), "");
}

/* The wrong offset, size or value: nothing logged, and the magic write
 * afterwards still is. Reads give 0 whatever the width. */
static void test_other_accesses_ignored(void **state)
{
	struct boot_timer t;
	uint8_t magic2[2] = { BOOT_TIMER_MAGIC, 0 };
	uint32_t magic4 = BOOT_TIMER_MAGIC;
	uint64_t v;
	(void)state;

	boot_timer_init(&t, fake_clock);
	write8(&t, 1, BOOT_TIMER_MAGIC);
	write8(&t, 0xfff, BOOT_TIMER_MAGIC);
	boot_timer_io_ops.write(&t, 0, magic2, 2);
	boot_timer_io_ops.write(&t, 0, &magic4, 4);
	write8(&t, 0, BOOT_TIMER_MAGIC - 1);
	write8(&t, 0, BOOT_TIMER_MAGIC + 1);
	write8(&t, 0, 0);
	for (unsigned len = 1; len <= 8; len *= 2) {
		v = ~0ULL;
		boot_timer_io_ops.read(&t, 0, &v, len);
		assert_true(v == (len == 8 ? 0 : ~0ULL << (8 * len)));
	}
	assert_string_equal(logged(), "");
	write8(&t, 0, BOOT_TIMER_MAGIC);
	assert_non_null(strstr(logged(), "Guest-boot-time = "));
}

/* On the real clocks: the numbers are the time since the start, in the
 * line's two units, and this single-threaded test's CPU time is within
 * its wall-clock time. */
static void test_real_clocks(void **state)
{
	struct boot_timer t;
	uint64_t us, ms, cpu_us, cpu_ms, before, after;
	volatile uint64_t spin = 0;
	(void)state;

	before = clock_us(CLOCK_MONOTONIC);
	boot_timer_init(&t, clock_us);
	usleep(20000);
	while (clock_us(CLOCK_PROCESS_CPUTIME_ID) < t.start_cpu_us + 5000)
		spin++;
	write8(&t, 0, BOOT_TIMER_MAGIC);
	after = clock_us(CLOCK_MONOTONIC);
	const char *line = logged();
	assert_int_equal(sscanf(line, "azote: info: Guest-boot-time = %" SCNu64 " us %" SCNu64
				" ms, %" SCNu64 " CPU us %" SCNu64 " CPU ms", &us, &ms,
				&cpu_us, &cpu_ms), 4);
	assert_true(us >= 25000 && us <= after - before);
	assert_true(ms == us / 1000);
	assert_true(cpu_us >= 5000 && cpu_us <= us);
	assert_true(cpu_ms == cpu_us / 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic_write_logs_once),
		cmocka_unit_test(test_info_level),
		cmocka_unit_test(test_other_accesses_ignored),
		cmocka_unit_test(test_real_clocks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
