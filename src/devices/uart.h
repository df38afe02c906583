/* A 16550A UART (COM1) wired to host file descriptors.
 *
 * Output bytes the guest writes to THR go straight to out_fd, unless a
 * filter set with uart_set_output drops them (a rate limit); a byte the
 * fd does not take at once (a full FIFO) is dropped too, rather than
 * stall the guest. Input arrives
 * through uart_push_input() from the main loop; the receive FIFO gives
 * backpressure: when it is full the main loop stops reading its input until
 * the guest drains it, so no byte is lost. */
#ifndef AZOTE_DEVICES_UART_H
#define AZOTE_DEVICES_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"
#include "base/io_bus.h"
#include "base/state.h"
#include "common/err.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ  4
#define UART_NR_REGS   8
#define UART_RX_FIFO   64

struct uart {
	pthread_mutex_t lock;
	struct irq_line irq;
	int out_fd;
	/* Asked under the lock before each byte goes out; false drops it. */
	bool (*out_allow)(void *ctx);
	void *out_ctx;
	int space_evfd;       /* written when the RX FIFO stops being full */

	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool fifo_enabled;
	bool thr_ipending;    /* THR-empty interrupt pending (cleared by IIR read) */
	uint8_t rx[UART_RX_FIFO];
	unsigned rx_head, rx_count;
	/* For metrics: bytes the guest sent, and those of them out_fd did
	 * not take (Firecracker's uart write_count, missed_write_count). */
	_Atomic uint64_t tx_bytes, tx_missed;
};

extern const struct io_ops uart_io_ops;

/* space_evfd may be -1 when nobody waits for input space (tests). */
void uart_init(struct uart *u, int vm_fd, unsigned gsi, int out_fd, int space_evfd);
/* Output to fd instead, each byte first passed to allow(ctx) (NULL: all
 * go). Before the guest runs. */
void uart_set_output(struct uart *u, int fd, bool (*allow)(void *ctx), void *ctx);
void uart_destroy(struct uart *u);
/* Queues up to len input bytes; returns how many were taken (0 when full). */
size_t uart_push_input(struct uart *u, const uint8_t *buf, size_t len);
/* Free room in the receive FIFO. */
size_t uart_rx_space(struct uart *u);

/* The registers and the receive FIFO as section STATE_UART #index; load
 * checks every field, then drives the interrupt line to what the loaded
 * registers say. */
int uart_save(struct uart *u, struct state_set *s, uint32_t index, struct azerr *e);
int uart_load(struct uart *u, const struct state_set *s, uint32_t index, struct azerr *e);

#endif
