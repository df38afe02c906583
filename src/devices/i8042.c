#include "devices/i8042.h"

#include <string.h>

/* Status register */
#define ST_OBF     0x01  /* output buffer full: data for the guest at 0x60 */
#define ST_SYS     0x04  /* system flag: self-test passed */
#define ST_CMD     0x08  /* last write was to the command port */

/* Controller configuration byte */
#define CTR_KBDINT 0x01
#define CTR_SYS    0x04
#define CTR_XLATE  0x40

/* Controller commands (port 0x64) */
#define CMD_READ_CTR    0x20
#define CMD_WRITE_CTR   0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE  0xa8
#define CMD_AUX_TEST    0xa9
#define CMD_SELF_TEST   0xaa
#define CMD_KBD_TEST    0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE  0xae
#define CMD_READ_OUTP   0xd0
#define CMD_WRITE_OUTP  0xd1
#define CMD_WRITE_KBD   0xd2
#define CMD_WRITE_AUX_OBUF 0xd3
#define CMD_WRITE_AUX   0xd4
#define CMD_PULSE_RESET 0xfe

/* Keyboard commands (port 0x60) and answers */
#define KBD_SET_LEDS    0xed
#define KBD_ECHO        0xee
#define KBD_SCANCODE    0xf0
#define KBD_IDENTIFY    0xf2
#define KBD_TYPEMATIC   0xf3
#define KBD_RESET       0xff
#define KBD_ACK         0xfa
#define KBD_BAT_OK      0xaa
#define KBD_RESEND      0xfe

#define OUTP_RESET_N    0x01  /* output port bit 0: CPU reset, active low */

static void i8042_update_irq(struct i8042 *k)
{
	irq_line_set(&k->irq, k->out_count && (k->ctr & CTR_KBDINT));
}

static void out_put(struct i8042 *k, uint8_t v)
{
	if (k->out_count == I8042_OUTBUF)
		return;
	k->out[(k->out_head + k->out_count) % I8042_OUTBUF] = v;
	k->out_count++;
}

static uint8_t out_get(struct i8042 *k)
{
	if (!k->out_count)
		return 0;
	uint8_t v = k->out[k->out_head];
	k->out_head = (k->out_head + 1) % I8042_OUTBUF;
	k->out_count--;
	return v;
}

static void pulse_reset(struct i8042 *k)
{
	if (k->reset)
		k->reset(k->reset_ctx);
}

static void controller_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		out_put(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD:
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case CMD_SELF_TEST:
		out_put(k, 0x55);
		break;
	case CMD_KBD_TEST:
		out_put(k, 0x00);
		break;
	case CMD_AUX_TEST:
		/* There is no mouse: report the aux clock line stuck low. */
		out_put(k, 0x01);
		break;
	case CMD_READ_OUTP:
		out_put(k, OUTP_RESET_N);
		break;
	case CMD_PULSE_RESET:
		pulse_reset(k);
		break;
	default:
		/* Enable/disable and the other pulse commands need no state. */
		break;
	}
}

static void keyboard_command(struct i8042 *k, uint8_t v)
{
	if (k->kbd_cmd) {
		/* The argument of LEDs, typematic or scancode-set commands. */
		k->kbd_cmd = 0;
		out_put(k, KBD_ACK);
		return;
	}
	switch (v) {
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCANCODE:
		k->kbd_cmd = v;
		out_put(k, KBD_ACK);
		break;
	case KBD_ECHO:
		out_put(k, KBD_ECHO);
		break;
	case KBD_IDENTIFY:
		out_put(k, KBD_ACK);
		out_put(k, 0xab); /* MF2 keyboard */
		out_put(k, 0x83);
		break;
	case KBD_RESET:
		out_put(k, KBD_ACK);
		out_put(k, KBD_BAT_OK);
		break;
	default:
		out_put(k, KBD_ACK);
		break;
	}
}

static void data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTP:
		if (!(v & OUTP_RESET_N))
			pulse_reset(k);
		break;
	case CMD_WRITE_KBD:
		out_put(k, v);
		break;
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		/* No mouse: the byte goes nowhere. */
		break;
	default:
		keyboard_command(k, v);
		break;
	}
}

/* One range covers 0x60..0x64: offset 0 is the data port, 4 the
 * status/command port; 0x61 (the PIT's speaker port) is handled inside KVM
 * and 0x62/0x63 decode to nothing. */
#define OFF_DATA 0
#define OFF_CMD  (I8042_CMD_PORT - I8042_DATA_PORT)

static void i8042_io_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct i8042 *k = opaque;
	uint8_t v = 0xff;

	memset(data, 0xff, len);
	pthread_mutex_lock(&k->lock);
	if (off == OFF_DATA) {
		v = out_get(k);
		/* Each byte is its own edge-triggered interrupt, as when a
		 * real controller loads the next byte into its one-byte
		 * output buffer: drop the line so that the next raise is an
		 * edge. */
		irq_line_set(&k->irq, false);
	} else if (off == OFF_CMD) {
		v = ST_SYS | (k->last_was_cmd ? ST_CMD : 0) |
		    (k->out_count ? ST_OBF : 0);
	}
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	*(uint8_t *)data = v;
}

static void i8042_io_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct i8042 *k = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	pthread_mutex_lock(&k->lock);
	if (off == OFF_DATA) {
		k->last_was_cmd = false;
		data_write(k, v);
	} else if (off == OFF_CMD) {
		k->last_was_cmd = true;
		controller_command(k, v);
	}
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

const struct io_ops i8042_io_ops = { .read = i8042_io_read, .write = i8042_io_write };

void i8042_init(struct i8042 *k, int vm_fd, void (*reset)(void *), void *ctx)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	irq_line_init(&k->irq, vm_fd, I8042_KBD_IRQ);
	k->reset = reset;
	k->reset_ctx = ctx;
	k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

int i8042_send_ctrl_alt_del(struct i8042 *k)
{
	/* Make codes for Ctrl, Alt, Del (E0 53), then the break codes. */
	static const uint8_t seq[] = {
		0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d,
	};
	int ret = -1;

	pthread_mutex_lock(&k->lock);
	if (I8042_OUTBUF - k->out_count >= sizeof(seq)) {
		for (size_t i = 0; i < sizeof(seq); i++)
			out_put(k, seq[i]);
		ret = 0;
	}
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

/* STATE_I8042's layout. */
struct i8042_wire {
	uint8_t ctr, pending_cmd, kbd_cmd, last_was_cmd;
	uint8_t out_head, out_count, pad[2];
	uint8_t out[I8042_OUTBUF];
};
_Static_assert(sizeof(struct i8042_wire) == 8 + I8042_OUTBUF, "no padding in i8042_wire");

int i8042_save(struct i8042 *k, struct state_set *s, uint32_t index, struct azerr *e)
{
	struct i8042_wire w;

	pthread_mutex_lock(&k->lock);
	w = (struct i8042_wire){
		.ctr = k->ctr, .pending_cmd = k->pending_cmd, .kbd_cmd = k->kbd_cmd,
		.last_was_cmd = k->last_was_cmd, .out_head = (uint8_t)k->out_head,
		.out_count = (uint8_t)k->out_count,
	};
	memcpy(w.out, k->out, sizeof(w.out));
	pthread_mutex_unlock(&k->lock);
	return state_put(s, STATE_I8042, index, &w, sizeof(w), e);
}

/* Only the commands that wait for a data byte are ever pending. */
static bool pending_ok(uint8_t c)
{
	return c == 0 || c == CMD_WRITE_CTR || c == CMD_WRITE_OUTP || c == CMD_WRITE_KBD ||
	       c == CMD_WRITE_AUX_OBUF || c == CMD_WRITE_AUX;
}

static bool kbd_cmd_ok(uint8_t c)
{
	return c == 0 || c == KBD_SET_LEDS || c == KBD_TYPEMATIC || c == KBD_SCANCODE;
}

static int i8042_check(const struct i8042_wire *w, uint32_t i, struct azerr *e)
{
	if (!pending_ok(w->pending_cmd))
		return state_refuse(e, STATE_I8042, i, "pending_cmd",
				    "0x%x is no command that takes a data byte", w->pending_cmd);
	if (!kbd_cmd_ok(w->kbd_cmd))
		return state_refuse(e, STATE_I8042, i, "kbd_cmd",
				    "0x%x is no keyboard command that takes an argument",
				    w->kbd_cmd);
	if (w->last_was_cmd > 1)
		return state_refuse(e, STATE_I8042, i, "last_was_cmd", "%u: not 0 or 1",
				    w->last_was_cmd);
	if (w->out_head >= I8042_OUTBUF || w->out_count > I8042_OUTBUF)
		return state_refuse(e, STATE_I8042, i, "out_head/out_count",
				    "%u/%u: outside a %d-byte buffer", w->out_head, w->out_count,
				    I8042_OUTBUF);
	return 0;
}

int i8042_load(struct i8042 *k, const struct state_set *s, uint32_t index, struct azerr *e)
{
	const struct i8042_wire *w = state_get(s, STATE_I8042, index, sizeof(*w), e);

	if (!w || i8042_check(w, index, e) < 0)
		return -1;
	pthread_mutex_lock(&k->lock);
	k->ctr = w->ctr;
	k->pending_cmd = w->pending_cmd;
	k->kbd_cmd = w->kbd_cmd;
	k->last_was_cmd = w->last_was_cmd;
	k->out_head = w->out_head;
	k->out_count = w->out_count;
	memcpy(k->out, w->out, sizeof(k->out));
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return 0;
}
