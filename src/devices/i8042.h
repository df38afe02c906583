/* The i8042 keyboard controller, reduced to what a microVM needs: the
 * guest's reset line (command 0xFE, or output-port bit 0 cleared through
 * command 0xD1), a controller that Linux's i8042 driver probes without
 * complaint, and a keyboard that can type Ctrl-Alt-Del for the API's
 * SendCtrlAltDel. */
#ifndef AZOTE_DEVICES_I8042_H
#define AZOTE_DEVICES_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "base/io_bus.h"
#include "base/state.h"
#include "common/err.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64
#define I8042_KBD_IRQ   1
#define I8042_OUTBUF    16

struct i8042 {
	pthread_mutex_t lock;
	struct irq_line irq;
	void (*reset)(void *ctx);  /* the guest pulsed the reset line */
	void *reset_ctx;

	uint8_t ctr;          /* controller configuration ("command byte") */
	uint8_t pending_cmd;  /* command waiting for its data byte, or 0 */
	uint8_t kbd_cmd;      /* keyboard command waiting for its argument */
	bool last_was_cmd;    /* status bit 3 */
	uint8_t out[I8042_OUTBUF];
	unsigned out_head, out_count;
};

/* Register for ports 0x60..0x64 (one range of 5). */
#define I8042_PORT_LEN 5
extern const struct io_ops i8042_io_ops;

void i8042_init(struct i8042 *k, int vm_fd, void (*reset)(void *), void *ctx);
void i8042_destroy(struct i8042 *k);
/* Types Ctrl-Alt-Del (set-1 scancodes, as the controller translates them)
 * and interrupts the guest. Returns -1 if the buffer has no room. */
int i8042_send_ctrl_alt_del(struct i8042 *k);

/* The controller as section STATE_I8042 #index (configuration byte,
 * commands waiting for their data byte, the output buffer); load checks
 * every field and drives the interrupt line as the state says. */
int i8042_save(struct i8042 *k, struct state_set *s, uint32_t index, struct azerr *e);
int i8042_load(struct i8042 *k, const struct state_set *s, uint32_t index, struct azerr *e);

#endif
