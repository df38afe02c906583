/* A virtio 1.x device over one of two transports, modern interfaces only:
 * PCI (virtio 1.2, 4.1: virtio_pci.c) or MMIO (4.2: virtio_mmio.c), and
 * its split virtqueues (2.7), driven by polling from CPL 3. The status
 * handshake, feature negotiation, queue set-up and configuration reads are
 * written once (virtio.c) over struct virtio_ops, so the drivers (blk.c,
 * net.c, rng.c, pmem.c) do not know which transport they run on. */
#ifndef PROBE_VIRTIO_H
#define PROBE_VIRTIO_H

#include "pci.h"
#include "probe.h"
#include "types.h"

#define VIRTIO_VENDOR          0x1af4
#define VIRTIO_ID_NET          1
#define VIRTIO_ID_BLOCK        2
#define VIRTIO_ID_RNG          4
#define VIRTIO_ID_PMEM         27

#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_MAX_SIZE         32768
#define VQ_MAX_SEGS            64

struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};

struct vq_used_elem {
	u32 id, len;
};

struct virtq {
	u16 size, index;
	struct vq_desc *desc;
	volatile u16 *avail;       /* flags, idx, ring[size], used_event */
	volatile u16 *used;        /* flags, idx, then elems; avail_event */
	volatile struct vq_used_elem *used_ring;
	u64 notify;                /* MMIO address the transport notifies at */
	u16 avail_idx, last_used, last_kicked;
	u16 free_head, num_free;
	bool event_idx;
	u32 *writable;             /* per head: bytes the device may write */
	u16 *chain_len;            /* per head: descriptors in the chain */
	struct virtio_dev *dev;
};

struct virtio_dev;

/* What differs between the transports: how the driver reaches the device's
 * status, features, queue registers and notification. A device that
 * breaks the protocol gets a key=value reason in v->why. */
struct virtio_ops {
	const char *name;          /* "pci", "mmio": the transport= key */
	u8 (*get_status)(struct virtio_dev *v);
	void (*set_status)(struct virtio_dev *v, u8 status);   /* 0: reset */
	/* 32 feature bits from bit 32 * word: offered / accepted. */
	u32 (*get_features)(struct virtio_dev *v, u32 word);
	void (*set_features)(struct virtio_dev *v, u32 word, u32 bits);
	/* After FEATURES_OK: no interrupts wanted, the probe polls (NULL:
	 * nothing to tell the device). */
	void (*polled)(struct virtio_dev *v);
	/* After FEATURES_OK, instead of polled, with probe.irq=1: queue
	 * completions interrupt at VEC_VIRTIO (NULL: the transport cannot). */
	bool (*irq_setup)(struct virtio_dev *v);
	/* Selects queue `index` and reads its maximum size; false if the
	 * queue is missing or already enabled. */
	bool (*queue_select)(struct virtio_dev *v, u16 index, u32 *max);
	/* Gives the selected queue's size and areas (q is laid out) to the
	 * device, sets q->notify, and enables the queue. */
	bool (*queue_enable)(struct virtio_dev *v, struct virtq *q);
	/* Available buffer notification for q. */
	void (*notify)(struct virtq *q);
	u32 (*config_generation)(struct virtio_dev *v);
};

struct virtio_dev {
	const struct virtio_ops *ops;
	union {
		struct {           /* virtio_pci.c */
			struct pci_dev *fn;
			u64 common, notify_base, isr;
			u32 notify_len, notify_mult;
		} pci;
		struct {           /* virtio_mmio.c */
			u64 base;
		} mmio;
	};
	u64 device_cfg;            /* device configuration: address, bytes */
	u32 device_cfg_len;
	u64 offered, features;
	bool irq;                  /* probe.irq=1: completions interrupt */
	const char *why;           /* key=value reason after a failure */
};

struct vq_seg {
	void *addr;
	u32 len;
	bool device_writes;
};

/* Finds the probe.dev-th (0-based) device of the given type on the
 * transport probe.transport names (auto: MMIO if the command line
 * describes virtio-mmio devices, else PCI), adds transport= and where the
 * device is to the report, and starts it (virtio_start). False with
 * v->why set if there is none or it fails. */
bool virtio_open(struct virtio_dev *v, unsigned type, u64 want,
		 struct report *r);
/* The transports' halves of virtio_open: set v->ops and the transport's
 * fields, and report where the device is. */
bool virtio_pci_find(struct virtio_dev *v, unsigned type, unsigned index,
		     struct report *r);
bool virtio_mmio_find(struct virtio_dev *v, unsigned type, unsigned index,
		      struct report *r);
/* "blk", "net", "rng", "pmem": for reasons such as no_virtio_blk. */
const char *virtio_type_name(unsigned type);
/* Reset, ACKNOWLEDGE, DRIVER, negotiate (VERSION_1 required; `want` are
 * the optional features the driver can use), FEATURES_OK check. */
bool virtio_start(struct virtio_dev *v, u64 want);
/* Sets up queue `index` with at most `max_size` entries. */
bool virtio_queue(struct virtio_dev *v, struct virtq *q, u16 index, u16 max_size);
bool virtio_driver_ok(struct virtio_dev *v);
/* Resets the device and waits for it (nothing if none was found). */
void virtio_reset(struct virtio_dev *v);
bool virtio_needs_reset(struct virtio_dev *v);
bool virtio_has(const struct virtio_dev *v, unsigned feature);
/* Device config space, read consistently (config generation) in accesses
 * of `unit` bytes (1, 2 or 4: the field's width; 4 for 64-bit fields). */
bool virtio_cfg_read(struct virtio_dev *v, u32 off, void *buf, u32 len,
		     u32 unit);

/* Queues a chain; returns its head, or -1 if the ring is full. */
int vq_add(struct virtq *q, const struct vq_seg *segs, unsigned n);
/* Publishes what vq_add queued and notifies the device if it wants. */
void vq_kick(struct virtq *q);
/* One completed chain: 1 with *head and *len, 0 if none yet, -1 if the
 * device wrote a bad used entry (q->dev->why says what). */
int vq_poll(struct virtq *q, u16 *head, u32 *len);
/* For polling loops: every few milliseconds, whether the device reports
 * DEVICE_NEEDS_RESET (then dev->why says so). *next_check starts at 0. */
bool vq_device_failed(struct virtq *q, u64 *next_check);
/* Polls until chain `head` completes or timeout_us passes (0: -> false). */
bool vq_wait(struct virtq *q, u16 head, u32 *len, u64 timeout_us);
/* On a device with interrupts (dev->irq): waits for an interrupt after
 * virtio_irqs was irqs (read before the kick), then for chain `head`. A
 * completion without its interrupt fails: reason=no_interrupt. */
bool vq_wait_irq(struct virtq *q, u16 head, u32 *len, u64 timeout_us, u64 irqs);
/* Kicks q and waits for chain `head` as the device was set up to signal
 * it: its interrupt (dev->irq: vq_wait_irq) or polling (vq_wait). */
bool vq_sync(struct virtq *q, u16 head, u32 *len, u64 timeout_us);

#endif
