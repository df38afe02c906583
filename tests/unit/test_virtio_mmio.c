/* The virtio-mmio transport (virtio 1.2 §4.2) against a fake backend and a
 * fake hypervisor: identification registers, feature negotiation, queue
 * setup and its freeze at DRIVER_OK, start/reset, interrupt status and
 * acknowledgement, the configuration space at 0x100 in any width, access
 * widths on control registers, notify ioeventfds matched on the queue
 * index, irqfds on the device's line (undone on destroy), and the kernel
 * command-line argument. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/virtio_mmio.h"
#include "fake_backend.h"
#include "state_fixture.h"

#define BASE 0xfeb00000ULL
#define GSI  5
#define DEV_FEATURES ((1ULL << 1) | (1ULL << 9) | (1ULL << VIRTIO_F_RING_RESET))

struct fixture {
	struct io_bus bus;
	struct virtio_mmio vm;
	struct fake_backend be;
	/* hypervisor: live ioeventfds (address, match, fd) and irqfds */
	int ioeventfds, irqfds, fail_irqfd;
	uint64_t ioeventfd_addr[8];
	uint32_t ioeventfd_match[8];
	int ioeventfd_fd[8];
	unsigned irqfd_gsi;
};

static int h_ioeventfd(void *ctx, uint64_t addr, uint32_t match, int fd, bool assign)
{
	struct fixture *f = ctx;

	if (assign) {
		f->ioeventfd_addr[f->ioeventfds] = addr;
		f->ioeventfd_match[f->ioeventfds] = match;
		f->ioeventfd_fd[f->ioeventfds++] = fd;
	} else {
		f->ioeventfds--;
	}
	return 0;
}

static int h_irqfd(void *ctx, unsigned gsi, int fd, bool assign)
{
	struct fixture *f = ctx;

	(void)fd;
	if (assign && f->fail_irqfd)
		return -1;
	f->irqfds += assign ? 1 : -1;
	f->irqfd_gsi = gsi;
	return 0;
}

static const struct virtio_mmio_host_ops host_ops = {
	.ioeventfd = h_ioeventfd, .irqfd = h_irqfd,
};

static struct virtio_mmio_params params(struct fixture *f)
{
	return (struct virtio_mmio_params){
		.dev = {
			.name = "virtio-test", .device_id = VIRTIO_ID_BLOCK,
			.device_features = DEV_FEATURES, .nr_queues = 2, .queue_max_size = 256,
			.config_size = 16, .ops = &fake_backend_ops, .ops_ctx = &f->be,
		},
		.bus = &f->bus, .base = BASE, .gsi = GSI, .host = &host_ops, .host_ctx = f,
	};
}

/* A bus with one device on it; two of them for the snapshot tests (one
 * saves, a fresh one loads). */
static void fixture_init(struct fixture *f, uint64_t base)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->be.config, "0123456789abcdef", 16);
	io_bus_init(&f->bus, "mmio");
	struct virtio_mmio_params p = params(f);
	p.base = base;
	assert_int_equal(virtio_mmio_init(&f->vm, &p, NULL), 0);
}

static void fixture_fini(struct fixture *f)
{
	virtio_mmio_destroy(&f->vm);
	assert_int_equal(f->ioeventfds, 0);
	assert_int_equal(f->irqfds, 0);
	io_bus_destroy(&f->bus);
}

static int setup(void **state)
{
	static struct fixture f;

	fixture_init(&f, BASE);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fixture_fini(*state);
	return 0;
}

static uint32_t rd(struct fixture *f, unsigned off)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(io_bus_read(&f->bus, BASE + off, &v, 4), 0);
	return v;
}

static void wr(struct fixture *f, unsigned off, uint32_t v)
{
	assert_int_equal(io_bus_write(&f->bus, BASE + off, &v, 4), 0);
}

static void test_identity(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0x000), 0x74726976);
	assert_int_equal(rd(f, 0x004), 2);
	assert_int_equal(rd(f, 0x008), VIRTIO_ID_BLOCK);
	assert_int_equal(rd(f, 0x00c), VIRTIO_MMIO_VENDOR);
	/* No shared memory regions: length and base read as -1. */
	wr(f, 0x0ac, 0);
	assert_int_equal(rd(f, 0x0b0), 0xffffffff);
	assert_int_equal(rd(f, 0x0bc), 0xffffffff);
	/* Byte reads of control registers are not allowed (§4.2.2.2). */
	uint8_t b = 0x55;
	assert_int_equal(io_bus_read(&f->bus, BASE, &b, 1), 0);
	assert_int_equal(b, 0);
	/* Outside the window: not claimed. */
	uint32_t v;
	assert_int_equal(io_bus_read(&f->bus, BASE + VIRTIO_MMIO_SIZE, &v, 4), -1);
}

static void test_features(void **state)
{
	struct fixture *f = *state;

	wr(f, 0x014, 0);
	assert_int_equal(rd(f, 0x010), (uint32_t)DEV_FEATURES);
	wr(f, 0x014, 1);
	/* VERSION_1 added, RING_RESET hidden (the transport lacks it). */
	assert_int_equal(rd(f, 0x010), 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(f, 0x014, 2);
	assert_int_equal(rd(f, 0x010), 0);
	/* Driver features beyond the device's are refused at FEATURES_OK. */
	wr(f, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, 0x024, 0);
	wr(f, 0x020, 1u << 4);
	wr(f, 0x024, 1);
	wr(f, 0x020, 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(f, 0x070, 0x0b);
	assert_int_equal(rd(f, 0x070) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* Within the offer: accepted, then fixed. */
	wr(f, 0x070, 0);
	wr(f, 0x070, 0x03);
	wr(f, 0x024, 0);
	wr(f, 0x020, 1u << 1);
	wr(f, 0x024, 1);
	wr(f, 0x020, 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(f, 0x070, 0x0b);
	assert_int_equal(rd(f, 0x070), 0x0b);
	wr(f, 0x024, 0);
	wr(f, 0x020, 1u << 9);
	assert_true(f->vm.vd.driver_features == ((1ULL << 1) | (1ULL << VIRTIO_F_VERSION_1)));
}

/* The driver's side of §3.1.1 up to FEATURES_OK, with VERSION_1 only. */
static void negotiate(struct fixture *f)
{
	wr(f, 0x070, 0x03);
	wr(f, 0x024, 1);
	wr(f, 0x020, 1u << (VIRTIO_F_VERSION_1 - 32));
	wr(f, 0x070, 0x0b);
}

static void setup_rings(struct fixture *f, unsigned q, unsigned num, uint64_t desc,
			uint64_t driver, uint64_t device)
{
	wr(f, 0x030, q);
	wr(f, 0x038, num);
	wr(f, 0x080, (uint32_t)desc);
	wr(f, 0x084, (uint32_t)(desc >> 32));
	wr(f, 0x090, (uint32_t)driver);
	wr(f, 0x094, (uint32_t)(driver >> 32));
	wr(f, 0x0a0, (uint32_t)device);
	wr(f, 0x0a4, (uint32_t)(device >> 32));
	wr(f, 0x044, 1);
}

static void setup_queue(struct fixture *f, unsigned q, unsigned num, uint64_t desc)
{
	setup_rings(f, q, num, desc, desc + 0x1000, desc + 0x2000);
}

static void test_queues_start_and_reset(void **state)
{
	struct fixture *f = *state;

	wr(f, 0x030, 1);
	assert_int_equal(rd(f, 0x034), 256);
	wr(f, 0x030, 2);                  /* no third queue */
	assert_int_equal(rd(f, 0x034), 0);
	assert_int_equal(rd(f, 0x044), 0);
	wr(f, 0x038, 64);                 /* dropped */
	negotiate(f);
	setup_queue(f, 0, 128, 0x1000000000ULL);
	assert_int_equal(rd(f, 0x044), 1);
	wr(f, 0x070, 0x0f);               /* DRIVER_OK */
	assert_int_equal(f->be.starts, 1);
	assert_true(f->be.started_q[0].enabled);
	assert_int_equal(f->be.started_q[0].size, 128);
	assert_true(f->be.started_q[0].desc == 0x1000000000ULL);
	assert_true(f->be.started_q[0].driver == 0x1000001000ULL);
	assert_true(f->be.started_q[0].device == 0x1000002000ULL);
	assert_false(f->be.started_q[1].enabled);
	/* Queue fields are frozen while the device runs. */
	wr(f, 0x030, 0);
	wr(f, 0x038, 64);
	wr(f, 0x044, 0);
	assert_int_equal(f->vm.vd.queues[0].size, 128);
	assert_int_equal(rd(f, 0x044), 1);
	/* Reset stops the backend and clears the queues. */
	wr(f, 0x070, 0);
	assert_int_equal(f->be.stops, 1);
	assert_int_equal(rd(f, 0x070), 0);
	assert_int_equal(rd(f, 0x044), 0);
	assert_int_equal(f->vm.vd.queues[0].size, 256);
}

static void test_bad_queue_size_needs_reset(void **state)
{
	struct fixture *f = *state;

	negotiate(f);
	setup_queue(f, 0, 100, 0x100000);  /* not a power of two */
	wr(f, 0x070, 0x0f);
	assert_int_equal(f->be.starts, 0);
	assert_true(rd(f, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* The driver is told through a configuration interrupt. */
	assert_int_equal(rd(f, 0x060) & VIRTIO_ISR_CONFIG, VIRTIO_ISR_CONFIG);
	uint64_t n = 0;
	assert_int_equal(read(f->vm.config_fd, &n, 8), 8);
	assert_int_equal(n, 1);
}

/* A ring part off the alignment §2.7 requires (descriptor table 16,
 * driver ring 2, device ring 4) is refused at DRIVER_OK as a bad size is,
 * whatever the back-end would take: a snapshot of a device running such a
 * ring would not load. */
static void test_misaligned_ring_needs_reset(void **state)
{
	struct fixture *f = *state;
	const uint64_t bad[][3] = {
		{ 0x100008, 0x101000, 0x102000 },
		{ 0x100000, 0x101001, 0x102000 },
		{ 0x100000, 0x101000, 0x102002 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(f, 0x070, 0);
		negotiate(f);
		setup_rings(f, 1, 64, bad[i][0], bad[i][1], bad[i][2]);
		wr(f, 0x070, 0x0f);
		assert_int_equal(f->be.starts, 0);
		assert_true(rd(f, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	}
	/* The same queue aligned starts. */
	wr(f, 0x070, 0);
	negotiate(f);
	setup_rings(f, 1, 64, 0x100000, 0x101002, 0x102004);
	wr(f, 0x070, 0x0f);
	assert_int_equal(f->be.starts, 1);
}

static void test_interrupt_status(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0x060), 0);
	negotiate(f);
	setup_queue(f, 0, 256, 0x100000);
	wr(f, 0x070, 0x0f);
	/* Running: the queue bit always shows (completions bypass azote). */
	assert_int_equal(rd(f, 0x060), VIRTIO_ISR_QUEUE);
	virtio_dev_config_changed(&f->vm.vd);
	assert_int_equal(rd(f, 0x060), VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
	assert_int_equal(rd(f, 0x0fc), 1);          /* ConfigGeneration */
	wr(f, 0x064, VIRTIO_ISR_CONFIG);
	assert_int_equal(rd(f, 0x060), VIRTIO_ISR_QUEUE);
	uint64_t n = 0;
	assert_int_equal(read(f->vm.config_fd, &n, 8), 8);
	/* A dead backend: NEEDS_RESET and a configuration interrupt. */
	virtio_dev_set_needs_reset(&f->vm.vd);
	assert_true(rd(f, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* Only the configuration bit: the queues are not served any more
	 * (as after a restore, where such a device does not run). */
	assert_int_equal(rd(f, 0x060), VIRTIO_ISR_CONFIG);
}

static void test_config_space(void **state)
{
	struct fixture *f = *state;
	uint8_t b = 0;
	uint16_t h = 0;
	uint64_t q = 0;

	assert_int_equal(io_bus_read(&f->bus, BASE + 0x100 + 3, &b, 1), 0);
	assert_int_equal(b, '3');
	assert_int_equal(io_bus_read(&f->bus, BASE + 0x100 + 8, &q, 8), 0);
	assert_memory_equal(&q, "89abcdef", 8);
	h = 0x5a5a;
	assert_int_equal(io_bus_write(&f->bus, BASE + 0x100 + 4, &h, 2), 0);
	assert_memory_equal(f->be.config + 4, "\x5a\x5a", 2);
	/* Beyond config_size: zeros, and writes dropped. */
	q = 0x1111;
	assert_int_equal(io_bus_read(&f->bus, BASE + 0x100 + 12, &q, 8), 0);
	assert_int_equal(q, 0);
	q = ~0ULL;
	assert_int_equal(io_bus_write(&f->bus, BASE + 0x100 + 14, &q, 4), 0);
	assert_memory_equal(f->be.config + 12, "cdef", 4);
}

static void test_notify(void **state)
{
	struct fixture *f = *state;

	/* One ioeventfd per queue on QueueNotify, told apart by the value. */
	assert_int_equal(f->ioeventfds, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(f->ioeventfd_addr[i] == BASE + 0x050);
		assert_int_equal(f->ioeventfd_match[i], i);
		assert_int_equal(f->ioeventfd_fd[i], f->vm.vd.queues[i].kick_fd);
	}
	/* Every call fd and the configuration eventfd raise the line. */
	assert_int_equal(f->irqfds, 3);
	assert_int_equal(f->irqfd_gsi, GSI);
	/* The slow path kicks too; a queue that does not exist is ignored. */
	wr(f, 0x050, 1);
	wr(f, 0x050, 7);
	uint64_t n = 0;
	assert_int_equal(read(f->vm.vd.queues[1].kick_fd, &n, 8), 8);
	assert_int_equal(n, 1);
}

static void test_init_errors(void **state)
{
	static struct fixture g;
	struct virtio_mmio vm2;
	struct azerr e;
	(void)state;

	memset(&g, 0, sizeof(g));
	io_bus_init(&g.bus, "mmio");
	struct virtio_mmio_params p = params(&g);
	g.fail_irqfd = 1;
	assert_int_equal(virtio_mmio_init(&g.vm, &p, &e), -1);
	assert_non_null(strstr(e.msg, "GSI 5"));
	assert_int_equal(g.irqfds, 0);
	assert_int_equal(g.ioeventfds, 0);
	g.fail_irqfd = 0;
	assert_int_equal(virtio_mmio_init(&g.vm, &p, &e), 0);
	/* A second device on the same window is refused, its routes undone. */
	int irqfds = g.irqfds, ioeventfds = g.ioeventfds;
	assert_int_equal(virtio_mmio_init(&vm2, &p, &e), -1);
	assert_int_equal(g.irqfds, irqfds);
	assert_int_equal(g.ioeventfds, ioeventfds);
	p.dev.nr_queues = VIRTIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_mmio_init(&vm2, &p, &e), -1);
	assert_non_null(strstr(e.msg, "queues"));
	p.dev.nr_queues = 1;
	p.dev.config_size = VIRTIO_MMIO_SIZE;
	assert_int_equal(virtio_mmio_init(&vm2, &p, &e), -1);
	assert_non_null(strstr(e.msg, "too big"));
	virtio_mmio_destroy(&g.vm);
	assert_int_equal(g.irqfds, 0);
	assert_int_equal(g.ioeventfds, 0);
	io_bus_destroy(&g.bus);
}

static void test_cmdline_arg(void **state)
{
	char buf[64];
	(void)state;

	assert_int_equal(virtio_mmio_cmdline_arg(0xfeb01000ULL, 6, buf, sizeof(buf)),
			 (int)strlen("virtio_mmio.device=4K@0xfeb01000:6"));
	assert_string_equal(buf, "virtio_mmio.device=4K@0xfeb01000:6");
	assert_int_equal(virtio_mmio_cmdline_arg(0xfeb01000ULL, 6, buf, 10), -1);
}

/* ---- snapshots ---- */

static const struct guest_mem ram_64m = {
	.nr_regions = 1, .regions = { { .gpa = 0, .size = 64 << 20 } },
};

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	static struct fixture g;
	struct state_set s;
	struct azerr e = { "" };

	negotiate(f);
	setup_queue(f, 1, 64, 0x200000);
	wr(f, 0x070, 0x0f);
	assert_int_equal(f->be.starts, 1);
	virtio_dev_config_changed(&f->vm.vd);   /* generation 1, ISR config bit */
	wr(f, 0x030, 1);
	state_set_init(&s);
	assert_int_equal(virtio_mmio_save(&f->vm, &s, 3, NULL), 0);

	fixture_init(&g, BASE);
	assert_int_equal(virtio_mmio_load(&g.vm, &s, 3, &ram_64m, &e), 0);
	assert_int_equal(rd(&g, 0x070), 0x0f);
	assert_int_equal(rd(&g, 0x0fc), 1);
	assert_int_equal(rd(&g, 0x060) & VIRTIO_ISR_CONFIG, VIRTIO_ISR_CONFIG);
	assert_int_equal(rd(&g, 0x044), 1);     /* queue 1 still selected */
	assert_int_equal(g.vm.vd.queues[1].size, 64);
	assert_true(g.vm.vd.queues[1].device == 0x202000);
	/* Its ioeventfds and irqfds are init's, untouched by the load; the
	 * back-end waits for the card side. */
	assert_int_equal(g.ioeventfds, 2);
	assert_int_equal(g.irqfds, 3);
	assert_int_equal(g.be.starts, 0);
	assert_true(virtio_dev_loaded_running(&g.vm.vd));
	assert_int_equal(virtio_dev_start_loaded(&g.vm.vd, &e), 0);
	assert_int_equal(g.be.starts, 1);
	assert_int_equal(g.be.started_q[1].size, 64);
	fixture_fini(&g);

	/* Refused: a device elsewhere, reserved status bits, a ring not
	 * aligned, another device's queue count. */
	fixture_init(&g, BASE + VIRTIO_MMIO_SIZE);
	assert_refused(virtio_mmio_load(&g.vm, &s, 3, &ram_64m, &e), &e, "window");
	fixture_fini(&g);
	uint64_t old = state_poke(&s, STATE_VIRTIO_DEV, 3, 32, 1, 0x2f);
	fixture_init(&g, BASE);
	assert_refused(virtio_mmio_load(&g.vm, &s, 3, &ram_64m, &e), &e, "status");
	state_poke(&s, STATE_VIRTIO_DEV, 3, 32, 1, old);
	old = state_poke(&s, STATE_VIRTIO_DEV, 3, 40 + 32 + 24, 8, 0x202002);
	assert_refused(virtio_mmio_load(&g.vm, &s, 3, &ram_64m, &e), &e, "device ring");
	state_poke(&s, STATE_VIRTIO_DEV, 3, 40 + 32 + 24, 8, old);
	old = state_poke(&s, STATE_VIRTIO_DEV, 3, 26, 2, 3);
	assert_refused(virtio_mmio_load(&g.vm, &s, 3, &ram_64m, &e), &e, "snapshot section");
	fixture_fini(&g);
	state_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queues_start_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queue_size_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_ring_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_cmdline_arg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
