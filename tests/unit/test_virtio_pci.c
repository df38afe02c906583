/* The virtio-pci modern transport against a fake backend and a fake
 * hypervisor: capabilities, the status handshake, feature negotiation,
 * queue setup, start/stop/reset, device configuration forwarding, the ISR,
 * notify ioeventfds following BAR 0, and the PCI_CFG access window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/virtio_pci.h"
#include "fake_backend.h"
#include "state_fixture.h"

#define WIN_START 0xc0000000ULL
#define WIN_END   0xc1000000ULL
#define DEV_FEATURES ((1ULL << 1) | (1ULL << 9) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
		      (1ULL << VIRTIO_F_NOTIFICATION_DATA) | (1ULL << VIRTIO_F_RING_RESET))

struct fixture {
	struct io_bus mmio;
	struct pci_bus bus;
	struct virtio_pci vp;
	struct fake_backend be;
	/* hypervisor */
	int ioeventfds;
	uint64_t ioeventfd_addr[8];
	int next_gsi, signals, irqfds;
};

static int h_ioeventfd(void *ctx, uint64_t addr, int fd, bool assign)
{
	struct fixture *f = ctx;
	(void)fd;
	if (assign) {
		f->ioeventfd_addr[f->ioeventfds++] = addr;
	} else {
		for (int i = 0; i < f->ioeventfds; i++)
			if (f->ioeventfd_addr[i] == addr)
				f->ioeventfd_addr[i] = f->ioeventfd_addr[--f->ioeventfds];
	}
	return 0;
}
static int h_alloc(void *ctx) { return ((struct fixture *)ctx)->next_gsi++; }
static int h_route(void *c, unsigned g, uint64_t a, uint32_t d) { (void)c; (void)g; (void)a; (void)d; return 0; }
static int h_irqfd(void *c, unsigned g, int fd, bool on) { (void)g; (void)fd; ((struct fixture *)c)->irqfds += on ? 1 : -1; return 0; }
static int h_signal(void *ctx, uint64_t a, uint32_t d) { (void)a; (void)d; ((struct fixture *)ctx)->signals++; return 0; }
static int h_watch(void *c, struct event_handler *h, bool on) { (void)c; (void)h; (void)on; return 0; }

static const struct virtio_pci_host_ops host_ops = { .ioeventfd = h_ioeventfd };
static const struct msix_host_ops msix_ops = {
	.alloc_gsi = h_alloc, .route = h_route, .irqfd = h_irqfd,
	.signal = h_signal, .watch = h_watch,
};

/* A bus with one virtio-pci function on it; two of them for the
 * snapshot tests (one saves, a fresh one loads). */
static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->next_gsi = 24;
	memcpy(f->be.config, "0123456789abcdef", 16);
	io_bus_init(&f->mmio, "mmio");
	pci_bus_init(&f->bus, &f->mmio, WIN_START, WIN_END, NULL, NULL);
	struct virtio_pci_params p = {
		.dev = {
			.name = "virtio-test", .device_id = VIRTIO_ID_BLOCK,
			.device_features = DEV_FEATURES, .nr_queues = 2, .queue_max_size = 256,
			.config_size = 16, .ops = &fake_backend_ops, .ops_ctx = &f->be,
		},
		.class_code = 0x018000, .host = &host_ops, .msix_host = &msix_ops, .host_ctx = f,
	};
	assert_int_equal(virtio_pci_init(&f->vp, &p, NULL), 0);
	assert_int_equal(pci_register(&f->bus, &f->vp.pci, -1, NULL), 0);
}

static void fixture_fini(struct fixture *f)
{
	virtio_pci_destroy(&f->vp);
	pci_bus_destroy(&f->bus);
	io_bus_destroy(&f->mmio);
}

static int setup(void **state)
{
	static struct fixture f;

	fixture_init(&f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fixture_fini(*state);
	return 0;
}

/* Guest-side helpers: configuration space through mechanism #1 and BAR 0
 * through the MMIO bus. */
static uint32_t cfg_rd(struct fixture *f, unsigned reg, unsigned len)
{
	uint32_t a = 0x80000000u | (f->vp.pci.slot << 11) | (reg & 0xfc), v = 0;
	pci_config_io_ops.write(&f->bus, 0, &a, 4);
	pci_config_io_ops.read(&f->bus, 4 + (reg & 3), &v, len);
	return v;
}

static void cfg_wr(struct fixture *f, unsigned reg, unsigned len, uint32_t v)
{
	uint32_t a = 0x80000000u | (f->vp.pci.slot << 11) | (reg & 0xfc);
	pci_config_io_ops.write(&f->bus, 0, &a, 4);
	pci_config_io_ops.write(&f->bus, 4 + (reg & 3), &v, len);
}

static uint64_t bar0(struct fixture *f)
{
	return pci_bar_address(&f->vp.pci, 0);
}

static uint64_t rd(struct fixture *f, uint64_t off, unsigned len)
{
	uint64_t v = 0;
	assert_int_equal(io_bus_read(&f->mmio, bar0(f) + off, &v, len), 0);
	return v;
}

static void wr(struct fixture *f, uint64_t off, unsigned len, uint64_t v)
{
	assert_int_equal(io_bus_write(&f->mmio, bar0(f) + off, &v, len), 0);
}

static void enable_decode(struct fixture *f)
{
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* Finds the vendor capability of cfg_type; 0 if absent. */
static unsigned find_cap(struct fixture *f, uint8_t type)
{
	for (unsigned c = cfg_rd(f, PCI_CAPABILITY_LIST, 1); c; c = cfg_rd(f, c + 1, 1))
		if (cfg_rd(f, c, 1) == 0x09 && cfg_rd(f, c + 3, 1) == type)
			return c;
	return 0;
}

static void test_identity_and_capabilities(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_rd(f, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(f, PCI_DEVICE_ID, 2), 0x1042);
	assert_true(cfg_rd(f, PCI_REVISION_ID, 1) >= 1);
	assert_int_equal(cfg_rd(f, PCI_SUBSYSTEM_ID, 2), 0x1042);
	assert_int_equal(cfg_rd(f, PCI_BAR0, 4) & 0x6, PCI_BAR_MEM_64);

	static const struct { uint8_t type; uint32_t off, len; } want[] = {
		{ 1, 0x0000, 0x3c }, { 2, 0x3000, 8 }, { 3, 0x1000, 1 }, { 4, 0x2000, 16 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unsigned c = find_cap(f, want[i].type);
		assert_true(c != 0);
		assert_int_equal(cfg_rd(f, c + 4, 1), 0);            /* BAR 0 */
		assert_int_equal(cfg_rd(f, c + 8, 4), want[i].off);
		assert_int_equal(cfg_rd(f, c + 12, 4), want[i].len);
	}
	assert_int_equal(cfg_rd(f, find_cap(f, 2) + 16, 4), 4);   /* multiplier */
	assert_true(find_cap(f, 5) != 0);                         /* PCI_CFG window */
	/* MSI-X: one vector per queue plus configuration. */
	unsigned c;
	for (c = cfg_rd(f, PCI_CAPABILITY_LIST, 1); c && cfg_rd(f, c, 1) != 0x11; c = cfg_rd(f, c + 1, 1))
		;
	assert_true(c != 0);
	assert_int_equal((cfg_rd(f, c + 2, 2) & 0x7ff) + 1, 3);
}

static void test_features(void **state)
{
	struct fixture *f = *state;

	enable_decode(f);
	wr(f, 0x00, 4, 0);
	uint32_t lo = (uint32_t)rd(f, 0x04, 4);
	wr(f, 0x00, 4, 1);
	uint32_t hi = (uint32_t)rd(f, 0x04, 4);
	assert_int_equal(lo, (1u << 1) | (1u << 9) | (1u << VIRTIO_RING_F_EVENT_IDX));
	/* VERSION_1 added; notification data and ring reset hidden. */
	assert_int_equal(hi, 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(f, 0x00, 4, 2);
	assert_int_equal(rd(f, 0x04, 4), 0);
}

static void negotiate(struct fixture *f, uint64_t features)
{
	wr(f, 0x14, 1, 0);
	wr(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, 0x08, 4, 0);
	wr(f, 0x0c, 4, (uint32_t)features);
	wr(f, 0x08, 4, 1);
	wr(f, 0x0c, 4, (uint32_t)(features >> 32));
	wr(f, 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

static void test_features_ok_refused(void **state)
{
	struct fixture *f = *state;

	enable_decode(f);
	negotiate(f, 1ULL << 1); /* no VERSION_1 */
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 5); /* not offered */
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_RESET); /* hidden */
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 9);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	/* Features are frozen after FEATURES_OK. */
	wr(f, 0x08, 4, 0);
	wr(f, 0x0c, 4, 0);
	assert_int_equal(rd(f, 0x0c, 4), 1u << 9);
}

static void setup_queue(struct fixture *f, uint16_t q, uint16_t size, uint64_t base)
{
	wr(f, 0x16, 2, q);
	assert_int_equal(rd(f, 0x18, 2), 256);
	wr(f, 0x18, 2, size);
	wr(f, 0x20, 4, (uint32_t)base);          /* desc as two halves */
	wr(f, 0x24, 4, (uint32_t)(base >> 32));
	wr(f, 0x28, 8, base + 0x1000);           /* driver as one qword */
	wr(f, 0x30, 8, base + 0x2000);
	wr(f, 0x1a, 2, q);                        /* vector q */
	wr(f, 0x1c, 2, 1);
}

static void test_queue_setup_and_start(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX;

	enable_decode(f);
	negotiate(f, feat);
	assert_int_equal(rd(f, 0x12, 2), 2);      /* num_queues */
	setup_queue(f, 0, 128, 0x100000);
	assert_int_equal(rd(f, 0x1e, 2), 0);      /* notify offsets */
	wr(f, 0x16, 2, 1);
	assert_int_equal(rd(f, 0x1e, 2), 1);
	assert_int_equal(rd(f, 0x28, 8), 0);      /* queue 1 untouched */
	wr(f, 0x16, 2, 0);
	assert_int_equal(rd(f, 0x20, 8), 0x100000);
	assert_int_equal(rd(f, 0x2c, 4), 0);
	assert_int_equal(rd(f, 0x28, 4), 0x101000);
	wr(f, 0x14, 1, 0x0f);                     /* DRIVER_OK */
	assert_int_equal(f->be.starts, 1);
	assert_true(f->be.start_features == feat);
	assert_true(f->be.started_q[0].enabled);
	assert_int_equal(f->be.started_q[0].size, 128);
	assert_true(f->be.started_q[0].desc == 0x100000);
	assert_true(f->be.started_q[0].driver == 0x101000);
	assert_true(f->be.started_q[0].device == 0x102000);
	assert_int_equal(f->vp.queue_vector[0], 0);
	assert_false(f->be.started_q[1].enabled);
	assert_int_equal(rd(f, 0x14, 1), 0x0f);
	/* After DRIVER_OK the queue fields no longer move. */
	wr(f, 0x18, 2, 64);
	wr(f, 0x20, 8, 0x555000);
	assert_int_equal(rd(f, 0x18, 2), 128);
	assert_int_equal(rd(f, 0x20, 8), 0x100000);
	/* Reset stops the backend and clears the driver's state. */
	wr(f, 0x14, 1, 0);
	assert_int_equal(f->be.stops, 1);
	assert_int_equal(rd(f, 0x14, 1), 0);
	assert_int_equal(rd(f, 0x1c, 2), 0);
	assert_int_equal(rd(f, 0x18, 2), 256);
	assert_int_equal(rd(f, 0x1a, 2), 0xffff);
	assert_int_equal(rd(f, 0x10, 2), 0xffff);
}

static void test_bus_master(void **state)
{
	struct fixture *f = *state;

	/* DRIVER_OK without bus mastering: the backend must not start. */
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 256, 0x100000);
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 0);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* With it, it starts; turning it off stops the backend and takes
	 * DRIVER_OK back. */
	enable_decode(f);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 256, 0x100000);
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 1);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(f->be.stops, 1);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_DRIVER_OK, 0);
	/* A later reset does not stop it twice. */
	wr(f, 0x14, 1, 0);
	assert_int_equal(f->be.stops, 1);
	/* DRIVER_OK goes back too where the backend does not run (its start
	 * failed; its card died and the VM was restored). */
	enable_decode(f);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 256, 0x100000);
	f->be.fail_start = 1;
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(rd(f, 0x14, 1), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(rd(f, 0x14, 1), 0x0b | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void test_bad_queue_size_needs_reset(void **state)
{
	struct fixture *f = *state;

	enable_decode(f);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	wr(f, 0x10, 2, 2);                        /* config vector 2 */
	assert_int_equal(rd(f, 0x10, 2), 2);
	setup_queue(f, 0, 100, 0x100000);         /* not a power of two */
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 0);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* The driver learns through ISR and the config vector (masked: PBA). */
	assert_int_equal(rd(f, 0x1000, 1) & 2, 2);
	assert_int_equal(rd(f, 0x1000, 1), 0);    /* read clears */
	assert_int_equal(rd(f, 0x5000, 8), 1 << 2);
}

static void test_backend_failure_and_death(void **state)
{
	struct fixture *f = *state;

	enable_decode(f);
	f->be.fail_start = 1;
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 256, 0x100000);
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* The back-end is told to stop what of it may have started. */
	assert_int_equal(f->be.stops, 1);
	/* The driver may not clear NEEDS_RESET but by resetting. */
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	wr(f, 0x14, 1, 0);
	assert_int_equal(rd(f, 0x14, 1), 0);
	f->be.fail_start = 0;
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 256, 0x100000);
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 1);
	unsigned gen = (unsigned)rd(f, 0x15, 1);
	virtio_dev_set_needs_reset(&f->vp.vd);
	assert_int_equal(rd(f, 0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	virtio_dev_config_changed(&f->vp.vd);
	assert_int_equal(rd(f, 0x15, 1), (gen + 1) & 0xff);
}

/* A driver that writes a status without bits it had set: they stay, so
 * the running device neither takes new features nor starts twice. */
static void test_status_bits_stay(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = 1ULL << VIRTIO_F_VERSION_1;

	enable_decode(f);
	negotiate(f, feat);
	setup_queue(f, 0, 128, 0x100000);
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 1);
	wr(f, 0x14, 1, 0x03);                     /* without FEATURES_OK, DRIVER_OK */
	assert_int_equal(rd(f, 0x14, 1), 0x0f);
	wr(f, 0x08, 4, 0);
	wr(f, 0x0c, 4, 1u << 9);
	wr(f, 0x08, 4, 1);
	assert_int_equal(rd(f, 0x0c, 4), (uint32_t)(feat >> 32));
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 1);
	assert_int_equal(f->be.stops, 0);
}

static void test_device_config_window(void **state)
{
	struct fixture *f = *state;

	enable_decode(f);
	assert_int_equal(rd(f, 0x2000, 4), 0x33323130);  /* "0123" */
	assert_int_equal(rd(f, 0x200c, 4), 0x66656463);
	wr(f, 0x2004, 1, 'X');
	assert_int_equal(f->be.config[4], 'X');
	/* Past config_size: zeros, and no write reaches the backend. */
	assert_int_equal(rd(f, 0x200e, 4), 0);
	wr(f, 0x2010, 4, 0xffffffff);
	assert_int_equal(memcmp(f->be.config, "0123X56789abcdef", 16), 0);
}

static void test_notify_ioeventfds_follow_bar(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->ioeventfds, 0);
	enable_decode(f);
	assert_int_equal(f->ioeventfds, 2);
	assert_true(f->ioeventfd_addr[0] == bar0(f) + 0x3000);
	assert_true(f->ioeventfd_addr[1] == bar0(f) + 0x3004);
	cfg_wr(f, PCI_COMMAND, 2, 0);
	assert_int_equal(f->ioeventfds, 0);
	cfg_wr(f, PCI_BAR0, 4, 0xd0000000);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(f->ioeventfds, 2);
	assert_true(f->ioeventfd_addr[0] == 0xd0003000 || f->ioeventfd_addr[1] == 0xd0003000);
	/* The slow path (no ioeventfd match) still kicks the queue. */
	wr(f, 0x3004, 2, 1);
	uint64_t cnt = 0;
	assert_int_equal(read(f->vp.vd.queues[1].kick_fd, &cnt, 8), 8);
	assert_int_equal(cnt, 1);
	/* The device goes with its BAR decoding: its ioeventfds go before
	 * the kick eventfds they hold close. */
	virtio_pci_destroy(&f->vp);   /* teardown's second call finds nothing left */
	assert_int_equal(f->ioeventfds, 0);
}

static void test_pci_cfg_access_window(void **state)
{
	struct fixture *f = *state;
	unsigned c = find_cap(f, 5);

	/* Read num_queues (common cfg 0x12, 2 bytes) without mapping BAR 0. */
	cfg_wr(f, c + 4, 1, 0);
	cfg_wr(f, c + 8, 4, 0x12);
	cfg_wr(f, c + 12, 4, 2);
	assert_int_equal(cfg_rd(f, c + 16, 4) & 0xffff, 2);
	/* Write queue_select = 1 through it, read it back through the BAR. */
	cfg_wr(f, c + 8, 4, 0x16);
	cfg_wr(f, c + 16, 4, 1);
	enable_decode(f);
	assert_int_equal(rd(f, 0x16, 2), 1);
	/* An access of a bad length does nothing. */
	cfg_wr(f, c + 12, 4, 3);
	cfg_wr(f, c + 16, 4, 0);
	assert_int_equal(rd(f, 0x16, 2), 1);
}

static void test_vectors_checked(void **state)
{
	struct fixture *f = *state;

	enable_decode(f);
	wr(f, 0x16, 2, 1);
	wr(f, 0x1a, 2, 2);
	assert_int_equal(rd(f, 0x1a, 2), 2);
	wr(f, 0x1a, 2, 3);                 /* only 3 vectors: 0..2 */
	assert_int_equal(rd(f, 0x1a, 2), 0xffff);
	wr(f, 0x16, 2, 7);                 /* no such queue */
	assert_int_equal(rd(f, 0x18, 2), 0);
	wr(f, 0x18, 2, 4);
	wr(f, 0x1c, 2, 1);
	assert_int_equal(rd(f, 0x1c, 2), 0);
}

/* ---- snapshots ---- */

#define MSIX_CAP_CTRL_ENABLE 0x8000

static const struct guest_mem ram_64m = {
	.nr_regions = 1, .regions = { { .gpa = 0, .size = 64 << 20 } },
};

static unsigned msix_cap(struct fixture *f)
{
	unsigned c;

	for (c = cfg_rd(f, PCI_CAPABILITY_LIST, 1); c && cfg_rd(f, c, 1) != 0x11;
	     c = cfg_rd(f, c + 1, 1))
		;
	return c;
}

/* f's bus and function, saved into s. */
static void save(struct fixture *f, struct state_set *s)
{
	state_set_init(s);
	assert_int_equal(pci_bus_save(&f->bus, s, NULL), 0);
	assert_int_equal(virtio_pci_save(&f->vp, s, 0, NULL), 0);
}

/* A driver's whole set-up: BAR 0 moved, features, queue 0 with vector 0,
 * the configuration vector, MSI-X on with entry 0 unmasked, DRIVER_OK;
 * then saved into s. */
static void drive_and_save(struct fixture *f, struct state_set *s, uint64_t feat)
{
	cfg_wr(f, PCI_BAR0, 4, 0xc0800000);
	enable_decode(f);
	negotiate(f, feat);
	setup_queue(f, 0, 128, 0x100000);
	wr(f, 0x10, 2, 2);                              /* config vector */
	wr(f, VIRTIO_PCI_MSIX_OFF + 0, 4, 0xfee00000);  /* entry 0 */
	wr(f, VIRTIO_PCI_MSIX_OFF + 8, 4, 0x41);
	wr(f, VIRTIO_PCI_MSIX_OFF + 12, 4, 0);
	cfg_wr(f, msix_cap(f) + 2, 2, MSIX_CAP_CTRL_ENABLE);
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 1);
	save(f, s);
}

static int load(struct fixture *g, const struct state_set *s, const struct guest_mem *mem,
		struct azerr *e)
{
	if (pci_bus_load(&g->bus, s, e) < 0)
		return -1;
	return virtio_pci_load(&g->vp, s, 0, mem, e);
}

/* f's bus and function saved, then loaded into a fresh one. */
static int reload(struct fixture *f, struct azerr *e)
{
	static struct fixture g;
	struct state_set s;

	save(f, &s);
	fixture_init(&g);
	int r = load(&g, &s, &ram_64m, e);
	if (!r)
		assert_false(virtio_dev_loaded_running(&g.vp.vd));
	fixture_fini(&g);
	state_set_free(&s);
	return r;
}

/* Whatever a guest can put the device in, its snapshot loads: DRIVER_OK
 * written alone, a queue enabled with a bad size or outside RAM (each
 * answered with NEEDS_RESET), a queue enabled before DRIVER_OK. */
static void test_guest_states_reload(void **state)
{
	struct fixture *f = *state;
	struct azerr e = { "" };

	enable_decode(f);
	wr(f, 0x14, 1, VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(rd(f, 0x14, 1), VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(reload(f, &e), 0);
	/* Reserved status bits (0x10, 0x20) a driver writes are not kept. */
	wr(f, 0x14, 1, 0);
	wr(f, 0x14, 1, 0x31);
	assert_int_equal(rd(f, 0x14, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(reload(f, &e), 0);
	/* Driver features the device does not offer, before FEATURES_OK. */
	wr(f, 0x08, 4, 0);
	wr(f, 0x0c, 4, 1);
	assert_int_equal(reload(f, &e), 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 100, 0x100000);
	assert_int_equal(reload(f, &e), 0);       /* enabled, no DRIVER_OK yet */
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(f->be.starts, 0);
	assert_int_equal(reload(f, &e), 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	setup_queue(f, 0, 128, 0x40000000);       /* past the 64 MiB of RAM */
	f->be.fail_start = 1;                     /* as azote's back-end refuses it */
	wr(f, 0x14, 1, 0x0f);
	assert_int_equal(reload(f, &e), 0);
}

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	static struct fixture g;
	uint64_t feat = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX;
	struct state_set s;
	struct azerr e = { "" };

	drive_and_save(f, &s, feat);
	fixture_init(&g);
	assert_int_equal(load(&g, &s, &ram_64m, &e), 0);
	/* BAR 0 decodes where the driver put it, with its notify
	 * ioeventfds; the registers read back as the driver left them. */
	assert_true(bar0(&g) == 0xc0800000);
	assert_int_equal(g.ioeventfds, 2);
	assert_true(g.ioeventfd_addr[0] == 0xc0800000 + VIRTIO_PCI_NOTIFY_OFF);
	assert_int_equal(rd(&g, 0x14, 1), 0x0f);
	assert_int_equal(rd(&g, 0x10, 2), 2);
	wr(&g, 0x08, 4, 0);
	assert_int_equal(rd(&g, 0x0c, 4), (uint32_t)feat);
	wr(&g, 0x16, 2, 0);
	assert_int_equal(rd(&g, 0x18, 2), 128);
	assert_int_equal(rd(&g, 0x1a, 2), 0);
	assert_int_equal(rd(&g, 0x1c, 2), 1);
	assert_true(rd(&g, 0x30, 8) == 0x102000);
	assert_int_equal(rd(&g, VIRTIO_PCI_MSIX_OFF + 8, 4), 0x41);
	/* Vector 0 is unmasked and enabled: queue 0's call fd is an irqfd. */
	assert_int_equal(g.irqfds, 1);
	/* The back-end waits for the card side to start it. */
	assert_int_equal(g.be.starts, 0);
	assert_true(virtio_dev_loaded_running(&g.vp.vd));
	assert_int_equal(virtio_dev_start_loaded(&g.vp.vd, &e), 0);
	assert_int_equal(g.be.starts, 1);
	assert_true(g.be.start_features == feat);
	assert_int_equal(g.be.started_q[0].size, 128);
	assert_false(virtio_dev_loaded_running(&g.vp.vd));
	fixture_fini(&g);
	state_set_free(&s);
}

/* Loads s into a fresh function, expecting a refusal naming what. */
static void expect_refused(struct state_set *s, const struct guest_mem *mem, const char *what)
{
	static struct fixture g;
	struct azerr e = { "" };

	fixture_init(&g);
	assert_refused(load(&g, s, mem, &e), &e, what);
	fixture_fini(&g);
}

static void test_snapshot_refusals(void **state)
{
	struct fixture *f = *state;
	struct state_set s;
	uint64_t old;
	const struct guest_mem ram_1m = {
		.nr_regions = 1, .regions = { { .gpa = 0, .size = 1 << 20 } },
	};

	drive_and_save(f, &s, 1ULL << VIRTIO_F_VERSION_1);
	/* virtio-device: queue 0's size (header 40 bytes, then max, size) */
	old = state_poke(&s, STATE_VIRTIO_DEV, 0, 42, 2, 100);
	expect_refused(&s, &ram_64m, "queue size");
	state_poke(&s, STATE_VIRTIO_DEV, 0, 42, 2, old);
	/* a ring outside RAM */
	expect_refused(&s, &ram_1m, "descriptor table");
	/* features the device does not offer */
	old = state_poke(&s, STATE_VIRTIO_DEV, 0, 8, 8, 1ULL << 40 | 1ULL << VIRTIO_F_VERSION_1);
	expect_refused(&s, &ram_64m, "driver features");
	state_poke(&s, STATE_VIRTIO_DEV, 0, 8, 8, old);
	/* virtio-pci: a vector past the table */
	old = state_poke(&s, STATE_VIRTIO_PCI, 0, 0, 2, 7);
	expect_refused(&s, &ram_64m, "config_vector");
	state_poke(&s, STATE_VIRTIO_PCI, 0, 0, 2, old);
	/* msix: a table of another size, reserved control bits */
	old = state_poke(&s, STATE_MSIX, 0, 0, 4, 5);
	expect_refused(&s, &ram_64m, "nr_vectors");
	state_poke(&s, STATE_MSIX, 0, 0, 4, old);
	old = state_poke(&s, STATE_MSIX, 0, 16 + 12, 4, 2);
	expect_refused(&s, &ram_64m, "vector control");
	state_poke(&s, STATE_MSIX, 0, 16 + 12, 4, old);
	/* pci-config: another function's device ID */
	old = state_poke(&s, STATE_PCI_CONFIG, f->vp.pci.slot, PCI_DEVICE_ID, 2, 0x1041);
	expect_refused(&s, &ram_64m, "not the same function");
	state_poke(&s, STATE_PCI_CONFIG, f->vp.pci.slot, PCI_DEVICE_ID, 2, old);
	/* everything restored: it loads */
	static struct fixture g;
	fixture_init(&g);
	assert_int_equal(load(&g, &s, &ram_64m, NULL), 0);
	fixture_fini(&g);
	state_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_capabilities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_ok_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_setup_and_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queue_size_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_failure_and_death, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_bits_stay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_states_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_config_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_ioeventfds_follow_bar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_access_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vectors_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
