#include "devices/virtio_dev.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

/* The transport features azote can offer on top of the device's own. */
static uint64_t transport_features(uint64_t device_features)
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

struct virtio_queue *virtio_dev_queue(struct virtio_dev *vd)
{
	return vd->queue_select < vd->p.nr_queues ? &vd->queues[vd->queue_select] : NULL;
}

static void notify_config(struct virtio_dev *vd)
{
	vd->isr |= VIRTIO_ISR_CONFIG;
	vd->t->notify_config(vd);
}

void virtio_dev_stop(struct virtio_dev *vd)
{
	if (vd->started && vd->p.ops->stop)
		vd->p.ops->stop(vd->p.ops_ctx);
	vd->started = false;
}

void virtio_dev_reset(struct virtio_dev *vd)
{
	virtio_dev_stop(vd);
	vd->driver_features = 0;
	vd->device_feature_select = vd->driver_feature_select = 0;
	vd->queue_select = 0;
	vd->status = 0;
	vd->isr = 0;
	for (unsigned i = 0; i < vd->p.nr_queues; i++) {
		struct virtio_queue *q = &vd->queues[i];
		q->size = q->max_size;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
	}
	if (vd->t->reset)
		vd->t->reset(vd);
}

#define STATUS_KNOWN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |		\
		      VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |		\
		      VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)

/* Whether a device of this status serves its driver: DRIVER_OK, and
 * neither side gave up (FAILED, NEEDS_RESET). */
static bool runs(uint8_t status)
{
	return (status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_DEVICE_NEEDS_RESET));
}

bool virtio_dev_serving(const struct virtio_dev *vd)
{
	return vd->started && runs(vd->status);
}

static bool features_ok(const struct virtio_dev *vd)
{
	return !(vd->driver_features & ~vd->device_features) &&
	       (vd->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

/* A split ring's three parts as a queue of size entries lays them out,
 * with the alignment virtio 1.2 §2.7 requires of each. */
struct ring_part {
	const char *name;
	uint64_t addr, len, align;
};
#define NR_RING_PARTS 3

static void ring_parts(uint64_t desc, uint64_t driver, uint64_t device, uint64_t size,
		       struct ring_part part[NR_RING_PARTS])
{
	part[0] = (struct ring_part){ "descriptor table", desc, 16 * size, 16 };
	part[1] = (struct ring_part){ "driver ring", driver, 6 + 2 * size, 2 };
	part[2] = (struct ring_part){ "device ring", device, 6 + 8 * size, 4 };
}

/* An enabled queue as the backend may be handed it. Alignment is checked
 * here, not left to the backend: a load refuses a running device's
 * misaligned ring (check_queue), so one that an external back-end took
 * would make every later snapshot of the VM unloadable. */
static int check_start_queue(const struct virtio_queue *q, unsigned i, struct azerr *e)
{
	struct ring_part part[NR_RING_PARTS];

	if (!q->size || q->size > q->max_size || (q->size & (q->size - 1)))
		return azerr_set(e, "queue %u size %u is not a power of two up to %u",
				 i, q->size, q->max_size);
	ring_parts(q->desc, q->driver, q->device, q->size, part);
	for (unsigned r = 0; r < NR_RING_PARTS; r++)
		if (part[r].addr % part[r].align)
			return azerr_set(e, "queue %u %s at 0x%llx is not %llu-byte aligned",
					 i, part[r].name, (unsigned long long)part[r].addr,
					 (unsigned long long)part[r].align);
	return 0;
}

/* DRIVER_OK: check what the driver set up, then hand it to the backend. */
static int start(struct virtio_dev *vd, struct azerr *e)
{
	if (vd->t->may_start && vd->t->may_start(vd, e) < 0)
		return -1;
	for (unsigned i = 0; i < vd->p.nr_queues; i++)
		if (vd->queues[i].enabled && check_start_queue(&vd->queues[i], i, e) < 0)
			return -1;
	if (vd->p.ops->start(vd->p.ops_ctx, vd->driver_features, vd->queues,
			     vd->p.nr_queues, e) < 0) {
		/* Some rings may have started before one failed: stopped now,
		 * since the device counts as not started and no reset of the
		 * driver's would stop them. */
		if (vd->p.ops->stop)
			vd->p.ops->stop(vd->p.ops_ctx);
		return -1;
	}
	vd->started = true;
	return 0;
}

void virtio_dev_write_status(struct virtio_dev *vd, uint8_t v)
{
	struct azerr e;
	uint8_t old = vd->status;

	if (v == 0) {
		virtio_dev_reset(vd);
		return;
	}
	/* The driver only adds bits (§2.1.2: it must not clear one but by
	 * a reset); a write that would drop DRIVER_OK or FEATURES_OK does
	 * not, so a running device neither reopens its features nor starts
	 * twice. NEEDS_RESET is the device's to set; the bits §2.1 leaves
	 * reserved are not kept (a snapshot holding one would not load). */
	v = (uint8_t)((v & STATUS_KNOWN & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) | old);
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_ok(vd)) {
		log_info("%s: refusing driver features 0x%llx (device offers 0x%llx)",
			 vd->p.name, (unsigned long long)vd->driver_features,
			 (unsigned long long)vd->device_features);
		v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	vd->status = v;
	if (runs(v) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(v & VIRTIO_STATUS_FEATURES_OK) || start(vd, &e) < 0) {
			if (!(v & VIRTIO_STATUS_FEATURES_OK))
				azerr_set(&e, "DRIVER_OK without FEATURES_OK");
			log_warn("%s: cannot start: %s", vd->p.name, e.msg);
			vd->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
			notify_config(vd);
		}
	}
}

uint32_t virtio_dev_device_features(const struct virtio_dev *vd)
{
	return vd->device_feature_select < 2 ?
	       (uint32_t)(vd->device_features >> (32 * vd->device_feature_select)) : 0;
}

uint32_t virtio_dev_driver_features(const struct virtio_dev *vd)
{
	return vd->driver_feature_select < 2 ?
	       (uint32_t)(vd->driver_features >> (32 * vd->driver_feature_select)) : 0;
}

void virtio_dev_set_driver_features(struct virtio_dev *vd, uint32_t v)
{
	/* Features are fixed once FEATURES_OK is set (§3.1.1). */
	if (vd->driver_feature_select < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK))
		virtio_set_half(&vd->driver_features, vd->driver_feature_select, v);
}

bool virtio_dev_queue_writable(const struct virtio_dev *vd, const struct virtio_queue *q)
{
	return q && !q->enabled && !(vd->status & VIRTIO_STATUS_DRIVER_OK);
}

void virtio_set_half(uint64_t *field, bool high, uint32_t v)
{
	if (high)
		*field = (*field & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*field = (*field & ~0xffffffffULL) | v;
}

void virtio_dev_config_access(struct virtio_dev *vd, uint64_t off, void *data,
			      const void *wdata, unsigned len)
{
	if (!wdata)
		memset(data, 0, len);
	if (off > vd->p.config_size || len > vd->p.config_size - off)
		return;
	if (wdata && vd->p.ops->config_write)
		vd->p.ops->config_write(vd->p.ops_ctx, (unsigned)off, wdata, len);
	else if (!wdata)
		vd->p.ops->config_read(vd->p.ops_ctx, (unsigned)off, data, len);
}

void virtio_dev_kick(struct virtio_dev *vd, uint64_t queue)
{
	/* Normally KVM's ioeventfd takes these without an exit; this is the
	 * slow path for an access it did not match. */
	uint64_t one = 1;

	if (queue < vd->p.nr_queues && write(vd->queues[queue].kick_fd, &one, sizeof(one)) < 0)
		log_debug("%s: kick queue %llu: %s", vd->p.name, (unsigned long long)queue,
			  strerror(errno));
}

int virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_params *p,
		    unsigned config_max, const struct virtio_transport_ops *t, void *t_ctx,
		    struct azerr *e)
{
	memset(vd, 0, sizeof(*vd));
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vd->queues[i].kick_fd = vd->queues[i].call_fd = -1;
	if (!p->nr_queues || p->nr_queues > VIRTIO_MAX_QUEUES)
		return azerr_set(e, "%s: %u queues (1..%d supported)", p->name,
				 p->nr_queues, VIRTIO_MAX_QUEUES);
	if (p->config_size > config_max)
		return azerr_set(e, "%s: device configuration of %u bytes is too big",
				 p->name, p->config_size);
	vd->p = *p;
	vd->t = t;
	vd->t_ctx = t_ctx;
	pthread_mutex_init(&vd->lock, NULL); /* destroyed when p.name is set */
	vd->device_features = transport_features(p->device_features);
	for (unsigned i = 0; i < p->nr_queues; i++) {
		struct virtio_queue *q = &vd->queues[i];
		q->max_size = p->queue_max_size;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0 || q->call_fd < 0) {
			azerr_set(e, "%s: cannot create eventfds: %s", p->name, strerror(errno));
			virtio_dev_destroy(vd);
			return -1;
		}
	}
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *vd)
{
	virtio_dev_stop(vd);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (vd->queues[i].kick_fd >= 0)
			close(vd->queues[i].kick_fd);
		if (vd->queues[i].call_fd >= 0)
			close(vd->queues[i].call_fd);
		vd->queues[i].kick_fd = vd->queues[i].call_fd = -1;
	}
	if (vd->p.name)
		pthread_mutex_destroy(&vd->lock);
	vd->p.name = NULL;
}

void virtio_dev_set_needs_reset(struct virtio_dev *vd)
{
	pthread_mutex_lock(&vd->lock);
	if (vd->status & VIRTIO_STATUS_DRIVER_OK) {
		vd->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
		notify_config(vd);
	}
	pthread_mutex_unlock(&vd->lock);
}

void virtio_dev_config_changed(struct virtio_dev *vd)
{
	pthread_mutex_lock(&vd->lock);
	vd->config_generation++;
	if (vd->status & VIRTIO_STATUS_DRIVER_OK)
		notify_config(vd);
	pthread_mutex_unlock(&vd->lock);
}

/* STATE_VIRTIO_DEV's layout: this header, then nr_queues queue records. */
struct virtio_dev_wire {
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint16_t device_id, nr_queues, queue_select, pad16;
	uint8_t status, config_generation, isr, pad8[5];
};
struct virtio_queue_wire {
	uint16_t max_size, size;
	uint8_t enabled, pad[3];
	uint64_t desc, driver, device;
};
_Static_assert(sizeof(struct virtio_dev_wire) == 40, "no padding in virtio_dev_wire");
_Static_assert(sizeof(struct virtio_queue_wire) == 32, "no padding in virtio_queue_wire");

int virtio_dev_save(struct virtio_dev *vd, struct state_set *s, uint32_t index,
		    struct azerr *e)
{
	unsigned char buf[sizeof(struct virtio_dev_wire) +
			  VIRTIO_MAX_QUEUES * sizeof(struct virtio_queue_wire)];
	struct virtio_dev_wire h;
	size_t len = sizeof(h);

	pthread_mutex_lock(&vd->lock);
	h = (struct virtio_dev_wire){
		.device_features = vd->device_features, .driver_features = vd->driver_features,
		.device_feature_select = vd->device_feature_select,
		.driver_feature_select = vd->driver_feature_select,
		.device_id = vd->p.device_id, .nr_queues = (uint16_t)vd->p.nr_queues,
		.queue_select = vd->queue_select, .status = vd->status,
		.config_generation = vd->config_generation, .isr = vd->isr,
	};
	memcpy(buf, &h, sizeof(h));
	for (unsigned i = 0; i < vd->p.nr_queues; i++, len += sizeof(struct virtio_queue_wire)) {
		const struct virtio_queue *q = &vd->queues[i];
		struct virtio_queue_wire w = {
			.max_size = q->max_size, .size = q->size, .enabled = q->enabled,
			.desc = q->desc, .driver = q->driver, .device = q->device,
		};
		memcpy(buf + len, &w, sizeof(w));
	}
	pthread_mutex_unlock(&vd->lock);
	return state_put(s, STATE_VIRTIO_DEV, index, buf, len, e);
}

/* Whether [gpa, gpa + len) is RAM in one region of mem. */
static bool in_ram(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return true;
	}
	return false;
}

/* An enabled queue as start() and the back-end will trust it: split ring
 * sizes and alignments of virtio 1.2 §2.7. */
static int check_queue(const struct virtio_dev *vd, const struct virtio_queue_wire *q,
		       bool running, unsigned n, uint32_t idx, const struct guest_mem *mem,
		       struct azerr *e)
{
	struct ring_part ring[NR_RING_PARTS];

	if (q->max_size != vd->p.queue_max_size)
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "queue max size",
				    "%u of queue %u: %s has %u", q->max_size, n, vd->p.name,
				    vd->p.queue_max_size);
	if (q->enabled > 1)
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "queue enable",
				    "%u of queue %u: not 0 or 1", q->enabled, n);
	/* The driver's scratch until the device runs: a guest may enable a
	 * queue it set up wrong (start() refuses it then), and its snapshot
	 * must load. */
	if (!q->enabled || !running)
		return 0;
	if (!q->size || q->size > q->max_size || (q->size & (q->size - 1)))
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "queue size",
				    "%u of queue %u is not a power of two up to %u", q->size, n,
				    q->max_size);
	ring_parts(q->desc, q->driver, q->device, q->size, ring);
	for (size_t r = 0; r < NR_RING_PARTS; r++)
		if (ring[r].addr % ring[r].align || !in_ram(mem, ring[r].addr, ring[r].len))
			return state_refuse(e, STATE_VIRTIO_DEV, idx, ring[r].name,
					    "of queue %u at 0x%llx (%llu bytes) is not %llu-byte "
					    "aligned in guest RAM", n,
					    (unsigned long long)ring[r].addr,
					    (unsigned long long)ring[r].len,
					    (unsigned long long)ring[r].align);
	return 0;
}

static int check_dev(const struct virtio_dev *vd, const struct virtio_dev_wire *h,
		     uint32_t idx, struct azerr *e)
{
	if (h->device_id != vd->p.device_id || h->nr_queues != vd->p.nr_queues)
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "device",
				    "ID %u with %u queues: %s is ID %u with %u", h->device_id,
				    h->nr_queues, vd->p.name, vd->p.device_id, vd->p.nr_queues);
	/* The driver's scratch until FEATURES_OK (which checks them): a
	 * guest may write bits the device does not offer, and its snapshot
	 * must load. */
	if ((h->status & VIRTIO_STATUS_FEATURES_OK) && (h->driver_features & ~vd->device_features))
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "driver features",
				    "0x%llx include bits %s does not offer (0x%llx)",
				    (unsigned long long)h->driver_features, vd->p.name,
				    (unsigned long long)vd->device_features);
	if (h->status & ~STATUS_KNOWN)
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "status",
				    "0x%x has reserved bits", h->status);
	/* DRIVER_OK alone is a guest's mistake the device answered with
	 * NEEDS_RESET; without either, no guest could have made it. */
	if ((h->status & VIRTIO_STATUS_DRIVER_OK) && !(h->status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(h->status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_DEVICE_NEEDS_RESET)))
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "status",
				    "0x%x has DRIVER_OK without FEATURES_OK", h->status);
	if ((h->status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(h->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "driver features",
				    "0x%llx lack VERSION_1 under FEATURES_OK",
				    (unsigned long long)h->driver_features);
	if (h->isr & ~(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG))
		return state_refuse(e, STATE_VIRTIO_DEV, idx, "isr", "0x%x has reserved bits",
				    h->isr);
	return 0;
}

int virtio_dev_load(struct virtio_dev *vd, const struct state_set *s, uint32_t index,
		    const struct guest_mem *mem, struct azerr *e)
{
	const size_t qlen = sizeof(struct virtio_queue_wire);
	const unsigned char *p = state_get(s, STATE_VIRTIO_DEV, index,
					   sizeof(struct virtio_dev_wire) + vd->p.nr_queues * qlen,
					   e);
	struct virtio_dev_wire h;
	struct virtio_queue_wire q[VIRTIO_MAX_QUEUES];

	if (!p)
		return -1;
	memcpy(&h, p, sizeof(h));
	memcpy(q, p + sizeof(h), vd->p.nr_queues * qlen);
	if (check_dev(vd, &h, index, e) < 0)
		return -1;
	for (unsigned i = 0; i < vd->p.nr_queues; i++)
		if (check_queue(vd, &q[i], runs(h.status), i, index, mem, e) < 0)
			return -1;
	pthread_mutex_lock(&vd->lock);
	virtio_dev_stop(vd);
	vd->driver_features = h.driver_features;
	vd->device_feature_select = h.device_feature_select;
	vd->driver_feature_select = h.driver_feature_select;
	vd->queue_select = h.queue_select;
	vd->status = h.status;
	vd->config_generation = h.config_generation;
	vd->isr = h.isr;
	for (unsigned i = 0; i < vd->p.nr_queues; i++) {
		struct virtio_queue *dst = &vd->queues[i];
		dst->size = q[i].size;
		dst->enabled = q[i].enabled;
		dst->desc = q[i].desc;
		dst->driver = q[i].driver;
		dst->device = q[i].device;
	}
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

bool virtio_dev_loaded_running(struct virtio_dev *vd)
{
	pthread_mutex_lock(&vd->lock);
	bool run = runs(vd->status) && !vd->started;
	pthread_mutex_unlock(&vd->lock);
	return run;
}

int virtio_dev_start_loaded(struct virtio_dev *vd, struct azerr *e)
{
	struct azerr why;
	int ret = 0;

	pthread_mutex_lock(&vd->lock);
	if (!vd->started)
		ret = start(vd, &why);
	pthread_mutex_unlock(&vd->lock);
	if (ret < 0)
		azerr_set(e, "%s: cannot restart after a snapshot: %s", vd->p.name, why.msg);
	return ret;
}
