/* COM1's output as Firecracker's PUT /serial sets it: a file or FIFO in
 * place of stdout, opened as Firecracker opens it (read-write and
 * non-blocking, created if missing: a FIFO with no reader yet is no
 * error, and a full one drops bytes instead of stalling the guest), and a
 * token bucket on its bytes, the excess dropped and counted (Firecracker's
 * uart.rate_limiter_dropped_bytes). Where it differs: a regular file is
 * appended to, where Firecracker writes over it from its first byte. */
#ifndef AZOTE_VMM_SERIAL_OUT_H
#define AZOTE_VMM_SERIAL_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "iface/ratelimit.h"
#include "vmm/vm_config.h"

struct serial_out {
	int fd;                     /* the file's, or -1: stdout */
	bool limited;
	struct ratelimit rl;        /* used under the UART's lock */
	_Atomic uint64_t dropped;   /* bytes the bucket refused */
};

/* From c (its path opened, its bucket set up); fd -1 and no limit when c
 * asks for neither. The error names the path. */
int serial_out_open(struct serial_out *s, const struct serial_config *c, struct azerr *e);
/* The UART's filter (uart_set_output): whether one more byte may go. */
bool serial_out_allow(void *ctx);
void serial_out_close(struct serial_out *s);

#endif
