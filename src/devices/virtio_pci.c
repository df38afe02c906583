#include "devices/virtio_pci.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

/* Virtio PCI capability (§4.1.4): cfg_type values and layout. */
#define PCI_CAP_ID_VNDR              0x09
#define VIRTIO_PCI_CAP_COMMON_CFG    1
#define VIRTIO_PCI_CAP_NOTIFY_CFG    2
#define VIRTIO_PCI_CAP_ISR_CFG       3
#define VIRTIO_PCI_CAP_DEVICE_CFG    4
#define VIRTIO_PCI_CAP_PCI_CFG       5
#define CAP_LEN          16
#define CAP_NOTIFY_LEN   20
#define CAP_PCI_CFG_LEN  20
#define CAP_OFF_TYPE     3
#define CAP_OFF_BAR      4
#define CAP_OFF_OFFSET   8
#define CAP_OFF_LENGTH   12
#define CAP_OFF_MULT     16
#define CAP_OFF_DATA     16   /* pci_cfg_data in the PCI_CFG capability */

/* Common configuration structure offsets (§4.1.4.3). */
enum {
	CC_DFSELECT = 0x00, CC_DF = 0x04, CC_GFSELECT = 0x08, CC_GF = 0x0c,
	CC_MSIX_CONFIG = 0x10, CC_NUM_QUEUES = 0x12, CC_STATUS = 0x14,
	CC_CFG_GENERATION = 0x15, CC_Q_SELECT = 0x16, CC_Q_SIZE = 0x18,
	CC_Q_MSIX = 0x1a, CC_Q_ENABLE = 0x1c, CC_Q_NOFF = 0x1e,
	CC_Q_DESCLO = 0x20, CC_Q_DESCHI = 0x24, CC_Q_AVAILLO = 0x28,
	CC_Q_AVAILHI = 0x2c, CC_Q_USEDLO = 0x30, CC_Q_USEDHI = 0x34,
	CC_Q_NOTIFY_DATA = 0x38, CC_Q_RESET = 0x3a,
};

#define ISR_QUEUE   0x1
#define ISR_CONFIG  0x2

uint64_t virtio_pci_transport_features(uint64_t device_features)
{
	/* Features that change how the transport itself behaves and that
	 * azote does not implement are never offered, whatever the backend
	 * says: notification data, per-queue reset, SR-IOV, platform access
	 * and ordering (no IOMMU, no real hardware), packed rings are the
	 * backend's business and stay if offered. */
	uint64_t hide = 1ULL << VIRTIO_F_NOTIFICATION_DATA | 1ULL << VIRTIO_F_RING_RESET |
			1ULL << VIRTIO_F_SR_IOV | 1ULL << VIRTIO_F_ACCESS_PLATFORM |
			1ULL << VIRTIO_F_ORDER_PLATFORM;

	return (device_features & ~hide) | 1ULL << VIRTIO_F_VERSION_1;
}

static struct virtio_queue *selected_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->p.nr_queues ? &vp->queues[vp->queue_select] : NULL;
}

static void notify_config(struct virtio_pci *vp)
{
	vp->isr |= ISR_CONFIG;
	msix_notify(&vp->msix, vp->config_vector);
}

static void reset(struct virtio_pci *vp)
{
	if (vp->started && vp->p.ops->stop)
		vp->p.ops->stop(vp->p.ops_ctx);
	vp->started = false;
	vp->driver_features = 0;
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->queue_select = 0;
	vp->status = 0;
	vp->isr = 0;
	vp->config_vector = MSIX_NO_VECTOR;
	for (unsigned i = 0; i < vp->p.nr_queues; i++) {
		struct virtio_queue *q = &vp->queues[i];
		q->size = q->max_size;
		q->msix_vector = MSIX_NO_VECTOR;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
		msix_source_set_vector(&vp->msix, (unsigned)q->msix_source, MSIX_NO_VECTOR);
	}
}

static bool features_ok(const struct virtio_pci *vp)
{
	return !(vp->driver_features & ~vp->device_features) &&
	       (vp->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

static bool bus_master(const struct virtio_pci *vp)
{
	return pci_cfg_read(&vp->pci, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
}

/* DRIVER_OK: check what the driver set up, then hand it to the backend. */
static int start(struct virtio_pci *vp, struct azerr *e)
{
	/* The backend reads and writes guest memory: that is DMA, which a
	 * PCI function may only do with bus mastering on. */
	if (!bus_master(vp))
		return azerr_set(e, "bus mastering is off in the PCI command register");
	for (unsigned i = 0; i < vp->p.nr_queues; i++) {
		const struct virtio_queue *q = &vp->queues[i];
		if (q->enabled && (!q->size || q->size > q->max_size || (q->size & (q->size - 1))))
			return azerr_set(e, "queue %u size %u is not a power of two up to %u",
					 i, q->size, q->max_size);
	}
	if (vp->p.ops->start(vp->p.ops_ctx, vp->driver_features, vp->queues,
			     vp->p.nr_queues, e) < 0)
		return -1;
	vp->started = true;
	return 0;
}

static void write_status(struct virtio_pci *vp, uint8_t v)
{
	struct azerr e;
	uint8_t old = vp->status;

	if (v == 0) {
		reset(vp);
		return;
	}
	/* The driver only adds bits; NEEDS_RESET is the device's to set. */
	v = (uint8_t)((v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) | (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_ok(vp)) {
		log_info("%s: refusing driver features 0x%llx (device offers 0x%llx)",
			 vp->p.name, (unsigned long long)vp->driver_features,
			 (unsigned long long)vp->device_features);
		v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	vp->status = v;
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    !(v & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_DEVICE_NEEDS_RESET))) {
		if (!(v & VIRTIO_STATUS_FEATURES_OK) || start(vp, &e) < 0) {
			if (!(v & VIRTIO_STATUS_FEATURES_OK))
				azerr_set(&e, "DRIVER_OK without FEATURES_OK");
			log_warn("%s: cannot start: %s", vp->p.name, e.msg);
			vp->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
			notify_config(vp);
		}
	}
}

static uint16_t checked_vector(struct virtio_pci *vp, uint16_t v)
{
	return msix_vector_valid(&vp->msix, v) ? v : MSIX_NO_VECTOR;
}

/* Queue fields are the driver's until it enables the queue (§4.1.4.3.2). */
static bool queue_writable(const struct virtio_queue *q, const struct virtio_pci *vp)
{
	return q && !q->enabled && !(vp->status & VIRTIO_STATUS_DRIVER_OK);
}

static void set_half(uint64_t *field, bool high, uint32_t v)
{
	if (high)
		*field = (*field & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*field = (*field & ~0xffffffffULL) | v;
}

static uint32_t common_read(struct virtio_pci *vp, unsigned off)
{
	struct virtio_queue *q = selected_queue(vp);

	switch (off) {
	case CC_DFSELECT: return vp->device_feature_select;
	case CC_DF:
		return vp->device_feature_select < 2 ?
		       (uint32_t)(vp->device_features >> (32 * vp->device_feature_select)) : 0;
	case CC_GFSELECT: return vp->driver_feature_select;
	case CC_GF:
		return vp->driver_feature_select < 2 ?
		       (uint32_t)(vp->driver_features >> (32 * vp->driver_feature_select)) : 0;
	case CC_MSIX_CONFIG: return vp->config_vector;
	case CC_NUM_QUEUES: return vp->p.nr_queues;
	case CC_STATUS: return vp->status;
	case CC_CFG_GENERATION: return vp->config_generation;
	case CC_Q_SELECT: return vp->queue_select;
	case CC_Q_SIZE: return q ? q->size : 0;
	case CC_Q_MSIX: return q ? q->msix_vector : MSIX_NO_VECTOR;
	case CC_Q_ENABLE: return q ? q->enabled : 0;
	case CC_Q_NOFF: return q ? vp->queue_select : 0;
	case CC_Q_DESCLO: return q ? (uint32_t)q->desc : 0;
	case CC_Q_DESCHI: return q ? (uint32_t)(q->desc >> 32) : 0;
	case CC_Q_AVAILLO: return q ? (uint32_t)q->driver : 0;
	case CC_Q_AVAILHI: return q ? (uint32_t)(q->driver >> 32) : 0;
	case CC_Q_USEDLO: return q ? (uint32_t)q->device : 0;
	case CC_Q_USEDHI: return q ? (uint32_t)(q->device >> 32) : 0;
	default: return 0; /* queue_notify_data, queue_reset: not offered */
	}
}

static void common_write(struct virtio_pci *vp, unsigned off, uint32_t v)
{
	struct virtio_queue *q = selected_queue(vp);

	switch (off) {
	case CC_DFSELECT: vp->device_feature_select = v; break;
	case CC_GFSELECT: vp->driver_feature_select = v; break;
	case CC_GF:
		/* Features are fixed once FEATURES_OK is set (§3.1.1). */
		if (vp->driver_feature_select < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&vp->driver_features, vp->driver_feature_select, v);
		break;
	case CC_MSIX_CONFIG:
		vp->config_vector = checked_vector(vp, (uint16_t)v);
		break;
	case CC_STATUS: write_status(vp, (uint8_t)v); break;
	case CC_Q_SELECT: vp->queue_select = (uint16_t)v; break;
	case CC_Q_SIZE:
		if (queue_writable(q, vp))
			q->size = (uint16_t)v;
		break;
	case CC_Q_MSIX:
		if (q) {
			q->msix_vector = checked_vector(vp, (uint16_t)v);
			msix_source_set_vector(&vp->msix, (unsigned)q->msix_source, q->msix_vector);
		}
		break;
	case CC_Q_ENABLE:
		if (queue_writable(q, vp) && v == 1)
			q->enabled = true;
		break;
	case CC_Q_DESCLO: case CC_Q_DESCHI:
		if (queue_writable(q, vp))
			set_half(&q->desc, off == CC_Q_DESCHI, v);
		break;
	case CC_Q_AVAILLO: case CC_Q_AVAILHI:
		if (queue_writable(q, vp))
			set_half(&q->driver, off == CC_Q_AVAILHI, v);
		break;
	case CC_Q_USEDLO: case CC_Q_USEDHI:
		if (queue_writable(q, vp))
			set_half(&q->device, off == CC_Q_USEDHI, v);
		break;
	default:
		break; /* read-only fields */
	}
}

/* Accesses to the common structure use each field's natural width; 64-bit
 * fields may come as one 8-byte access or two 4-byte halves. */
static void common_access(struct virtio_pci *vp, unsigned off, void *data,
			  const void *wdata, unsigned len)
{
	if (len == 8 && (off == CC_Q_DESCLO || off == CC_Q_AVAILLO || off == CC_Q_USEDLO)) {
		uint64_t v = 0;
		if (wdata) {
			memcpy(&v, wdata, 8);
			common_write(vp, off, (uint32_t)v);
			common_write(vp, off + 4, (uint32_t)(v >> 32));
		} else {
			v = common_read(vp, off) | (uint64_t)common_read(vp, off + 4) << 32;
			memcpy(data, &v, 8);
		}
		return;
	}
	if (len > 4)
		return;
	if (wdata) {
		uint32_t v = 0;
		memcpy(&v, wdata, len);
		common_write(vp, off, v);
	} else {
		uint32_t v = common_read(vp, off);
		memcpy(data, &v, len);
	}
}

static void notify_write(struct virtio_pci *vp, uint64_t off)
{
	/* Normally KVM's ioeventfd takes these without an exit; this is the
	 * slow path for an access it did not match. */
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULT, one = 1;

	if (q < vp->p.nr_queues && write(vp->queues[q].kick_fd, &one, sizeof(one)) < 0)
		log_debug("%s: kick queue %llu: %s", vp->p.name, (unsigned long long)q,
			  strerror(errno));
}

static void bar_access(struct virtio_pci *vp, uint64_t off, void *data,
		       const void *wdata, unsigned len)
{
	if (!wdata)
		memset(data, 0, len);
	if (off >= VIRTIO_PCI_MSIX_OFF && off < VIRTIO_PCI_PBA_OFF) {
		if (wdata)
			msix_table_write(&vp->msix, off - VIRTIO_PCI_MSIX_OFF, wdata, len);
		else
			msix_table_read(&vp->msix, off - VIRTIO_PCI_MSIX_OFF, data, len);
		return;
	}
	if (off >= VIRTIO_PCI_PBA_OFF) {
		if (!wdata && off < VIRTIO_PCI_PBA_OFF + 8)
			msix_pba_read(&vp->msix, off - VIRTIO_PCI_PBA_OFF, data, len);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off < VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_LEN) {
		common_access(vp, (unsigned)off, data, wdata, len);
	} else if (off == VIRTIO_PCI_ISR_OFF && !wdata) {
		/* Reading ISR acknowledges it (§4.1.4.5). */
		*(uint8_t *)data = vp->isr;
		vp->isr = 0;
	} else if (off >= VIRTIO_PCI_DEVICE_OFF &&
		   off - VIRTIO_PCI_DEVICE_OFF + len <= vp->p.config_size) {
		unsigned o = (unsigned)(off - VIRTIO_PCI_DEVICE_OFF);
		if (wdata && vp->p.ops->config_write)
			vp->p.ops->config_write(vp->p.ops_ctx, o, wdata, len);
		else if (!wdata)
			vp->p.ops->config_read(vp->p.ops_ctx, o, data, len);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF && off < VIRTIO_PCI_MSIX_OFF && wdata) {
		notify_write(vp, off - VIRTIO_PCI_NOTIFY_OFF);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void bar_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	bar_access(opaque, off, data, NULL, len);
}

static void bar_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	bar_access(opaque, off, NULL, data, len);
}

static const struct io_ops bar_ops = { .read = bar_read, .write = bar_write };

/* VIRTIO_PCI_CAP_PCI_CFG: a window into BAR 0 through configuration space,
 * for drivers that cannot map the BAR (§4.1.4.9). */
static bool cfg_window(struct virtio_pci *vp, unsigned off, unsigned len,
		       uint64_t *bar_off, unsigned *acc_len)
{
	unsigned data = vp->cfg_cap + CAP_OFF_DATA;
	uint32_t l = pci_cfg_read(&vp->pci, vp->cfg_cap + CAP_OFF_LENGTH, 4);

	if (off >= data + 4 || off + len <= data)
		return false;
	if (vp->pci.cfg[vp->cfg_cap + CAP_OFF_BAR] != 0 || (l != 1 && l != 2 && l != 4))
		return false;
	*bar_off = pci_cfg_read(&vp->pci, vp->cfg_cap + CAP_OFF_OFFSET, 4);
	*acc_len = l;
	return *bar_off + l <= VIRTIO_PCI_BAR_SIZE;
}

static void pci_config_read(struct pci_device *d, unsigned off, unsigned len)
{
	struct virtio_pci *vp = d->opaque;
	uint64_t bar_off;
	unsigned l;
	uint32_t v = 0;

	if (!cfg_window(vp, off, len, &bar_off, &l))
		return;
	bar_access(vp, bar_off, &v, NULL, l);
	pci_cfg_set(d, vp->cfg_cap + CAP_OFF_DATA, 4, v);
}

static void pci_config_write(struct pci_device *d, unsigned off, unsigned len)
{
	struct virtio_pci *vp = d->opaque;
	uint64_t bar_off;
	unsigned l;

	msix_config_write(&vp->msix, off, len);
	/* Bus mastering turned off under a running device (a driver
	 * quiescing DMA, e.g. before kexec): stop the backend and take back
	 * DRIVER_OK, as QEMU does; the driver resets the device to use it
	 * again. */
	if (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND) {
		pthread_mutex_lock(&vp->lock);
		if (vp->started && !bus_master(vp)) {
			log_info("%s: bus mastering turned off: device stopped", vp->p.name);
			vp->p.ops->stop(vp->p.ops_ctx);
			vp->started = false;
			vp->status &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
		}
		pthread_mutex_unlock(&vp->lock);
	}
	if (cfg_window(vp, off, len, &bar_off, &l)) {
		uint32_t v = pci_cfg_read(d, vp->cfg_cap + CAP_OFF_DATA, 4);
		bar_access(vp, bar_off, NULL, &v, l);
	}
}

/* BAR 0 moved or (stopped) decoding: move the notify ioeventfds with it. */
static void pci_bar_mapped(struct pci_device *d, int bar, uint64_t addr, bool mapped)
{
	struct virtio_pci *vp = d->opaque;

	(void)bar;
	for (unsigned i = 0; i < vp->p.nr_queues; i++) {
		uint64_t a = addr + VIRTIO_PCI_NOTIFY_OFF + (uint64_t)i * VIRTIO_PCI_NOTIFY_MULT;
		if (vp->p.host->ioeventfd(vp->p.host_ctx, a, vp->queues[i].kick_fd, mapped) < 0)
			log_warn("%s: cannot %s the notify ioeventfd of queue %u at 0x%llx",
				 vp->p.name, mapped ? "set" : "clear", i, (unsigned long long)a);
	}
	vp->notify_base = mapped ? addr : 0;
}

static const struct pci_device_ops pci_ops = {
	.config_read = pci_config_read,
	.config_write = pci_config_write,
	.bar_mapped = pci_bar_mapped,
};

static uint8_t add_virtio_cap(struct pci_device *d, uint8_t type, uint8_t len,
			      uint32_t offset, uint32_t length)
{
	uint8_t c = pci_device_add_capability(d, PCI_CAP_ID_VNDR, len);

	if (c) {
		d->cfg[c + 2] = len;
		d->cfg[c + CAP_OFF_TYPE] = type;
		d->cfg[c + CAP_OFF_BAR] = 0;
		pci_cfg_set(d, c + CAP_OFF_OFFSET, 4, offset);
		pci_cfg_set(d, c + CAP_OFF_LENGTH, 4, length);
	}
	return c;
}

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_params *p,
		    struct azerr *e)
{
	memset(vp, 0, sizeof(*vp));
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->queues[i].kick_fd = vp->queues[i].call_fd = -1;
	if (!p->nr_queues || p->nr_queues > VIRTIO_PCI_MAX_QUEUES)
		return azerr_set(e, "%s: %u queues (1..%d supported)", p->name,
				 p->nr_queues, VIRTIO_PCI_MAX_QUEUES);
	if (p->config_size > VIRTIO_PCI_DEVICE_MAX)
		return azerr_set(e, "%s: device configuration of %u bytes is too big",
				 p->name, p->config_size);
	vp->p = *p;
	pthread_mutex_init(&vp->lock, NULL); /* destroyed when p.name is set */
	vp->device_features = virtio_pci_transport_features(p->device_features);

	struct pci_device *d = &vp->pci;
	pci_device_init(d, p->name, VIRTIO_PCI_VENDOR,
			(uint16_t)(VIRTIO_PCI_DEVICE_BASE + p->device_id), p->class_code,
			VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + p->device_id));
	d->ops = &pci_ops;
	d->opaque = vp;
	if (pci_device_add_bar(d, 0, VIRTIO_PCI_BAR_SIZE, true, &bar_ops, vp, e) < 0 ||
	    msix_init(&vp->msix, d, p->nr_queues + 1, 0, VIRTIO_PCI_MSIX_OFF,
		      VIRTIO_PCI_PBA_OFF, p->msix_host, p->host_ctx, e) < 0)
		goto fail;
	uint8_t notify = add_virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, CAP_NOTIFY_LEN,
					VIRTIO_PCI_NOTIFY_OFF,
					p->nr_queues * VIRTIO_PCI_NOTIFY_MULT);
	if (!add_virtio_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, CAP_LEN, VIRTIO_PCI_COMMON_OFF,
			    VIRTIO_PCI_COMMON_LEN) || !notify ||
	    !add_virtio_cap(d, VIRTIO_PCI_CAP_ISR_CFG, CAP_LEN, VIRTIO_PCI_ISR_OFF, 1) ||
	    (p->config_size && !add_virtio_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, CAP_LEN,
					       VIRTIO_PCI_DEVICE_OFF, p->config_size))) {
		azerr_set(e, "%s: no room for the virtio capabilities", p->name);
		goto fail;
	}
	pci_cfg_set(d, notify + CAP_OFF_MULT, 4, VIRTIO_PCI_NOTIFY_MULT);
	vp->cfg_cap = add_virtio_cap(d, VIRTIO_PCI_CAP_PCI_CFG, CAP_PCI_CFG_LEN, 0, 0);
	if (!vp->cfg_cap) {
		azerr_set(e, "%s: no room for the virtio capabilities", p->name);
		goto fail;
	}
	/* The window's bar, offset, length and data are the driver's. */
	d->wmask[vp->cfg_cap + CAP_OFF_BAR] = 0xff;
	memset(&d->wmask[vp->cfg_cap + CAP_OFF_OFFSET], 0xff, 12);

	for (unsigned i = 0; i < p->nr_queues; i++) {
		struct virtio_queue *q = &vp->queues[i];
		q->max_size = p->queue_max_size;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0 || q->call_fd < 0) {
			azerr_set(e, "%s: cannot create eventfds: %s", p->name, strerror(errno));
			goto fail;
		}
		q->msix_source = msix_add_source(&vp->msix, q->call_fd, e);
		if (q->msix_source < 0)
			goto fail;
	}
	reset(vp);
	return 0;
fail:
	virtio_pci_destroy(vp);
	return -1;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (vp->started && vp->p.ops->stop)
		vp->p.ops->stop(vp->p.ops_ctx);
	vp->started = false;
	msix_destroy(&vp->msix);
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
		if (vp->queues[i].kick_fd >= 0)
			close(vp->queues[i].kick_fd);
		if (vp->queues[i].call_fd >= 0)
			close(vp->queues[i].call_fd);
		vp->queues[i].kick_fd = vp->queues[i].call_fd = -1;
	}
	if (vp->p.name)
		pthread_mutex_destroy(&vp->lock);
	vp->p.name = NULL;
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	if (vp->status & VIRTIO_STATUS_DRIVER_OK) {
		vp->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
		notify_config(vp);
	}
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp->config_generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		notify_config(vp);
	pthread_mutex_unlock(&vp->lock);
}
