/* The legacy platform devices through their port interfaces: the 16550
 * UART as Linux's 8250 driver probes and drives it, the i8042 reset paths
 * and keyboard answers, and the CMOS clock. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "devices/acpi_sleep.h"
#include "devices/i8042.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "state_fixture.h"

static uint8_t in8(const struct io_ops *ops, void *dev, uint64_t off)
{
	uint8_t v;
	ops->read(dev, off, &v, 1);
	return v;
}

static void out8(const struct io_ops *ops, void *dev, uint64_t off, uint8_t v)
{
	ops->write(dev, off, &v, 1);
}

/* ---- UART ---- */

struct uart_fixture {
	struct uart u;
	int pipefd[2];
};

static int uart_setup(void **state)
{
	static struct uart_fixture f;
	if (pipe(f.pipefd) < 0)
		return -1;
	uart_init(&f.u, -1, 4, f.pipefd[1], -1);
	*state = &f;
	return 0;
}

static int uart_teardown(void **state)
{
	struct uart_fixture *f = *state;
	uart_destroy(&f->u);
	close(f->pipefd[0]);
	close(f->pipefd[1]);
	return 0;
}

static void test_uart_transmit(void **state)
{
	struct uart_fixture *f = *state;
	char buf[8] = { 0 };

	out8(&uart_io_ops, &f->u, 0, 'h');
	out8(&uart_io_ops, &f->u, 0, 'i');
	assert_int_equal(read(f->pipefd[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	/* THR empty and transmitter empty at once. */
	assert_int_equal(in8(&uart_io_ops, &f->u, 5) & 0x60, 0x60);
}

/* Lets every other byte through. */
static bool every_other(void *ctx)
{
	unsigned *n = ctx;

	return (*n)++ % 2 == 0;
}

/* An output filter drops what it refuses; a full output drops what it
 * cannot take; neither stalls the guest (THR is empty at once) and both
 * are counted. */
static void test_uart_output_drops(void **state)
{
	struct uart_fixture *f = *state;
	char buf[8] = { 0 };
	unsigned n = 0;
	int p[2];

	uart_set_output(&f->u, f->pipefd[1], every_other, &n);
	for (const char *s = "abcd"; *s; s++)
		out8(&uart_io_ops, &f->u, 0, (uint8_t)*s);
	assert_int_equal(read(f->pipefd[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "ac");
	assert_int_equal(f->u.tx_bytes, 4);
	assert_int_equal(f->u.tx_missed, 0);
	/* A non-blocking pipe nobody drains: once full, bytes are missed. */
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	while (write(p[1], "x", 1) == 1)
		;
	uart_set_output(&f->u, p[1], NULL, NULL);
	out8(&uart_io_ops, &f->u, 0, 'e');
	assert_int_equal(f->u.tx_missed, 1);
	assert_int_equal(in8(&uart_io_ops, &f->u, 5) & 0x60, 0x60);
	close(p[0]);
	close(p[1]);
	/* The same with a blocking pipe (stdout, whose O_NONBLOCK azote
	 * must not set): the byte is missed, the vCPU not held. alarm: a
	 * write that blocks fails the test instead of hanging it. */
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	while (write(p[1], "x", 1) == 1)
		;
	assert_int_equal(fcntl(p[1], F_SETFL, 0), 0);
	uart_set_output(&f->u, p[1], NULL, NULL);
	alarm(5);
	out8(&uart_io_ops, &f->u, 0, 'f');
	alarm(0);
	assert_int_equal(f->u.tx_missed, 2);
	uart_set_output(&f->u, f->pipefd[1], NULL, NULL);
	close(p[0]);
	close(p[1]);
}

static void test_uart_scratch_ier_and_fifo_id(void **state)
{
	struct uart_fixture *f = *state;

	out8(&uart_io_ops, &f->u, 7, 0xa5);
	assert_int_equal(in8(&uart_io_ops, &f->u, 7), 0xa5);
	out8(&uart_io_ops, &f->u, 1, 0xff);
	assert_int_equal(in8(&uart_io_ops, &f->u, 1), 0x0f); /* only 4 bits */
	out8(&uart_io_ops, &f->u, 1, 0);
	/* 8250 autoconfig: FIFO enable makes IIR[7:6] read 11 (16550A). */
	out8(&uart_io_ops, &f->u, 2, 0x01);
	assert_int_equal(in8(&uart_io_ops, &f->u, 2) >> 6, 3);
	out8(&uart_io_ops, &f->u, 2, 0x00);
	assert_int_equal(in8(&uart_io_ops, &f->u, 2) >> 6, 0);
}

static void test_uart_divisor_latch(void **state)
{
	struct uart_fixture *f = *state;

	out8(&uart_io_ops, &f->u, 3, 0x80);
	out8(&uart_io_ops, &f->u, 0, 0x01);
	out8(&uart_io_ops, &f->u, 1, 0x02);
	assert_int_equal(in8(&uart_io_ops, &f->u, 0), 0x01);
	assert_int_equal(in8(&uart_io_ops, &f->u, 1), 0x02);
	out8(&uart_io_ops, &f->u, 3, 0x03);
	/* The divisor writes did not transmit anything. */
	assert_int_equal(f->u.tx_bytes, 0);
}

static void test_uart_loopback(void **state)
{
	struct uart_fixture *f = *state;

	/* 8250 autoconfig's loopback check: MCR = LOOP | OUT2 | RTS gives
	 * MSR[7:4] = DCD | CTS = 0x9. */
	out8(&uart_io_ops, &f->u, 4, 0x1a);
	assert_int_equal(in8(&uart_io_ops, &f->u, 6) & 0xf0, 0x90);
	out8(&uart_io_ops, &f->u, 0, 'x');
	assert_int_equal(in8(&uart_io_ops, &f->u, 5) & 1, 1);
	assert_int_equal(in8(&uart_io_ops, &f->u, 0), 'x');
	assert_int_equal(f->u.tx_bytes, 0);
	out8(&uart_io_ops, &f->u, 4, 0x08);
}

static void test_uart_rx_irq_and_backpressure(void **state)
{
	struct uart_fixture *f = *state;
	uint8_t big[UART_RX_FIFO + 10];

	memset(big, 'a', sizeof(big));
	out8(&uart_io_ops, &f->u, 1, 0x01); /* RX interrupt on */
	assert_false(f->u.irq.level);
	assert_int_equal(uart_push_input(&f->u, big, sizeof(big)), UART_RX_FIFO);
	assert_int_equal(uart_rx_space(&f->u), 0);
	assert_true(f->u.irq.level);
	assert_int_equal(in8(&uart_io_ops, &f->u, 2) & 0x0f, 0x04); /* RDI */
	/* No overrun: the FIFO refused what did not fit. */
	assert_int_equal(in8(&uart_io_ops, &f->u, 5) & 0x02, 0);
	for (int i = 0; i < UART_RX_FIFO; i++)
		assert_int_equal(in8(&uart_io_ops, &f->u, 0), 'a');
	assert_int_equal(in8(&uart_io_ops, &f->u, 5) & 1, 0);
	assert_false(f->u.irq.level);
	assert_int_equal(uart_rx_space(&f->u), UART_RX_FIFO);
	out8(&uart_io_ops, &f->u, 1, 0);
}

/* Input waits while the FIFO is full; room made by the guest, reading a
 * byte or clearing the FIFO (Linux does when it opens the port), is told
 * to whoever feeds it. */
static void test_uart_rx_room_signalled(void **state)
{
	struct uart u;
	uint8_t big[UART_RX_FIFO];
	uint64_t n;
	int ev = eventfd(0, EFD_NONBLOCK);
	(void)state;

	assert_true(ev >= 0);
	uart_init(&u, -1, 4, -1, ev);
	memset(big, 'a', sizeof(big));
	assert_int_equal(uart_push_input(&u, big, sizeof(big)), UART_RX_FIFO);
	assert_int_equal(read(ev, &n, sizeof(n)), -1);
	assert_int_equal(in8(&uart_io_ops, &u, 0), 'a');
	assert_int_equal(read(ev, &n, sizeof(n)), sizeof(n));
	assert_int_equal(uart_push_input(&u, big, 1), 1);
	out8(&uart_io_ops, &u, 2, 0x07);          /* FCR: enable, clear RX and TX */
	assert_int_equal(uart_rx_space(&u), UART_RX_FIFO);
	assert_int_equal(read(ev, &n, sizeof(n)), sizeof(n));
	uart_destroy(&u);
	close(ev);
}

static void test_uart_thre_interrupt(void **state)
{
	struct uart_fixture *f = *state;

	/* Enabling THRI with THR empty raises it; reading IIR acks it. */
	out8(&uart_io_ops, &f->u, 1, 0x02);
	assert_true(f->u.irq.level);
	assert_int_equal(in8(&uart_io_ops, &f->u, 2) & 0x0f, 0x02);
	assert_false(f->u.irq.level);
	assert_int_equal(in8(&uart_io_ops, &f->u, 2) & 0x01, 0x01);
	/* Each transmitted byte raises it again. */
	out8(&uart_io_ops, &f->u, 0, 'z');
	assert_true(f->u.irq.level);
	out8(&uart_io_ops, &f->u, 1, 0);
	assert_false(f->u.irq.level);
	char c;
	assert_int_equal(read(f->pipefd[0], &c, 1), 1);
}

/* ---- ACPI sleep registers ---- */

static int poweroffs;
static void count_poweroff(void *ctx)
{
	(void)ctx;
	poweroffs++;
}

/* Only SLP_EN with the S5 type, on the control register, powers off. */
static void test_acpi_sleep(void **state)
{
	struct acpi_sleep s;
	(void)state;

	acpi_sleep_init(&s, 5, count_poweroff, NULL);
	poweroffs = 0;
	out8(&acpi_sleep_io_ops, &s, 0, 5 << 2);              /* type, no SLP_EN */
	out8(&acpi_sleep_io_ops, &s, 0, ACPI_SLEEP_ENABLE | 3 << 2);   /* S3: none */
	out8(&acpi_sleep_io_ops, &s, 0, ACPI_SLEEP_ENABLE | 3 << 2);
	out8(&acpi_sleep_io_ops, &s, 1, ACPI_SLEEP_ENABLE | 5 << 2);   /* status reg */
	assert_int_equal(poweroffs, 0);
	assert_int_equal(in8(&acpi_sleep_io_ops, &s, 0), 0);
	assert_int_equal(in8(&acpi_sleep_io_ops, &s, 1), 0);
	out8(&acpi_sleep_io_ops, &s, 0, ACPI_SLEEP_ENABLE | 5 << 2);
	assert_int_equal(poweroffs, 1);
}

/* ---- i8042 ---- */

static int resets;
static void count_reset(void *ctx)
{
	(void)ctx;
	resets++;
}

static void test_i8042_reset_paths(void **state)
{
	struct i8042 k;
	(void)state;

	i8042_init(&k, -1, count_reset, NULL);
	resets = 0;
	out8(&i8042_io_ops, &k, 4, 0xfe);
	assert_int_equal(resets, 1);
	/* Output port write with bit 0 (reset, active low) cleared. */
	out8(&i8042_io_ops, &k, 4, 0xd1);
	out8(&i8042_io_ops, &k, 0, 0xfe);
	assert_int_equal(resets, 2);
	/* ... and with it set, no reset. */
	out8(&i8042_io_ops, &k, 4, 0xd1);
	out8(&i8042_io_ops, &k, 0, 0xdf);
	assert_int_equal(resets, 2);
	i8042_destroy(&k);
}

static void test_i8042_controller_answers(void **state)
{
	struct i8042 k;
	(void)state;

	i8042_init(&k, -1, count_reset, NULL);
	assert_int_equal(in8(&i8042_io_ops, &k, 4) & 0x01, 0); /* nothing to read */
	out8(&i8042_io_ops, &k, 4, 0xaa);
	assert_int_equal(in8(&i8042_io_ops, &k, 4) & 0x01, 1);
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0x55);
	out8(&i8042_io_ops, &k, 4, 0x60);
	out8(&i8042_io_ops, &k, 0, 0x45);
	out8(&i8042_io_ops, &k, 4, 0x20);
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0x45);
	/* Keyboard reset: ACK then self-test passed. */
	out8(&i8042_io_ops, &k, 0, 0xff);
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0xfa);
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0xaa);
	/* Set LEDs takes an argument byte; both are ACKed. */
	out8(&i8042_io_ops, &k, 0, 0xed);
	out8(&i8042_io_ops, &k, 0, 0x07);
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0xfa);
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0xfa);
	assert_int_equal(in8(&i8042_io_ops, &k, 4) & 0x01, 0);
	i8042_destroy(&k);
}

static void test_i8042_ctrl_alt_del(void **state)
{
	struct i8042 k;
	static const uint8_t want[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
	(void)state;

	i8042_init(&k, -1, count_reset, NULL);
	assert_int_equal(i8042_send_ctrl_alt_del(&k), 0);
	assert_true(k.irq.level);
	for (size_t i = 0; i < sizeof(want); i++)
		assert_int_equal(in8(&i8042_io_ops, &k, 0), want[i]);
	assert_false(k.irq.level);
	/* A full buffer refuses rather than truncating the sequence. */
	assert_int_equal(i8042_send_ctrl_alt_del(&k), 0);
	assert_int_equal(i8042_send_ctrl_alt_del(&k), 0);
	assert_int_equal(i8042_send_ctrl_alt_del(&k), -1);
	i8042_destroy(&k);
}

/* ---- RTC ---- */

static time_t fixed_time(void)
{
	return 1795694705; /* 2026-11-26 12:05:05 UTC, a Thursday */
}

static uint8_t cmos(struct rtc *r, uint8_t reg)
{
	out8(&rtc_io_ops, r, 0, reg);
	return in8(&rtc_io_ops, r, 1);
}

static void test_rtc_time_in_bcd(void **state)
{
	struct rtc r;
	(void)state;

	rtc_init(&r, fixed_time);
	assert_int_equal(cmos(&r, 0x00), 0x05);
	assert_int_equal(cmos(&r, 0x02), 0x05);
	assert_int_equal(cmos(&r, 0x04), 0x12);
	assert_int_equal(cmos(&r, 0x06), 0x05); /* Thursday, Sunday = 1 */
	assert_int_equal(cmos(&r, 0x07), 0x26);
	assert_int_equal(cmos(&r, 0x08), 0x11);
	assert_int_equal(cmos(&r, 0x09), 0x26);
	assert_int_equal(cmos(&r, 0x32), 0x20);
	/* NMI-disable bit in the index is ignored. */
	assert_int_equal(cmos(&r, 0x80 | 0x09), 0x26);
	rtc_destroy(&r);
}

static void test_rtc_status_and_ram(void **state)
{
	struct rtc r;
	(void)state;

	rtc_init(&r, fixed_time);
	assert_int_equal(cmos(&r, 0x0a) & 0x80, 0);      /* never updating */
	assert_int_equal(cmos(&r, 0x0b) & 0x06, 0x02);   /* BCD, 24 h */
	assert_int_equal(cmos(&r, 0x0d), 0x80);          /* valid */
	/* Asking for binary or 12-hour mode does not take. */
	out8(&rtc_io_ops, &r, 0, 0x0b);
	out8(&rtc_io_ops, &r, 1, 0x04);
	assert_int_equal(cmos(&r, 0x0b) & 0x06, 0x02);
	/* Setting the time leaves the clock on the host's time. */
	out8(&rtc_io_ops, &r, 0, 0x00);
	out8(&rtc_io_ops, &r, 1, 0x42);
	assert_int_equal(cmos(&r, 0x00), 0x05);
	out8(&rtc_io_ops, &r, 0, 0x40);
	out8(&rtc_io_ops, &r, 1, 0x99);
	assert_int_equal(cmos(&r, 0x40), 0x99);
	rtc_destroy(&r);
}

/* ---- snapshots ---- */

static void test_uart_snapshot(void **state)
{
	struct uart_fixture *f = *state;
	struct uart g;
	struct state_set s;
	struct azerr e = { "" };

	out8(&uart_io_ops, &f->u, 3, 0x80);      /* DLAB: divisor 0x0c01 */
	out8(&uart_io_ops, &f->u, 0, 0x01);
	out8(&uart_io_ops, &f->u, 1, 0x0c);
	out8(&uart_io_ops, &f->u, 3, 0x03);      /* 8N1 */
	out8(&uart_io_ops, &f->u, 7, 0x5a);
	out8(&uart_io_ops, &f->u, 2, 0x01);      /* FIFO on */
	out8(&uart_io_ops, &f->u, 1, 0x01);      /* RX interrupt */
	assert_int_equal(uart_push_input(&f->u, (const uint8_t *)"hey", 3), 3);
	assert_int_equal(in8(&uart_io_ops, &f->u, 0), 'h');
	assert_true(f->u.irq.level);
	state_set_init(&s);
	assert_int_equal(uart_save(&f->u, &s, 0, &e), 0);

	uart_init(&g, -1, 4, f->pipefd[1], -1);
	assert_int_equal(uart_load(&g, &s, 0, &e), 0);
	assert_true(g.irq.level);                /* driven from the registers */
	assert_int_equal(in8(&uart_io_ops, &g, 7), 0x5a);
	assert_int_equal(in8(&uart_io_ops, &g, 2) & 0xcf, 0xc4);  /* FIFO, RDI */
	assert_int_equal(in8(&uart_io_ops, &g, 0), 'e');
	assert_int_equal(in8(&uart_io_ops, &g, 0), 'y');
	assert_false(g.irq.level);
	out8(&uart_io_ops, &g, 3, 0x83);
	assert_int_equal(in8(&uart_io_ops, &g, 0), 0x01);
	assert_int_equal(in8(&uart_io_ops, &g, 1), 0x0c);
	uart_destroy(&g);

	/* A FIFO count past the FIFO, reserved IER bits, a short section. */
	uint64_t old = state_poke(&s, STATE_UART, 0, 11, 1, UART_RX_FIFO + 1);
	assert_refused(uart_load(&g, &s, 0, &e), &e, "rx_count");
	state_poke(&s, STATE_UART, 0, 11, 1, old);
	old = state_poke(&s, STATE_UART, 0, 0, 1, 0x10);
	assert_refused(uart_load(&g, &s, 0, &e), &e, "ier");
	assert_refused(uart_load(&g, &s, 1, &e), &e, "uart #1");
	state_set_free(&s);
}

static void test_i8042_snapshot(void **state)
{
	struct i8042 k, g;
	struct state_set s;
	struct azerr e = { "" };
	(void)state;

	i8042_init(&k, -1, count_reset, NULL);
	i8042_init(&g, -1, count_reset, NULL);
	out8(&i8042_io_ops, &k, 0, 0xf2);      /* identify: ACK, 0xab, 0x83 */
	assert_int_equal(in8(&i8042_io_ops, &k, 0), 0xfa);
	out8(&i8042_io_ops, &k, 4, 0x60);      /* waits for the CTR byte */
	state_set_init(&s);
	assert_int_equal(i8042_save(&k, &s, 0, &e), 0);
	assert_int_equal(i8042_load(&g, &s, 0, &e), 0);
	assert_true(g.irq.level);
	assert_int_equal(in8(&i8042_io_ops, &g, 4) & 0x09, 0x09);  /* OBF, CMD */
	assert_int_equal(in8(&i8042_io_ops, &g, 0), 0xab);
	assert_int_equal(in8(&i8042_io_ops, &g, 0), 0x83);
	out8(&i8042_io_ops, &g, 0, 0x45);      /* the pending CTR write */
	out8(&i8042_io_ops, &g, 4, 0x20);
	assert_int_equal(in8(&i8042_io_ops, &g, 0), 0x45);

	uint64_t old = state_poke(&s, STATE_I8042, 0, 1, 1, 0xaa);
	assert_refused(i8042_load(&g, &s, 0, &e), &e, "pending_cmd");
	state_poke(&s, STATE_I8042, 0, 1, 1, old);
	state_poke(&s, STATE_I8042, 0, 4, 1, I8042_OUTBUF);
	assert_refused(i8042_load(&g, &s, 0, &e), &e, "out_head");
	state_set_free(&s);
	i8042_destroy(&k);
	i8042_destroy(&g);
}

static void test_rtc_snapshot(void **state)
{
	struct rtc r, g;
	struct state_set s;
	struct azerr e = { "" };
	(void)state;

	rtc_init(&r, fixed_time);
	rtc_init(&g, fixed_time);
	out8(&rtc_io_ops, &r, 0, 0x40);
	out8(&rtc_io_ops, &r, 1, 0x99);        /* CMOS RAM */
	out8(&rtc_io_ops, &r, 0, 0x0b);        /* index left at register B */
	state_set_init(&s);
	assert_int_equal(rtc_save(&r, &s, 0, &e), 0);
	assert_int_equal(rtc_load(&g, &s, 0, &e), 0);
	assert_int_equal(in8(&rtc_io_ops, &g, 1), 0x02);
	assert_int_equal(cmos(&g, 0x40), 0x99);

	uint64_t old = state_poke(&s, STATE_RTC, 0, 0, 1, 0x80);
	assert_refused(rtc_load(&g, &s, 0, &e), &e, "index");
	state_poke(&s, STATE_RTC, 0, 0, 1, old);
	state_poke(&s, STATE_RTC, 0, 4 + 0x0b, 1, 0x04);   /* binary mode */
	assert_refused(rtc_load(&g, &s, 0, &e), &e, "register B");
	state_set_free(&s);
	rtc_destroy(&r);
	rtc_destroy(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uart_transmit, uart_setup, uart_teardown),
		cmocka_unit_test_setup_teardown(test_uart_output_drops, uart_setup, uart_teardown),
		cmocka_unit_test_setup_teardown(test_uart_scratch_ier_and_fifo_id, uart_setup, uart_teardown),
		cmocka_unit_test_setup_teardown(test_uart_divisor_latch, uart_setup, uart_teardown),
		cmocka_unit_test_setup_teardown(test_uart_loopback, uart_setup, uart_teardown),
		cmocka_unit_test_setup_teardown(test_uart_rx_irq_and_backpressure, uart_setup, uart_teardown),
		cmocka_unit_test(test_uart_rx_room_signalled),
		cmocka_unit_test_setup_teardown(test_uart_thre_interrupt, uart_setup, uart_teardown),
		cmocka_unit_test(test_acpi_sleep),
		cmocka_unit_test(test_i8042_reset_paths),
		cmocka_unit_test(test_i8042_controller_answers),
		cmocka_unit_test(test_i8042_ctrl_alt_del),
		cmocka_unit_test(test_rtc_time_in_bcd),
		cmocka_unit_test(test_rtc_status_and_ram),
		cmocka_unit_test_setup_teardown(test_uart_snapshot, uart_setup, uart_teardown),
		cmocka_unit_test(test_i8042_snapshot),
		cmocka_unit_test(test_rtc_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
