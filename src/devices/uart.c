/* 16550A UART model. Register semantics from the National Semiconductor
 * PC16550D data sheet; enough of them (scratch, IER read-back, loopback,
 * FIFO identification in IIR) for Linux's 8250 autoconfig to detect a
 * 16550A and drive it with interrupts. */
#include "devices/uart.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/log.h"

enum {
	REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDI    0x01  /* received data available */
#define IER_THRI   0x02  /* THR empty */
#define IER_RLSI   0x04  /* receiver line status */
#define IER_MSI    0x08  /* modem status */
#define IER_MASK   0x0f

#define IIR_NONE   0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_FIFO   0xc0

#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02

#define LCR_DLAB   0x80

#define MCR_DTR    0x01
#define MCR_RTS    0x02
#define MCR_OUT1   0x04
#define MCR_OUT2   0x08
#define MCR_LOOP   0x10
#define MCR_MASK   0x1f

#define LSR_DR     0x01
#define LSR_OE     0x02
#define LSR_THRE   0x20
#define LSR_TEMT   0x40

#define MSR_CTS    0x10
#define MSR_DSR    0x20
#define MSR_RI     0x40
#define MSR_DCD    0x80

/* The interrupt the UART would report now, highest priority first. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr & LSR_OE))
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & 0x0f))
		return IIR_MSI;
	return IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
	irq_line_set(&u->irq, uart_iir_id(u) != IIR_NONE);
}

static void rx_put(struct uart *u, uint8_t c)
{
	if (u->rx_count == UART_RX_FIFO) {
		u->lsr |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = c;
	u->rx_count++;
	u->lsr |= LSR_DR;
}

/* Whoever feeds input stops while the FIFO is full (the console stops
 * reading the terminal): tells it there is room again. */
static void rx_room(struct uart *u)
{
	uint64_t one = 1;

	if (u->space_evfd >= 0 && write(u->space_evfd, &one, sizeof(one)) < 0)
		log_debug("uart: cannot signal input space: %s", strerror(errno));
}

static uint8_t rx_get(struct uart *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t c = u->rx[u->rx_head];
	bool was_full = u->rx_count == UART_RX_FIFO;
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
	if (--u->rx_count == 0)
		u->lsr &= ~LSR_DR;
	if (was_full)
		rx_room(u);
	return c;
}

/* When the console is gone (EPIPE, EIO) or full (even a blocking stdout
 * nobody reads) the byte is dropped rather than stalling the guest's vCPU,
 * and with it a pause or the VM's end, which wait for that vCPU. */
static void put_out(struct uart *u, uint8_t c)
{
	if (write_now(u->out_fd, &c, 1) != 1)
		u->tx_missed++;
}

static void transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		rx_put(u, c);
	} else {
		u->tx_bytes++;
		if (!u->out_allow || u->out_allow(u->out_ctx))
			put_out(u, c);
	}
	/* The transmitter is infinitely fast: THR is empty again at once. */
	u->lsr |= LSR_THRE | LSR_TEMT;
	u->thr_ipending = true;
}

/* In loopback mode the modem status inputs are wired to the control
 * outputs (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD). */
static uint8_t loop_msr(uint8_t mcr)
{
	return (uint8_t)(((mcr & MCR_DTR) ? MSR_DSR : 0) |
			 ((mcr & MCR_RTS) ? MSR_CTS : 0) |
			 ((mcr & MCR_OUT1) ? MSR_RI : 0) |
			 ((mcr & MCR_OUT2) ? MSR_DCD : 0));
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
	uint8_t v, id;

	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		return rx_get(u);
	case REG_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case REG_IIR_FCR:
		id = uart_iir_id(u);
		/* Reading IIR while it reports THR empty acknowledges it. */
		if (id == IIR_THRI)
			u->thr_ipending = false;
		return (uint8_t)(id | (u->fifo_enabled ? IIR_FIFO : 0));
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = u->lsr;
		u->lsr &= ~LSR_OE; /* overrun is cleared by reading LSR */
		return v;
	case REG_MSR:
		if (u->mcr & MCR_LOOP)
			return loop_msr(u->mcr);
		v = u->msr;
		u->msr &= 0xf0; /* delta bits clear on read */
		return v;
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			transmit(u, v);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling the THR-empty interrupt with THR empty raises it. */
		if (!(u->ier & IER_THRI) && (v & IER_THRI) && (u->lsr & LSR_THRE))
			u->thr_ipending = true;
		u->ier = v & IER_MASK;
		break;
	case REG_IIR_FCR:
		u->fifo_enabled = v & FCR_ENABLE;
		if (v & FCR_CLR_RX) {
			/* Linux's 8250 clears the FIFOs when the port opens:
			 * input typed before then must not stop the console. */
			if (u->rx_count == UART_RX_FIFO)
				rx_room(u);
			u->rx_count = 0;
			u->lsr &= ~LSR_DR;
		}
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & MCR_MASK;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
}

static void uart_io_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct uart *u = opaque;

	memset(data, 0xff, len);
	pthread_mutex_lock(&u->lock);
	*(uint8_t *)data = uart_read_reg(u, (unsigned)off);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_io_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct uart *u = opaque;
	(void)len;

	pthread_mutex_lock(&u->lock);
	uart_write_reg(u, (unsigned)off, *(const uint8_t *)data);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

const struct io_ops uart_io_ops = { .read = uart_io_read, .write = uart_io_write };

void uart_init(struct uart *u, int vm_fd, unsigned gsi, int out_fd, int space_evfd)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	irq_line_init(&u->irq, vm_fd, gsi);
	u->out_fd = out_fd;
	u->space_evfd = space_evfd;
	u->lsr = LSR_THRE | LSR_TEMT;
	/* Carrier and data-set-ready up, as a connected terminal. */
	u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	u->mcr = MCR_OUT2;
}

void uart_set_output(struct uart *u, int fd, bool (*allow)(void *ctx), void *ctx)
{
	u->out_fd = fd;
	u->out_allow = allow;
	u->out_ctx = ctx;
}

void uart_destroy(struct uart *u)
{
	pthread_mutex_destroy(&u->lock);
}

size_t uart_push_input(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < UART_RX_FIFO)
		rx_put(u, buf[n++]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart_rx_space(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	size_t n = UART_RX_FIFO - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return n;
}

/* STATE_UART's layout. The interrupt line's level is not saved: it follows
 * from the registers (uart_iir_id). */
struct uart_wire {
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
	uint8_t fifo_enabled, thr_ipending, rx_head, rx_count;
	uint8_t rx[UART_RX_FIFO];
};
_Static_assert(sizeof(struct uart_wire) == 12 + UART_RX_FIFO, "no padding in uart_wire");

int uart_save(struct uart *u, struct state_set *s, uint32_t index, struct azerr *e)
{
	struct uart_wire w;

	pthread_mutex_lock(&u->lock);
	w = (struct uart_wire){
		.ier = u->ier, .lcr = u->lcr, .mcr = u->mcr, .lsr = u->lsr, .msr = u->msr,
		.scr = u->scr, .dll = u->dll, .dlm = u->dlm, .fifo_enabled = u->fifo_enabled,
		.thr_ipending = u->thr_ipending, .rx_head = (uint8_t)u->rx_head,
		.rx_count = (uint8_t)u->rx_count,
	};
	memcpy(w.rx, u->rx, sizeof(w.rx));
	pthread_mutex_unlock(&u->lock);
	return state_put(s, STATE_UART, index, &w, sizeof(w), e);
}

static int uart_check(const struct uart_wire *w, uint32_t i, struct azerr *e)
{
	if (w->ier & ~IER_MASK)
		return state_refuse(e, STATE_UART, i, "ier", "0x%x has reserved bits", w->ier);
	if (w->mcr & ~MCR_MASK)
		return state_refuse(e, STATE_UART, i, "mcr", "0x%x has reserved bits", w->mcr);
	if (w->fifo_enabled > 1 || w->thr_ipending > 1)
		return state_refuse(e, STATE_UART, i, "fifo_enabled/thr_ipending",
				    "%u/%u: not 0 or 1", w->fifo_enabled, w->thr_ipending);
	if (w->rx_head >= UART_RX_FIFO || w->rx_count > UART_RX_FIFO)
		return state_refuse(e, STATE_UART, i, "rx_head/rx_count",
				    "%u/%u: outside a %d-byte FIFO", w->rx_head, w->rx_count,
				    UART_RX_FIFO);
	return 0;
}

int uart_load(struct uart *u, const struct state_set *s, uint32_t index, struct azerr *e)
{
	const struct uart_wire *w = state_get(s, STATE_UART, index, sizeof(*w), e);

	if (!w || uart_check(w, index, e) < 0)
		return -1;
	pthread_mutex_lock(&u->lock);
	u->ier = w->ier;
	u->lcr = w->lcr;
	u->mcr = w->mcr;
	u->lsr = w->lsr;
	u->msr = w->msr;
	u->scr = w->scr;
	u->dll = w->dll;
	u->dlm = w->dlm;
	u->fifo_enabled = w->fifo_enabled;
	u->thr_ipending = w->thr_ipending;
	u->rx_head = w->rx_head;
	u->rx_count = w->rx_count;
	memcpy(u->rx, w->rx, sizeof(u->rx));
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}
