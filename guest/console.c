/* COM1 16550 output. Every character is a port write (a VM exit), so
 * lines are formatted first and written under a lock shared by all CPUs. */
#include "io.h"
#include "lib.h"

#define COM1        0x3f8
#define UART_THR    0
#define UART_IER    1
#define UART_DLL    0
#define UART_DLM    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_THRE    0x20
#define LCR_DLAB    0x80
#define LCR_8N1     0x03

static volatile u32 console_lock;

void console_init(void)
{
	outb(COM1 + UART_IER, 0);         /* polled: no interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);         /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);      /* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);      /* DTR, RTS */
}

static void serial_putc(char c)
{
	/* A missing or stuck UART must not hang the probe: bounded wait. */
	for (unsigned i = 0; i < 100000; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (u8)c);
}

/* The strings one after the other, as one piece of output: no other CPU's
 * line comes between them. */
void console_write(const char *const *parts, unsigned nr)
{
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (unsigned p = 0; p < nr; p++)
		for (const char *c = parts[p]; *c; c++)
			serial_putc(*c);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void printk(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	/* vsnprintf ends a line it cuts with its NUL. */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_write((const char *const[]){ line }, 1);
}

/* A fatal trap may have interrupted a printk: take the lock over. */
void console_break_lock(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}
