#include "devices/virtio_pci.h"

#include <string.h>
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

static bool bus_master(const struct virtio_pci *vp)
{
	return pci_cfg_read(&vp->pci, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
}

static void notify_config(struct virtio_dev *vd)
{
	struct virtio_pci *vp = vd->t_ctx;

	msix_notify(&vp->msix, vp->config_vector);
}

/* The backend reads and writes guest memory: that is DMA, which a PCI
 * function may only do with bus mastering on. */
static int may_start(struct virtio_dev *vd, struct azerr *e)
{
	return bus_master(vd->t_ctx) ? 0
		: azerr_set(e, "bus mastering is off in the PCI command register");
}

static void reset(struct virtio_dev *vd)
{
	struct virtio_pci *vp = vd->t_ctx;

	vp->config_vector = MSIX_NO_VECTOR;
	for (unsigned i = 0; i < vd->p.nr_queues; i++) {
		vp->queue_vector[i] = MSIX_NO_VECTOR;
		msix_source_set_vector(&vp->msix, (unsigned)vp->queue_source[i], MSIX_NO_VECTOR);
	}
}

static const struct virtio_transport_ops transport_ops = {
	.notify_config = notify_config, .may_start = may_start, .reset = reset,
};

static uint16_t checked_vector(struct virtio_pci *vp, uint16_t v)
{
	return msix_vector_valid(&vp->msix, v) ? v : MSIX_NO_VECTOR;
}

static uint32_t common_read(struct virtio_pci *vp, unsigned off)
{
	struct virtio_dev *vd = &vp->vd;
	struct virtio_queue *q = virtio_dev_queue(vd);

	switch (off) {
	case CC_DFSELECT: return vd->device_feature_select;
	case CC_DF: return virtio_dev_device_features(vd);
	case CC_GFSELECT: return vd->driver_feature_select;
	case CC_GF: return virtio_dev_driver_features(vd);
	case CC_MSIX_CONFIG: return vp->config_vector;
	case CC_NUM_QUEUES: return vd->p.nr_queues;
	case CC_STATUS: return vd->status;
	case CC_CFG_GENERATION: return vd->config_generation;
	case CC_Q_SELECT: return vd->queue_select;
	case CC_Q_SIZE: return q ? q->size : 0;
	case CC_Q_MSIX: return q ? vp->queue_vector[vd->queue_select] : MSIX_NO_VECTOR;
	case CC_Q_ENABLE: return q ? q->enabled : 0;
	case CC_Q_NOFF: return q ? vd->queue_select : 0;
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
	struct virtio_dev *vd = &vp->vd;
	struct virtio_queue *q = virtio_dev_queue(vd);
	bool writable = virtio_dev_queue_writable(vd, q);

	switch (off) {
	case CC_DFSELECT: vd->device_feature_select = v; break;
	case CC_GFSELECT: vd->driver_feature_select = v; break;
	case CC_GF: virtio_dev_set_driver_features(vd, v); break;
	case CC_MSIX_CONFIG:
		vp->config_vector = checked_vector(vp, (uint16_t)v);
		break;
	case CC_STATUS: virtio_dev_write_status(vd, (uint8_t)v); break;
	case CC_Q_SELECT: vd->queue_select = (uint16_t)v; break;
	case CC_Q_SIZE:
		if (writable)
			q->size = (uint16_t)v;
		break;
	case CC_Q_MSIX:
		if (q) {
			unsigned i = vd->queue_select;
			vp->queue_vector[i] = checked_vector(vp, (uint16_t)v);
			msix_source_set_vector(&vp->msix, (unsigned)vp->queue_source[i],
					       vp->queue_vector[i]);
		}
		break;
	case CC_Q_ENABLE:
		if (writable && v == 1)
			q->enabled = true;
		break;
	case CC_Q_DESCLO: case CC_Q_DESCHI:
		if (writable)
			virtio_set_half(&q->desc, off == CC_Q_DESCHI, v);
		break;
	case CC_Q_AVAILLO: case CC_Q_AVAILHI:
		if (writable)
			virtio_set_half(&q->driver, off == CC_Q_AVAILHI, v);
		break;
	case CC_Q_USEDLO: case CC_Q_USEDHI:
		if (writable)
			virtio_set_half(&q->device, off == CC_Q_USEDHI, v);
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
	pthread_mutex_lock(&vp->vd.lock);
	if (off < VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_LEN) {
		common_access(vp, (unsigned)off, data, wdata, len);
	} else if (off == VIRTIO_PCI_ISR_OFF && !wdata) {
		/* Reading ISR acknowledges it (§4.1.4.5). */
		*(uint8_t *)data = vp->vd.isr;
		vp->vd.isr = 0;
	} else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF) {
		virtio_dev_config_access(&vp->vd, off - VIRTIO_PCI_DEVICE_OFF, data, wdata, len);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF && off < VIRTIO_PCI_MSIX_OFF && wdata) {
		virtio_dev_kick(&vp->vd, (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT);
	}
	pthread_mutex_unlock(&vp->vd.lock);
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
	/* Bus mastering turned off under DRIVER_OK (a driver quiescing DMA,
	 * e.g. before kexec): stop the backend if it runs and take back
	 * DRIVER_OK, as QEMU does; the driver resets the device to use it
	 * again. By the status, not by whether the backend runs: a device
	 * whose card died reads the same here as one restored from it. */
	if (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND) {
		pthread_mutex_lock(&vp->vd.lock);
		if ((vp->vd.status & VIRTIO_STATUS_DRIVER_OK) && !bus_master(vp)) {
			log_info("%s: bus mastering turned off: device stopped", vp->vd.p.name);
			virtio_dev_stop(&vp->vd);
			vp->vd.status &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
		}
		pthread_mutex_unlock(&vp->vd.lock);
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
	for (unsigned i = 0; i < vp->vd.p.nr_queues; i++) {
		uint64_t a = addr + VIRTIO_PCI_NOTIFY_OFF + (uint64_t)i * VIRTIO_PCI_NOTIFY_MULT;
		if (vp->p.host->ioeventfd(vp->p.host_ctx, a, vp->vd.queues[i].kick_fd, mapped) < 0)
			log_warn("%s: cannot %s the notify ioeventfd of queue %u at 0x%llx",
				 vp->vd.p.name, mapped ? "set" : "clear", i, (unsigned long long)a);
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
	const struct virtio_dev_params *dp = &p->dev;

	memset(vp, 0, sizeof(*vp));
	if (virtio_dev_init(&vp->vd, dp, VIRTIO_PCI_DEVICE_MAX, &transport_ops, vp, e) < 0)
		return -1;
	vp->p = *p;

	struct pci_device *d = &vp->pci;
	pci_device_init(d, dp->name, VIRTIO_PCI_VENDOR,
			(uint16_t)(VIRTIO_PCI_DEVICE_BASE + dp->device_id), p->class_code,
			VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + dp->device_id));
	d->ops = &pci_ops;
	d->opaque = vp;
	if (pci_device_add_bar(d, 0, VIRTIO_PCI_BAR_SIZE, true, &bar_ops, vp, e) < 0 ||
	    msix_init(&vp->msix, d, dp->nr_queues + 1, 0, VIRTIO_PCI_MSIX_OFF,
		      VIRTIO_PCI_PBA_OFF, p->msix_host, p->host_ctx, e) < 0)
		goto fail;
	uint8_t notify = add_virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, CAP_NOTIFY_LEN,
					VIRTIO_PCI_NOTIFY_OFF,
					dp->nr_queues * VIRTIO_PCI_NOTIFY_MULT);
	if (!add_virtio_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, CAP_LEN, VIRTIO_PCI_COMMON_OFF,
			    VIRTIO_PCI_COMMON_LEN) || !notify ||
	    !add_virtio_cap(d, VIRTIO_PCI_CAP_ISR_CFG, CAP_LEN, VIRTIO_PCI_ISR_OFF, 1) ||
	    (dp->config_size && !add_virtio_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, CAP_LEN,
						VIRTIO_PCI_DEVICE_OFF, dp->config_size))) {
		azerr_set(e, "%s: no room for the virtio capabilities", dp->name);
		goto fail;
	}
	pci_cfg_set(d, notify + CAP_OFF_MULT, 4, VIRTIO_PCI_NOTIFY_MULT);
	vp->cfg_cap = add_virtio_cap(d, VIRTIO_PCI_CAP_PCI_CFG, CAP_PCI_CFG_LEN, 0, 0);
	if (!vp->cfg_cap) {
		azerr_set(e, "%s: no room for the virtio capabilities", dp->name);
		goto fail;
	}
	/* The window's bar, offset, length and data are the driver's. */
	d->wmask[vp->cfg_cap + CAP_OFF_BAR] = 0xff;
	memset(&d->wmask[vp->cfg_cap + CAP_OFF_OFFSET], 0xff, 12);

	for (unsigned i = 0; i < dp->nr_queues; i++) {
		vp->queue_source[i] = msix_add_source(&vp->msix, vp->vd.queues[i].call_fd, e);
		if (vp->queue_source[i] < 0)
			goto fail;
	}
	virtio_dev_reset(&vp->vd);
	return 0;
fail:
	virtio_pci_destroy(vp);
	return -1;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	/* The backend stops before the vectors' irqfds and the notify
	 * ioeventfds go, and those before the eventfds they use are closed. */
	virtio_dev_stop(&vp->vd);
	msix_destroy(&vp->msix);
	if (vp->notify_base)
		pci_bar_mapped(&vp->pci, 0, vp->notify_base, false);
	virtio_dev_destroy(&vp->vd);
}

/* STATE_VIRTIO_PCI's layout: the configuration vector and every queue's. */
struct virtio_pci_wire {
	uint16_t config_vector, nr_queues;
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
};

int virtio_pci_save(struct virtio_pci *vp, struct state_set *s, uint32_t index,
		    struct azerr *e)
{
	struct virtio_pci_wire w = { .nr_queues = (uint16_t)vp->vd.p.nr_queues };

	if (virtio_dev_save(&vp->vd, s, index, e) < 0 || msix_save(&vp->msix, s, index, e) < 0)
		return -1;
	pthread_mutex_lock(&vp->vd.lock);
	w.config_vector = vp->config_vector;
	memcpy(w.queue_vector, vp->queue_vector, sizeof(w.queue_vector));
	pthread_mutex_unlock(&vp->vd.lock);
	return state_put(s, STATE_VIRTIO_PCI, index, &w, sizeof(w), e);
}

static int check_vector(const struct virtio_pci *vp, uint16_t v, const char *field,
			uint32_t index, struct azerr *e)
{
	if (v == MSIX_NO_VECTOR || msix_vector_valid(&vp->msix, v))
		return 0;
	return state_refuse(e, STATE_VIRTIO_PCI, index, field, "%u: %s has vectors 0 to %u",
			    v, vp->vd.p.name, vp->msix.nr_vectors - 1);
}

int virtio_pci_load(struct virtio_pci *vp, const struct state_set *s, uint32_t index,
		    const struct guest_mem *mem, struct azerr *e)
{
	const struct virtio_pci_wire *w = state_get(s, STATE_VIRTIO_PCI, index, sizeof(*w), e);
	unsigned n = vp->vd.p.nr_queues;

	if (!w)
		return -1;
	if (w->nr_queues != n)
		return state_refuse(e, STATE_VIRTIO_PCI, index, "nr_queues", "%u: %s has %u",
				    w->nr_queues, vp->vd.p.name, n);
	if (check_vector(vp, w->config_vector, "config_vector", index, e) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (check_vector(vp, w->queue_vector[i], "queue_vector", index, e) < 0)
			return -1;
	if (virtio_dev_load(&vp->vd, s, index, mem, e) < 0 ||
	    msix_load(&vp->msix, s, index, e) < 0)
		return -1;
	pthread_mutex_lock(&vp->vd.lock);
	vp->config_vector = w->config_vector;
	for (unsigned i = 0; i < n; i++) {
		vp->queue_vector[i] = w->queue_vector[i];
		msix_source_set_vector(&vp->msix, (unsigned)vp->queue_source[i],
				       vp->queue_vector[i]);
	}
	pthread_mutex_unlock(&vp->vd.lock);
	return 0;
}
