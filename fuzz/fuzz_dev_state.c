/* libFuzzer target: the device models' snapshot loaders (a snapshot file
 * is user input). A machine's worth of valid sections is saved from fresh
 * models (UART, i8042, RTC, a PCI bus with a virtio-pci function, a
 * virtio-mmio device); the first input byte picks one of them, the rest
 * changes its bytes, and fresh models load the lot. Whatever loads must
 * hold what the models rely on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/fake_backend.h"
#include "devices/i8042.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int h_gsi;
static int h_alloc(void *c) { (void)c; return h_gsi++; }
static int h_route(void *c, unsigned g, uint64_t a, uint32_t d) { (void)c; (void)g; (void)a; (void)d; return 0; }
static int h_irqfd(void *c, unsigned g, int fd, bool on) { (void)c; (void)g; (void)fd; (void)on; return 0; }
static int h_signal(void *c, uint64_t a, uint32_t d) { (void)c; (void)a; (void)d; return 0; }
static int h_watch(void *c, struct event_handler *h, bool on) { (void)c; (void)h; (void)on; return 0; }
static int h_ioeventfd(void *c, uint64_t a, int fd, bool on) { (void)c; (void)a; (void)fd; (void)on; return 0; }
static int h_mmio_ioeventfd(void *c, uint64_t a, uint32_t m, int fd, bool on)
{
	(void)c; (void)a; (void)m; (void)fd; (void)on;
	return 0;
}
static int h_mmio_irqfd(void *c, unsigned g, int fd, bool on) { (void)c; (void)g; (void)fd; (void)on; return 0; }

static const struct msix_host_ops msix_ops = {
	.alloc_gsi = h_alloc, .route = h_route, .irqfd = h_irqfd, .signal = h_signal,
	.watch = h_watch,
};
static const struct virtio_pci_host_ops pci_ops = { .ioeventfd = h_ioeventfd };
static const struct virtio_mmio_host_ops mmio_ops = {
	.ioeventfd = h_mmio_ioeventfd, .irqfd = h_mmio_irqfd,
};

static const struct guest_mem ram = {
	.nr_regions = 1, .regions = { { .gpa = 0, .size = 64 << 20 } },
};

struct machine {
	struct uart uart;
	struct i8042 kbd;
	struct rtc rtc;
	struct io_bus mmio;
	struct pci_bus pci;
	struct virtio_pci vp;
	struct virtio_mmio vm;
	struct fake_backend be_pci, be_mmio;
};

static time_t no_time(void)
{
	return 0;
}

static void machine_init(struct machine *m)
{
	struct virtio_dev_params dev = {
		.name = "fuzz", .device_id = VIRTIO_ID_BLOCK, .device_features = 1ULL << 1,
		.nr_queues = 2, .queue_max_size = 256, .config_size = 16,
		.ops = &fake_backend_ops,
	};

	memset(m, 0, sizeof(*m));
	uart_init(&m->uart, -1, 4, -1, -1);
	i8042_init(&m->kbd, -1, NULL, NULL);
	rtc_init(&m->rtc, no_time);
	io_bus_init(&m->mmio, "mmio");
	pci_bus_init(&m->pci, &m->mmio, 0xc0000000, 0xc1000000, NULL, NULL);
	struct virtio_pci_params pp = {
		.dev = dev, .class_code = 0x018000, .host = &pci_ops, .msix_host = &msix_ops,
	};
	pp.dev.ops_ctx = &m->be_pci;
	if (virtio_pci_init(&m->vp, &pp, NULL) < 0 || pci_register(&m->pci, &m->vp.pci, -1, NULL) < 0)
		abort();
	struct virtio_mmio_params mp = {
		.dev = dev, .bus = &m->mmio, .base = 0xfeb00000, .gsi = 5, .host = &mmio_ops,
	};
	mp.dev.ops_ctx = &m->be_mmio;
	if (virtio_mmio_init(&m->vm, &mp, NULL) < 0)
		abort();
}

static void machine_fini(struct machine *m)
{
	virtio_mmio_destroy(&m->vm);
	virtio_pci_destroy(&m->vp);
	pci_bus_destroy(&m->pci);
	io_bus_destroy(&m->mmio);
	rtc_destroy(&m->rtc);
	i8042_destroy(&m->kbd);
	uart_destroy(&m->uart);
}

static void save(struct machine *m, struct state_set *s)
{
	if (uart_save(&m->uart, s, 0, NULL) || i8042_save(&m->kbd, s, 0, NULL) ||
	    rtc_save(&m->rtc, s, 0, NULL) || pci_bus_save(&m->pci, s, NULL) ||
	    virtio_pci_save(&m->vp, s, 0, NULL) || virtio_mmio_save(&m->vm, s, 1, NULL))
		abort();
}

static int load(struct machine *m, const struct state_set *s, struct azerr *e)
{
	if (uart_load(&m->uart, s, 0, e) || i8042_load(&m->kbd, s, 0, e) ||
	    rtc_load(&m->rtc, s, 0, e) || pci_bus_load(&m->pci, s, e) ||
	    virtio_pci_load(&m->vp, s, 0, &ram, e) || virtio_mmio_load(&m->vm, s, 1, &ram, e))
		return -1;
	return 0;
}

/* What the models and the card side rely on after a load: the queues of
 * a device that runs (what a resume hands to its card) are sound; those of
 * one that does not are the driver's until its DRIVER_OK, checked then. */
static void check(struct machine *m)
{
	struct virtio_dev *vds[] = { &m->vp.vd, &m->vm.vd };

	if (m->uart.rx_count > UART_RX_FIFO || m->uart.rx_head >= UART_RX_FIFO ||
	    m->kbd.out_count > I8042_OUTBUF || m->kbd.out_head >= I8042_OUTBUF)
		abort();
	for (size_t d = 0; d < 2; d++) {
		if (!virtio_dev_loaded_running(vds[d]))
			continue;
		for (unsigned i = 0; i < vds[d]->p.nr_queues; i++) {
			const struct virtio_queue *q = &vds[d]->queues[i];
			if (q->enabled && (!q->size || q->size > q->max_size ||
					   (q->size & (q->size - 1)) ||
					   q->desc + 16ULL * q->size > ram.regions[0].size))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct machine m;
	struct state_set s;
	struct azerr e;

	if (!size)
		return 0;
	state_set_init(&s);
	machine_init(&m);
	save(&m, &s);
	machine_fini(&m);
	/* The rest of the input is XORed into the section (so that a one-byte
	 * input loads valid state and each flipped bit is one damaged field);
	 * input past its end makes it longer. */
	struct state_section *sec = &s.v[data[0] % s.n];
	size_t len = size - 1 > sec->len ? size - 1 : sec->len;
	unsigned char *bytes = calloc(1, len + 1);
	if (!bytes)
		abort();
	memcpy(bytes, sec->data, sec->len);
	for (size_t i = 0; i + 1 < size; i++)
		bytes[i] ^= data[i + 1];
	free(sec->data);
	sec->data = bytes;
	sec->len = len;
	machine_init(&m);
	if (load(&m, &s, &e) == 0)
		check(&m);
	machine_fini(&m);
	state_set_free(&s);
	return 0;
}
