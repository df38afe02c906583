#include "devices/virtio_mmio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

/* Register offsets (§4.2.2). */
enum {
	R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
	R_DEVICE_FEATURES = 0x010, R_DEVICE_FEATURES_SEL = 0x014,
	R_DRIVER_FEATURES = 0x020, R_DRIVER_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050,
	R_INTERRUPT_STATUS = 0x060, R_INTERRUPT_ACK = 0x064, R_STATUS = 0x070,
	R_QUEUE_DESC_LOW = 0x080, R_QUEUE_DESC_HIGH = 0x084,
	R_QUEUE_DRIVER_LOW = 0x090, R_QUEUE_DRIVER_HIGH = 0x094,
	R_QUEUE_DEVICE_LOW = 0x0a0, R_QUEUE_DEVICE_HIGH = 0x0a4,
	R_SHM_SEL = 0x0ac, R_SHM_LEN_LOW = 0x0b0, R_SHM_LEN_HIGH = 0x0b4,
	R_SHM_BASE_LOW = 0x0b8, R_SHM_BASE_HIGH = 0x0bc,
	R_CONFIG_GENERATION = 0x0fc,
};

/* A configuration interrupt: azote's own edge on the device's line. */
static void notify_config(struct virtio_dev *vd)
{
	struct virtio_mmio *vm = vd->t_ctx;
	uint64_t one = 1;

	if (write(vm->config_fd, &one, sizeof(one)) < 0)
		log_debug("%s: configuration interrupt: %s", vd->p.name, strerror(errno));
}

static const struct virtio_transport_ops transport_ops = { .notify_config = notify_config };

/* Used-buffer interrupts reach the guest from the backend through the
 * irqfd, without azote, so azote cannot tell which edge was one. While
 * the device serves its driver it reports the queue bit on every read:
 * the driver then looks at its used rings, which costs nothing when they
 * hold nothing new (Linux's vm_interrupt calls vring_interrupt for each
 * queue). Not once it needs a reset or the driver failed it: then there
 * is nothing to look at, and a restored VM, where such a device does not
 * run, reads the same. */
static uint32_t interrupt_status(const struct virtio_dev *vd)
{
	return vd->isr | (virtio_dev_serving(vd) ? VIRTIO_ISR_QUEUE : 0);
}

static uint32_t reg_read(struct virtio_mmio *vm, unsigned off)
{
	struct virtio_dev *vd = &vm->vd;
	struct virtio_queue *q = virtio_dev_queue(vd);

	switch (off) {
	case R_MAGIC: return VIRTIO_MMIO_MAGIC;
	case R_VERSION: return VIRTIO_MMIO_VERSION;
	case R_DEVICE_ID: return vd->p.device_id;
	case R_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case R_DEVICE_FEATURES: return virtio_dev_device_features(vd);
	case R_QUEUE_NUM_MAX: return q ? q->max_size : 0;
	case R_QUEUE_READY: return q ? q->enabled : 0;
	case R_INTERRUPT_STATUS: return interrupt_status(vd);
	case R_STATUS: return vd->status;
	/* No shared memory regions: their length and base read as -1. */
	case R_SHM_LEN_LOW: case R_SHM_LEN_HIGH:
	case R_SHM_BASE_LOW: case R_SHM_BASE_HIGH: return 0xffffffff;
	case R_CONFIG_GENERATION: return vd->config_generation;
	default: return 0; /* write-only or reserved */
	}
}

static void queue_write(struct virtio_dev *vd, unsigned off, uint32_t v)
{
	struct virtio_queue *q = virtio_dev_queue(vd);

	if (!virtio_dev_queue_writable(vd, q)) {
		/* QueueReady 0 on a queue the device no longer runs (after a
		 * reset, or before DRIVER_OK) takes it back. */
		if (off == R_QUEUE_READY && q && !v && !vd->started)
			q->enabled = false;
		return;
	}
	switch (off) {
	case R_QUEUE_NUM: q->size = (uint16_t)v; break;
	case R_QUEUE_READY: q->enabled = v == 1; break;
	case R_QUEUE_DESC_LOW: case R_QUEUE_DESC_HIGH:
		virtio_set_half(&q->desc, off == R_QUEUE_DESC_HIGH, v);
		break;
	case R_QUEUE_DRIVER_LOW: case R_QUEUE_DRIVER_HIGH:
		virtio_set_half(&q->driver, off == R_QUEUE_DRIVER_HIGH, v);
		break;
	case R_QUEUE_DEVICE_LOW: case R_QUEUE_DEVICE_HIGH:
		virtio_set_half(&q->device, off == R_QUEUE_DEVICE_HIGH, v);
		break;
	}
}

static void reg_write(struct virtio_mmio *vm, unsigned off, uint32_t v)
{
	struct virtio_dev *vd = &vm->vd;

	switch (off) {
	case R_DEVICE_FEATURES_SEL: vd->device_feature_select = v; break;
	case R_DRIVER_FEATURES: virtio_dev_set_driver_features(vd, v); break;
	case R_DRIVER_FEATURES_SEL: vd->driver_feature_select = v; break;
	case R_QUEUE_SEL: vd->queue_select = (uint16_t)v; break;
	case R_QUEUE_NUM: case R_QUEUE_READY:
	case R_QUEUE_DESC_LOW: case R_QUEUE_DESC_HIGH:
	case R_QUEUE_DRIVER_LOW: case R_QUEUE_DRIVER_HIGH:
	case R_QUEUE_DEVICE_LOW: case R_QUEUE_DEVICE_HIGH:
		queue_write(vd, off, v);
		break;
	case R_QUEUE_NOTIFY: virtio_dev_kick(vd, v); break;
	case R_INTERRUPT_ACK: vd->isr &= (uint8_t)~v; break;
	case R_STATUS: virtio_dev_write_status(vd, (uint8_t)v); break;
	default: break; /* read-only, SHMSel (no regions), reserved */
	}
}

/* Control registers take 32-bit aligned accesses only (§4.2.2.2): others
 * read as 0 and are dropped. The configuration space takes any width. */
static void mmio_access(struct virtio_mmio *vm, uint64_t off, void *data, const void *wdata,
			unsigned len)
{
	pthread_mutex_lock(&vm->vd.lock);
	if (off >= VIRTIO_MMIO_CONFIG_OFF) {
		virtio_dev_config_access(&vm->vd, off - VIRTIO_MMIO_CONFIG_OFF, data, wdata, len);
	} else if (len != 4 || off % 4) {
		if (!wdata)
			memset(data, 0, len);
	} else if (wdata) {
		uint32_t v;
		memcpy(&v, wdata, 4);
		reg_write(vm, (unsigned)off, v);
	} else {
		uint32_t v = reg_read(vm, (unsigned)off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&vm->vd.lock);
}

static void mmio_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	mmio_access(opaque, off, data, NULL, len);
}

static void mmio_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	mmio_access(opaque, off, NULL, data, len);
}

static const struct io_ops mmio_ops = { .read = mmio_read, .write = mmio_write };

/* The queues' call fds, then config_fd, raise the device's line. */
static int irqfd_at(const struct virtio_mmio *vm, unsigned i)
{
	return i < vm->vd.p.nr_queues ? vm->vd.queues[i].call_fd : vm->config_fd;
}

static int wire(struct virtio_mmio *vm, struct azerr *e)
{
	const struct virtio_mmio_params *p = &vm->p;

	for (; vm->nr_irqfds <= p->dev.nr_queues; vm->nr_irqfds++)
		if (p->host->irqfd(p->host_ctx, p->gsi, irqfd_at(vm, vm->nr_irqfds), true) < 0)
			return azerr_set(e, "%s: cannot route its interrupts to GSI %u",
					 p->dev.name, p->gsi);
	for (; vm->nr_ioeventfds < p->dev.nr_queues; vm->nr_ioeventfds++)
		if (p->host->ioeventfd(p->host_ctx, p->base + R_QUEUE_NOTIFY, vm->nr_ioeventfds,
				       vm->vd.queues[vm->nr_ioeventfds].kick_fd, true) < 0)
			return azerr_set(e, "%s: cannot set the notify ioeventfd of queue %u: %s",
					 p->dev.name, vm->nr_ioeventfds, strerror(errno));
	return 0;
}

int virtio_mmio_init(struct virtio_mmio *vm, const struct virtio_mmio_params *p,
		     struct azerr *e)
{
	memset(vm, 0, sizeof(*vm));
	vm->config_fd = -1;
	if (virtio_dev_init(&vm->vd, &p->dev, VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG_OFF,
			    &transport_ops, vm, e) < 0)
		return -1;
	vm->p = *p;
	vm->config_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->config_fd < 0) {
		azerr_set(e, "%s: cannot create an eventfd: %s", p->dev.name, strerror(errno));
		goto fail;
	}
	if (wire(vm, e) < 0 ||
	    io_bus_register(p->bus, p->base, VIRTIO_MMIO_SIZE, &mmio_ops, vm, e) < 0)
		goto fail;
	vm->registered = true;
	virtio_dev_reset(&vm->vd);
	return 0;
fail:
	virtio_mmio_destroy(vm);
	return -1;
}

void virtio_mmio_destroy(struct virtio_mmio *vm)
{
	const struct virtio_mmio_params *p = &vm->p;

	if (!vm->vd.p.name)
		return;
	if (vm->registered)
		io_bus_unregister(p->bus, p->base, vm);
	vm->registered = false;
	/* The backend stops before its eventfds stop reaching the guest. */
	virtio_dev_stop(&vm->vd);
	while (vm->nr_ioeventfds--)
		p->host->ioeventfd(p->host_ctx, p->base + R_QUEUE_NOTIFY, vm->nr_ioeventfds,
				   vm->vd.queues[vm->nr_ioeventfds].kick_fd, false);
	vm->nr_ioeventfds = 0;
	while (vm->nr_irqfds--)
		p->host->irqfd(p->host_ctx, p->gsi, irqfd_at(vm, vm->nr_irqfds), false);
	vm->nr_irqfds = 0;
	if (vm->config_fd >= 0)
		close(vm->config_fd);
	vm->config_fd = -1;
	virtio_dev_destroy(&vm->vd);
}

int virtio_mmio_cmdline_arg(uint64_t base, unsigned gsi, char *buf, size_t len)
{
	int n = snprintf(buf, len, "virtio_mmio.device=%uK@0x%llx:%u", VIRTIO_MMIO_SIZE / 1024,
			 (unsigned long long)base, gsi);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* STATE_VIRTIO_MMIO's layout. */
struct virtio_mmio_wire {
	uint64_t base;
	uint32_t gsi, pad;
};

int virtio_mmio_save(struct virtio_mmio *vm, struct state_set *s, uint32_t index,
		     struct azerr *e)
{
	struct virtio_mmio_wire w = { .base = vm->p.base, .gsi = vm->p.gsi };

	if (virtio_dev_save(&vm->vd, s, index, e) < 0)
		return -1;
	return state_put(s, STATE_VIRTIO_MMIO, index, &w, sizeof(w), e);
}

int virtio_mmio_load(struct virtio_mmio *vm, const struct state_set *s, uint32_t index,
		     const struct guest_mem *mem, struct azerr *e)
{
	const struct virtio_mmio_wire *w = state_get(s, STATE_VIRTIO_MMIO, index, sizeof(*w), e);

	if (!w)
		return -1;
	/* The guest found the device through ACPI or the command line at
	 * boot; it cannot have moved. */
	if (w->base != vm->p.base || w->gsi != vm->p.gsi)
		return state_refuse(e, STATE_VIRTIO_MMIO, index, "window",
				    "0x%llx on line %u: %s is at 0x%llx on line %u",
				    (unsigned long long)w->base, w->gsi, vm->vd.p.name,
				    (unsigned long long)vm->p.base, vm->p.gsi);
	return virtio_dev_load(&vm->vd, s, index, mem, e);
}
