/* virtio over MMIO, Version 2 only (virtio 1.2, 4.2): the devices the
 * command line names (virtio_mmio.h), checked as 4.2.3.1.1 asks (magic,
 * version, then device ID; ID 0 is an empty slot), and the register
 * accesses behind struct virtio_ops. A legacy (Version 1) device, a bad
 * magic value or a malformed argument makes the test FAIL naming it. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "probe.h"
#include "virtio.h"
#include "virtio_mmio.h"
#include "x86.h"

#define ARG_KEY "virtio_mmio.device"

static const char *find_char(const char *s, const char *end, char c)
{
	while (s < end && *s != c)
		s++;
	return s;
}

static bool parse_range(const char *s, const char *end, u64 *v)
{
	return s < end && parse_u64(s, (size_t)(end - s), v);
}

bool virtio_mmio_parse(const char *s, size_t len, struct virtio_mmio_window *w)
{
	const char *end = s + len, *at = find_char(s, end, '@');
	const char *colon = find_char(at, end, ':');
	const char *id = colon < end ? find_char(colon + 1, end, ':') : end;
	const char *size_end = at;
	u64 mul = 1, size, base, irq, ignored;

	if (at == end || colon == end)
		return false;
	if (size_end > s) {
		switch (size_end[-1]) {
		case 'K': case 'k': mul = 1024; break;
		case 'M': case 'm': mul = MIB; break;
		case 'G': case 'g': mul = GIB; break;
		}
		if (mul > 1)
			size_end--;
	}
	if (!parse_range(s, size_end, &size) || size > ~0ULL / mul ||
	    !parse_range(at + 1, colon, &base) ||
	    !parse_range(colon + 1, id, &irq) || irq > 0xffffffffULL ||
	    (id < end && !parse_range(id + 1, end, &ignored)))
		return false;
	size *= mul;
	/* The registers must fit, aligned for 32-bit accesses. */
	if (size < VIRTIO_MMIO_CONFIG || base % 4 || base + size < base)
		return false;
	w->base = base;
	w->size = size;
	w->irq = (u32)irq;
	return true;
}

bool virtio_mmio_described(void)
{
	const char *pos = NULL, *val;
	size_t len;

	return cmdline_next(ARG_KEY, &pos, &val, &len);
}

static u32 rd(struct virtio_dev *v, u32 off)
{
	return mmio_read32(v->mmio.base + off);
}

static void wr(struct virtio_dev *v, u32 off, u32 val)
{
	mmio_write32(v->mmio.base + off, val);
}

static u8 mmio_get_status(struct virtio_dev *v)
{
	return (u8)rd(v, VIRTIO_MMIO_STATUS);
}

static void mmio_set_status(struct virtio_dev *v, u8 status)
{
	wr(v, VIRTIO_MMIO_STATUS, status);
}

static u32 mmio_get_features(struct virtio_dev *v, u32 word)
{
	wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, word);
	return rd(v, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void mmio_set_features(struct virtio_dev *v, u32 word, u32 bits)
{
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, word);
	wr(v, VIRTIO_MMIO_DRIVER_FEATURES, bits);
}

/* 4.2.3.2: select, check the queue is not in use, read its maximum (0:
 * not available). */
static bool mmio_queue_select(struct virtio_dev *v, u16 index, u32 *max)
{
	wr(v, VIRTIO_MMIO_QUEUE_SEL, index);
	if (rd(v, VIRTIO_MMIO_QUEUE_READY)) {
		v->why = "reason=queue_enabled_after_reset";
		return false;
	}
	*max = rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (*max == 0) {
		v->why = "reason=queue_missing";
		return false;
	}
	return true;
}

static bool mmio_queue_enable(struct virtio_dev *v, struct virtq *q)
{
	u64 b = v->mmio.base;

	wr(v, VIRTIO_MMIO_QUEUE_NUM, q->size);
	mmio_write64_halves(b + VIRTIO_MMIO_QUEUE_DESC, (u64)q->desc);
	mmio_write64_halves(b + VIRTIO_MMIO_QUEUE_DRIVER, (u64)q->avail);
	mmio_write64_halves(b + VIRTIO_MMIO_QUEUE_DEVICE, (u64)q->used);
	q->notify = b + VIRTIO_MMIO_QUEUE_NOTIFY;
	wr(v, VIRTIO_MMIO_QUEUE_READY, 1);
	return true;
}

/* Without VIRTIO_F_NOTIFICATION_DATA: the queue's index (4.2.3.3), in
 * a 32-bit write as every register access. */
static void mmio_notify(struct virtq *q)
{
	mmio_write32(q->notify, q->index);
}

static u32 mmio_config_generation(struct virtio_dev *v)
{
	return rd(v, VIRTIO_MMIO_CONFIG_GENERATION);
}

static const struct virtio_ops mmio_ops = {
	.name = "mmio",
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_features = mmio_get_features,
	.set_features = mmio_set_features,
	.queue_select = mmio_queue_select,
	.queue_enable = mmio_queue_enable,
	.notify = mmio_notify,
	.config_generation = mmio_config_generation,
};

/* The windows the command line names, and the reason after a failure. */
static struct virtio_mmio_window windows[VIRTIO_MMIO_MAX_DEVS];
static unsigned nr_windows;
static char why[160];

static const char *set_why(const char *fmt, ...) PRINTF(1, 2);
static const char *set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return why;
}

/* Parses the windows once: NULL, or a key=value reason (kept) if an
 * argument is unusable. */
static const char *parse_windows(void)
{
	static bool parsed;
	static char error[128];
	const char *pos = NULL, *val;
	size_t len;

	if (parsed)
		return error[0] ? error : NULL;
	parsed = true;
	while (cmdline_next(ARG_KEY, &pos, &val, &len)) {
		char arg[64];

		if (nr_windows == VIRTIO_MMIO_MAX_DEVS) {
			snprintf(error, sizeof(error),
				 "reason=virtio_mmio_too_many max=%u",
				 VIRTIO_MMIO_MAX_DEVS);
			return error;
		}
		if (!virtio_mmio_parse(val, len, &windows[nr_windows])) {
			len = MIN(len, sizeof(arg) - 1);
			memcpy(arg, val, len);
			arg[len] = '\0';
			snprintf(error, sizeof(error), "reason=virtio_mmio_bad_arg "
				 ARG_KEY "=%s", arg);
			return error;
		}
		nr_windows++;
	}
	return NULL;
}

/* Maps the window and checks it is a modern virtio-mmio device: its
 * device ID (0: an empty slot), or NULL and the reason. */
static const char *window_device(const struct virtio_mmio_window *w, u32 *id)
{
	unsigned long base = (unsigned long)w->base;
	u32 magic, version;

	if (bootinfo_overlaps_ram(w->base, w->size))
		return set_why("reason=virtio_mmio_in_ram mmio=0x%lx", base);
	if (syscall2(SYS_MAP_MMIO, w->base, w->size))
		return set_why("reason=virtio_mmio_unmappable mmio=0x%lx",
			       base);
	magic = mmio_read32(w->base + VIRTIO_MMIO_MAGIC_VALUE);
	if (magic != VIRTIO_MMIO_MAGIC)
		return set_why("reason=virtio_mmio_bad_magic mmio=0x%lx "
			       "magic=0x%x", base, magic);
	version = mmio_read32(w->base + VIRTIO_MMIO_VERSION);
	if (version == 1)
		return set_why("reason=virtio_mmio_legacy mmio=0x%lx version=1",
			       base);
	if (version != VIRTIO_MMIO_VERSION_MODERN)
		return set_why("reason=virtio_mmio_bad_version mmio=0x%lx "
			       "version=%u", base, version);
	*id = mmio_read32(w->base + VIRTIO_MMIO_DEVICE_ID);
	return NULL;
}

bool virtio_mmio_find(struct virtio_dev *v, unsigned type, unsigned index,
		      struct report *r)
{
	if ((v->why = parse_windows()))
		return false;
	for (unsigned i = 0; i < nr_windows; i++) {
		const struct virtio_mmio_window *w = &windows[i];
		u32 id = 0;

		if ((v->why = window_device(w, &id)))
			return false;
		if (id != type || index-- != 0)
			continue;
		rep_kv(r, "mmio=0x%lx irq=%u", (unsigned long)w->base, w->irq);
		v->mmio.base = w->base;
		v->device_cfg = w->base + VIRTIO_MMIO_CONFIG;
		v->device_cfg_len = (u32)MIN(w->size - VIRTIO_MMIO_CONFIG,
					     0xffffffffULL);
		v->ops = &mmio_ops;
		return true;
	}
	v->why = set_why("reason=no_virtio_%s mmio_devices=%u",
			 virtio_type_name(type), nr_windows);
	return false;
}
