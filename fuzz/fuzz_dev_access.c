/* libFuzzer target: a malicious guest's port I/O and MMIO on the device
 * models azote runs on its vCPU threads (docs/security.md): the UART, the
 * i8042, the RTC, ACPI sleep, the boot timer, PCI configuration mechanism
 * #1, a virtio-pci function (common, ISR, device and notify registers,
 * the PCI_CFG window, MSI-X table and PBA, BAR moves) and a virtio-mmio
 * device, with the card side's events (a card dying, a configuration
 * change, a start the back-end refuses) mixed in.
 *
 * The input is a list of 11-byte records (struct op below). After each
 * one, what the rest of azote relies on must hold: FIFO counts in range,
 * a back-end started at most once and only with sound queues, the
 * bus's ranges sorted and apart, and the hypervisor's resources used as
 * KVM would take them (an ioeventfd or irqfd removed only if added, never
 * added twice; an irqfd only on a GSI MSI-X routed; a watch on only once),
 * and each queue's interrupt on exactly one path to the guest.
 *
 * Half-way through the records the machine is snapshotted as azote does
 * (every model's section), loaded into a fresh one and its running devices
 * restarted: whatever state a guest reached must save, load, and look the
 * same to the guest (every register it can read, in the same order on
 * both) and to KVM; then the other half runs on both machines, which must
 * go on alike to the end. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "base/state.h"
#include "common/log.h"
#include "devices/acpi_sleep.h"
#include "devices/boot_timer.h"
#include "devices/i8042.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR_QUEUES 2
#define MAX_FDS   64

/* A back-end that checks how the transport drives it. */
struct backend {
	bool running, fail_start;
	uint8_t config[16];
};

/* What KVM would hold for the machine: ioeventfds by address, irqfds by
 * (GSI, fd), routed GSIs, watched handlers. */
struct host {
	struct { uint64_t addr; uint32_t match; int fd; } ioeventfd[MAX_FDS];
	unsigned nr_ioeventfds;
	struct { unsigned gsi; int fd; } irqfd[MAX_FDS];
	unsigned nr_irqfds;
	unsigned next_gsi;
	uint64_t routed;             /* bit per GSI from GSI_BASE */
	struct event_handler *watched[MAX_FDS];
	unsigned nr_watched;
};

#define GSI_BASE 24

struct machine {
	struct io_bus pio, mmio;
	struct uart uart;
	struct i8042 kbd;
	struct rtc rtc;
	struct acpi_sleep sleep;
	struct boot_timer timer;
	struct pci_bus pci;
	struct virtio_pci vp;
	struct virtio_mmio vm;
	struct backend be_pci, be_mmio;
	struct host host;
};

static struct machine m, m2;

/* Guest RAM, for the back-end's ring checks and the loader's. */
static const struct guest_mem ram = {
	.nr_regions = 1, .regions = { { .gpa = 0, .size = 64 << 20 } },
};

/* What a card's virtq_start refuses beyond the transport: rings not in
 * RAM. */
static bool rings_in_ram(const struct virtio_queue *q)
{
	uint64_t n = q->size, top = ram.regions[0].size;

	return q->desc <= top - 16 * n && q->driver <= top - (6 + 2 * n) &&
	       q->device <= top - (6 + 8 * n);
}

/* The transport hands a back-end only queues a load would take: sizes
 * powers of two, rings aligned as §2.7 asks (an external back-end may not
 * check), eventfds in place. */
static void check_queues(const struct virtio_queue *q, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (q[i].enabled && (!q[i].size || q[i].size > q[i].max_size ||
				     (q[i].size & (q[i].size - 1)) || (q[i].desc & 15) ||
				     (q[i].driver & 1) || (q[i].device & 3) ||
				     q[i].kick_fd < 0 || q[i].call_fd < 0))
			abort();
}

static int be_start(void *ctx, uint64_t features, struct virtio_queue *q, unsigned n,
		    struct azerr *e)
{
	struct backend *b = ctx;

	(void)features;
	if (b->running || n != NR_QUEUES)
		abort();
	check_queues(q, n);
	if (b->fail_start)
		return azerr_set(e, "the back-end refuses");
	for (unsigned i = 0; i < n; i++)
		if (q[i].enabled && !rings_in_ram(&q[i]))
			return azerr_set(e, "queue %u: its rings are not in guest RAM", i);
	b->running = true;
	return 0;
}

static void be_stop(void *ctx)
{
	((struct backend *)ctx)->running = false;
}

static void be_cfg_read(void *ctx, unsigned off, void *data, unsigned len)
{
	if (off + len > sizeof(((struct backend *)ctx)->config))
		abort();
	memcpy(data, ((struct backend *)ctx)->config + off, len);
}

static void be_cfg_write(void *ctx, unsigned off, const void *data, unsigned len)
{
	if (off + len > sizeof(((struct backend *)ctx)->config))
		abort();
	memcpy(((struct backend *)ctx)->config + off, data, len);
}

static const struct virtio_backend_ops be_ops = {
	.start = be_start, .stop = be_stop,
	.config_read = be_cfg_read, .config_write = be_cfg_write,
};

#define NO_MATCH UINT32_MAX

/* KVM tells ioeventfds apart by address and datamatch. */
static int h_mmio_ioeventfd(void *ctx, uint64_t addr, uint32_t match, int fd, bool assign)
{
	struct host *h = ctx;

	for (unsigned i = 0; i < h->nr_ioeventfds; i++) {
		if (h->ioeventfd[i].addr != addr || h->ioeventfd[i].match != match)
			continue;
		if (assign || h->ioeventfd[i].fd != fd)
			abort();             /* KVM: EEXIST, or not this fd */
		h->ioeventfd[i] = h->ioeventfd[--h->nr_ioeventfds];
		return 0;
	}
	if (!assign || h->nr_ioeventfds == MAX_FDS)
		abort();                     /* KVM: ENOENT */
	h->ioeventfd[h->nr_ioeventfds].addr = addr;
	h->ioeventfd[h->nr_ioeventfds].match = match;
	h->ioeventfd[h->nr_ioeventfds++].fd = fd;
	return 0;
}

static int h_ioeventfd(void *ctx, uint64_t addr, int fd, bool assign)
{
	return h_mmio_ioeventfd(ctx, addr, NO_MATCH, fd, assign);
}

static int h_alloc(void *ctx)
{
	struct host *h = ctx;

	return h->next_gsi < 64 ? (int)(GSI_BASE + h->next_gsi++) : -1;
}

static int h_route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	struct host *h = ctx;

	(void)addr;
	(void)data;
	if (gsi < GSI_BASE || gsi >= GSI_BASE + h->next_gsi)
		abort();                     /* never allocated */
	h->routed |= 1ULL << (gsi - GSI_BASE);
	return 0;
}

static int h_irqfd(void *ctx, unsigned gsi, int fd, bool attach)
{
	struct host *h = ctx;

	for (unsigned i = 0; i < h->nr_irqfds; i++) {
		if (h->irqfd[i].fd != fd)
			continue;
		/* KVM: one irqfd per eventfd (EBUSY); deassign names its GSI. */
		if (attach || h->irqfd[i].gsi != gsi)
			abort();
		h->irqfd[i] = h->irqfd[--h->nr_irqfds];
		return 0;
	}
	if (!attach || h->nr_irqfds == MAX_FDS)
		abort();
	/* MSI-X GSIs must carry a route first; virtio-mmio's line is fixed. */
	if (gsi >= GSI_BASE && !(h->routed & (1ULL << (gsi - GSI_BASE))))
		abort();
	h->irqfd[h->nr_irqfds].gsi = gsi;
	h->irqfd[h->nr_irqfds++].fd = fd;
	return 0;
}

static int h_signal(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	(void)addr;
	(void)data;
	return 0;
}

static int h_watch(void *ctx, struct event_handler *eh, bool on)
{
	struct host *h = ctx;

	for (unsigned i = 0; i < h->nr_watched; i++) {
		if (h->watched[i] != eh)
			continue;
		if (on)
			abort();             /* epoll: EEXIST */
		h->watched[i] = h->watched[--h->nr_watched];
		return 0;
	}
	if (!on || h->nr_watched == MAX_FDS)
		abort();
	h->watched[h->nr_watched++] = eh;
	return 0;
}

static const struct virtio_pci_host_ops pci_host = { .ioeventfd = h_ioeventfd };
static const struct virtio_mmio_host_ops mmio_host = {
	.ioeventfd = h_mmio_ioeventfd, .irqfd = h_irqfd,
};
static const struct msix_host_ops msix_host = {
	.alloc_gsi = h_alloc, .route = h_route, .irqfd = h_irqfd, .signal = h_signal,
	.watch = h_watch,
};

static void no_reset(void *ctx) { (void)ctx; }
static time_t no_time(void) { return 0; }
static uint64_t no_clock(clockid_t c) { (void)c; return 0; }

static void machine_init(struct machine *x)
{
	struct virtio_dev_params dev = {
		.name = "fuzz", .device_id = VIRTIO_ID_BLOCK,
		.device_features = (1ULL << 1) | (1ULL << VIRTIO_RING_F_EVENT_IDX),
		.nr_queues = NR_QUEUES, .queue_max_size = 256, .config_size = 16,
		.ops = &be_ops,
	};

	memset(x, 0, sizeof(*x));
	io_bus_init(&x->pio, "port");
	io_bus_init(&x->mmio, "mmio");
	uart_init(&x->uart, -1, 4, -1, -1);
	i8042_init(&x->kbd, -1, no_reset, NULL);
	rtc_init(&x->rtc, no_time);
	acpi_sleep_init(&x->sleep, 5, no_reset, NULL);
	boot_timer_init(&x->timer, no_clock);
	pci_bus_init(&x->pci, &x->mmio, GPA_PCI_MMIO_START, GPA_PCI_MMIO_END, no_reset, NULL);
	struct virtio_pci_params pp = {
		.dev = dev, .class_code = 0x018000, .host = &pci_host, .msix_host = &msix_host,
		.host_ctx = &x->host,
	};
	pp.dev.ops_ctx = &x->be_pci;
	struct virtio_mmio_params mp = {
		.dev = dev, .bus = &x->mmio, .base = GPA_VIRTIO_MMIO, .gsi = 5, .host = &mmio_host,
		.host_ctx = &x->host,
	};
	mp.dev.ops_ctx = &x->be_mmio;
	if (io_bus_register(&x->pio, UART_COM1_BASE, UART_NR_REGS, &uart_io_ops, &x->uart, NULL) ||
	    io_bus_register(&x->pio, I8042_DATA_PORT, I8042_PORT_LEN, &i8042_io_ops, &x->kbd, NULL) ||
	    io_bus_register(&x->pio, RTC_PORT, RTC_PORT_LEN, &rtc_io_ops, &x->rtc, NULL) ||
	    io_bus_register(&x->pio, PORT_ACPI_SLEEP_CONTROL, ACPI_SLEEP_PORT_LEN,
			    &acpi_sleep_io_ops, &x->sleep, NULL) ||
	    io_bus_register(&x->pio, PCI_CONFIG_ADDR_PORT, 8, &pci_config_io_ops, &x->pci, NULL) ||
	    io_bus_register(&x->mmio, GPA_BOOT_TIMER, GPA_BOOT_TIMER_END - GPA_BOOT_TIMER,
			    &boot_timer_io_ops, &x->timer, NULL) ||
	    virtio_pci_init(&x->vp, &pp, NULL) < 0 || pci_register(&x->pci, &x->vp.pci, -1, NULL) < 0 ||
	    virtio_mmio_init(&x->vm, &mp, NULL) < 0)
		abort();
}

static void machine_fini(struct machine *x)
{
	virtio_mmio_destroy(&x->vm);
	virtio_pci_destroy(&x->vp);
	pci_bus_destroy(&x->pci);
	rtc_destroy(&x->rtc);
	i8042_destroy(&x->kbd);
	uart_destroy(&x->uart);
	io_bus_destroy(&x->mmio);
	io_bus_destroy(&x->pio);
}

/* One guest access or card event. */
struct op {
	uint8_t kind;      /* bits 0-1: length 1 << n; bit 2: write; bits 3-5: where;
			    * bits 6-7, MMIO only: a piece of an access KVM split
			    * at a page boundary, of length 3, 5 or 6, or 7 */
	uint8_t addr[2];   /* little-endian */
	uint8_t value[8];  /* little-endian */
} __attribute__((packed));

enum where {
	AT_PORT,           /* any port: addr */
	AT_DEVICE_PORT,    /* a platform device's ports: addr picks which and where */
	AT_PCI_CONFIG,     /* the function's configuration space at addr & 0xff */
	AT_PCI_BAR,        /* BAR 0, wherever the guest put it: addr & 0x7fff */
	AT_VIRTIO_MMIO,    /* the mmio device's window: addr & 0xfff */
	AT_MMIO,           /* any address: value, which is also the data */
	AT_CARD,           /* a card-side event: addr picks which */
	AT_INPUT,          /* console bytes into the UART, Ctrl-Alt-Del */
};

static void guest_access(struct io_bus *bus, uint64_t addr, unsigned len, bool write, uint64_t v)
{
	if (write)
		io_bus_write(bus, addr, &v, len);
	else
		io_bus_read(bus, addr, &v, len);
}

static void card_event(struct machine *x, unsigned which)
{
	struct virtio_dev *vd = which & 1 ? &x->vm.vd : &x->vp.vd;
	struct backend *b = which & 1 ? &x->be_mmio : &x->be_pci;

	switch ((which >> 1) % 4) {
	case 0: virtio_dev_set_needs_reset(vd); break;
	case 1: virtio_dev_config_changed(vd); break;
	case 2: b->fail_start = !b->fail_start; break;
	default: /* the card completed something on every queue */
		for (unsigned q = 0; q < NR_QUEUES; q++)
			if (write(vd->queues[q].call_fd, &(uint64_t){ 1 }, 8) < 0)
				abort();
		/* What the main loop would do for a watched (masked) source. */
		for (unsigned i = 0; i < x->host.nr_watched; i++)
			x->host.watched[i]->ready(x->host.watched[i], 0);
	}
}

static void run(struct machine *x, const struct op *o)
{
	static const struct { uint16_t base, len; } dev_ports[] = {
		{ UART_COM1_BASE, UART_NR_REGS }, { I8042_DATA_PORT, I8042_PORT_LEN },
		{ RTC_PORT, RTC_PORT_LEN }, { PORT_ACPI_SLEEP_CONTROL, ACPI_SLEEP_PORT_LEN },
		{ PCI_CONFIG_ADDR_PORT, 8 },
	};
	static const unsigned piece[4] = { 0, 3, 5, 7 };
	unsigned len = 1u << (o->kind & 3);
	unsigned mmio_len = o->kind >> 6 ? piece[o->kind >> 6] + (o->kind >> 6 == 2 && (o->kind & 1))
					 : len;
	bool wr = o->kind & 4;
	unsigned addr = o->addr[0] | o->addr[1] << 8;
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | o->value[i];
	switch ((o->kind >> 3) & 7) {
	case AT_PORT:
		guest_access(&x->pio, addr, len, wr, v);
		break;
	case AT_DEVICE_PORT: {
		unsigned d = (addr & 0xff) % (sizeof(dev_ports) / sizeof(dev_ports[0]));
		guest_access(&x->pio, dev_ports[d].base + (addr >> 8) % dev_ports[d].len, len, wr, v);
		break;
	}
	case AT_PCI_CONFIG: {
		uint32_t a = 0x80000000u | (uint32_t)x->vp.pci.slot << 11 | (addr & 0xfc);
		io_bus_write(&x->pio, PCI_CONFIG_ADDR_PORT, &a, 4);
		guest_access(&x->pio, PCI_CONFIG_DATA_PORT + (addr & 3), len > 4 ? 4 : len, wr, v);
		break;
	}
	case AT_PCI_BAR:
		if (pci_bar_address(&x->vp.pci, 0))
			guest_access(&x->mmio, pci_bar_address(&x->vp.pci, 0) + (addr & 0x7fff),
				     mmio_len, wr, v);
		break;
	case AT_VIRTIO_MMIO:
		guest_access(&x->mmio, GPA_VIRTIO_MMIO + (addr & 0xfff), mmio_len, wr, v);
		break;
	case AT_MMIO:
		guest_access(&x->mmio, v, mmio_len, wr, v);
		break;
	case AT_CARD:
		card_event(x, addr);
		break;
	default: /* AT_INPUT */
		if (addr & 1)
			i8042_send_ctrl_alt_del(&x->kbd);
		else
			uart_push_input(&x->uart, o->value, len);
	}
}

/* KVM takes an irqfd's signal as it comes, and one pending when the irqfd
 * is assigned, injecting it: what a machine's irqfds hold after an access
 * has reached the guest. */
static void kvm_takes_irqfds(const struct host *h)
{
	uint64_t n;

	for (unsigned i = 0; i < h->nr_irqfds; i++)
		(void)!read(h->irqfd[i].fd, &n, sizeof(n));
}

static void check_bus(const struct io_bus *bus)
{
	for (unsigned i = 0; i < bus->nr; i++)
		if (!bus->ranges[i].len || bus->ranges[i].base + bus->ranges[i].len <= bus->ranges[i].base ||
		    (i && bus->ranges[i - 1].base + bus->ranges[i - 1].len > bus->ranges[i].base))
			abort();
}

static bool host_has_irqfd(const struct host *h, unsigned gsi, int fd)
{
	for (unsigned i = 0; i < h->nr_irqfds; i++)
		if (h->irqfd[i].gsi == gsi && h->irqfd[i].fd == fd)
			return true;
	return false;
}

static bool host_watches(const struct host *h, const struct event_handler *eh)
{
	for (unsigned i = 0; i < h->nr_watched; i++)
		if (h->watched[i] == eh)
			return true;
	return false;
}

/* Every queue's interrupt reaches the guest one way: while its vector is
 * deliverable, as an irqfd on the vector's GSI; while masked, through the
 * main loop's watch (which keeps the pending bit). Never both, never
 * neither, and KVM holds what MSI-X thinks it holds. */
static void check_msix(const struct msix *x, const struct host *h)
{
	uint16_t ctrl = (uint16_t)pci_cfg_read(x->dev, x->cap + 2, 2);

	for (unsigned i = 0; i < x->nr_sources; i++) {
		const struct msix_source *s = &x->sources[i];
		if (!msix_vector_valid(x, s->vector)) {
			if (s->attached || s->watched)
				abort();
			continue;
		}
		bool on = (ctrl & 0x8000) && !(ctrl & 0x4000) &&
			  !(x->vectors[s->vector].entry[MSIX_CTRL] & 1);
		if (on != s->attached || on == s->watched || s->watched != host_watches(h, &s->watch) ||
		    (on && (s->attached_gsi != (unsigned)x->vectors[s->vector].gsi ||
			    !host_has_irqfd(h, s->attached_gsi, s->watch.fd))))
			abort();
	}
}

static void check(const struct machine *x)
{
	if (x->uart.rx_count > UART_RX_FIFO || x->uart.rx_head >= UART_RX_FIFO ||
	    x->kbd.out_count > I8042_OUTBUF || x->kbd.out_head >= I8042_OUTBUF)
		abort();
	/* The back-end runs exactly while the transport says it started. */
	if (x->be_pci.running != x->vp.vd.started || x->be_mmio.running != x->vm.vd.started)
		abort();
	check_bus(&x->pio);
	check_bus(&x->mmio);
	check_msix(&x->vp.msix, &x->host);
}

/* What the guest reads, each access's bytes after whether it was
 * claimed. */
struct seen {
	uint8_t b[8192];
	size_t n;
};

static void seen_read(struct seen *v, struct io_bus *bus, uint64_t addr, unsigned len)
{
	uint64_t x = 0;

	if (v->n + 1 + len > sizeof(v->b))
		abort();
	v->b[v->n++] = io_bus_read(bus, addr, &x, len) == 0;
	memcpy(v->b + v->n, &x, len);
	v->n += len;
}

static void port_write(struct machine *x, uint16_t port, uint32_t val, unsigned len)
{
	io_bus_write(&x->pio, port, &val, len);
}

/* Every register the guest can read, in one order (reads that change
 * state, as the ISR's and the FIFOs', change both machines alike). */
static void observe(struct machine *x, struct seen *v)
{
	uint64_t bar = pci_bar_address(&x->vp.pci, 0);

	v->n = 0;
	for (unsigned reg = 0; reg < 256; reg += 4) {
		port_write(x, PCI_CONFIG_ADDR_PORT, 0x80000000u | x->vp.pci.slot << 11 | reg, 4);
		seen_read(v, &x->pio, PCI_CONFIG_DATA_PORT, 4);
	}
	for (unsigned o = 0; bar && o < VIRTIO_PCI_COMMON_LEN; o += 4)
		seen_read(v, &x->mmio, bar + o, 4);
	for (unsigned o = 0; bar && o < 16; o += 4)
		seen_read(v, &x->mmio, bar + VIRTIO_PCI_DEVICE_OFF + o, 4);
	for (unsigned o = 0; bar && o < (NR_QUEUES + 1) * MSIX_ENTRY_SIZE; o += 4)
		seen_read(v, &x->mmio, bar + VIRTIO_PCI_MSIX_OFF + o, 4);
	if (bar) {
		seen_read(v, &x->mmio, bar + VIRTIO_PCI_PBA_OFF, 8);
		seen_read(v, &x->mmio, bar + VIRTIO_PCI_ISR_OFF, 1);
	}
	for (unsigned o = 0; o < VIRTIO_MMIO_CONFIG_OFF + 16; o += 4)
		seen_read(v, &x->mmio, GPA_VIRTIO_MMIO + o, 4);
	for (unsigned r = 1; r < UART_NR_REGS; r++)   /* IIR last but one: it clears */
		seen_read(v, &x->pio, UART_COM1_BASE + (r == 2 ? 7 : r == 7 ? 2 : r), 1);
	for (unsigned i = 0; i <= UART_RX_FIFO; i++)
		seen_read(v, &x->pio, UART_COM1_BASE, 1);
	seen_read(v, &x->pio, I8042_DATA_PORT + 4, 1);
	for (unsigned i = 0; i <= I8042_OUTBUF; i++)
		seen_read(v, &x->pio, I8042_DATA_PORT, 1);
	for (unsigned i = 0; i < 128; i++) {
		port_write(x, RTC_PORT, i, 1);
		seen_read(v, &x->pio, RTC_PORT + 1, 1);
	}
}

static int by_addr(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

/* KVM holds the same for both: ioeventfds at the same addresses, as many
 * irqfds and watched sources. */
static void same_host(const struct host *a, const struct host *b)
{
	uint64_t ka[MAX_FDS][2], kb[MAX_FDS][2];

	if (a->nr_ioeventfds != b->nr_ioeventfds || a->nr_irqfds != b->nr_irqfds ||
	    a->nr_watched != b->nr_watched)
		abort();
	for (unsigned i = 0; i < a->nr_ioeventfds; i++) {
		ka[i][0] = a->ioeventfd[i].addr;
		ka[i][1] = a->ioeventfd[i].match;
		kb[i][0] = b->ioeventfd[i].addr;
		kb[i][1] = b->ioeventfd[i].match;
	}
	qsort(ka, a->nr_ioeventfds, sizeof(ka[0]), by_addr);
	qsort(kb, b->nr_ioeventfds, sizeof(kb[0]), by_addr);
	if (memcmp(ka, kb, a->nr_ioeventfds * sizeof(ka[0])))
		abort();
}

/* Both machines serve their drivers alike and look alike, to KVM and to
 * the guest. */
static void same_machines(void)
{
	static struct seen a, b;

	/* check() holds each back-end running exactly while started. */
	if (virtio_dev_serving(&m.vp.vd) != virtio_dev_serving(&m2.vp.vd) ||
	    virtio_dev_serving(&m.vm.vd) != virtio_dev_serving(&m2.vm.vd))
		abort();
	same_host(&m.host, &m2.host);
	observe(&m, &a);
	observe(&m2, &b);
	if (a.n != b.n || memcmp(a.b, b.b, a.n))
		abort();
}

/* Snapshots m as azote does, loads it into a fresh m2 and restarts what
 * served its driver, as a restore does. */
static void restore_into_m2(void)
{
	struct state_set s;
	struct azerr e;

	state_set_init(&s);
	if (uart_save(&m.uart, &s, 0, &e) || i8042_save(&m.kbd, &s, 0, &e) ||
	    rtc_save(&m.rtc, &s, 0, &e) || pci_bus_save(&m.pci, &s, &e) ||
	    virtio_pci_save(&m.vp, &s, 0, &e) || virtio_mmio_save(&m.vm, &s, 1, &e))
		abort();
	machine_init(&m2);
	/* The device configuration is the card's: azote's own section
	 * (vhost_devs_state.c, card-config) carries it to the new card. */
	memcpy(m2.be_pci.config, m.be_pci.config, sizeof(m.be_pci.config));
	memcpy(m2.be_mmio.config, m.be_mmio.config, sizeof(m.be_mmio.config));
	if (uart_load(&m2.uart, &s, 0, &e) || i8042_load(&m2.kbd, &s, 0, &e) ||
	    rtc_load(&m2.rtc, &s, 0, &e) || pci_bus_load(&m2.pci, &s, &e) ||
	    virtio_pci_load(&m2.vp, &s, 0, &ram, &e) || virtio_mmio_load(&m2.vm, &s, 1, &ram, &e))
		abort();              /* a state a guest reached would not restore */
	struct virtio_dev *vds[] = { &m2.vp.vd, &m2.vm.vd };
	for (size_t i = 0; i < 2; i++)
		if (virtio_dev_loaded_running(vds[i]) && virtio_dev_start_loaded(vds[i], &e) < 0)
			abort();
	/* From here the new cards answer later starts as the old ones would. */
	m2.be_pci.fail_start = m.be_pci.fail_start;
	m2.be_mmio.fail_start = m.be_mmio.fail_start;
	state_set_free(&s);
}

/* Everything the devices gave the hypervisor they took back. */
static void fini_empty(struct machine *x)
{
	machine_fini(x);
	if (x->host.nr_ioeventfds || x->host.nr_irqfds || x->host.nr_watched)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;

	if (!quiet) {
		log_set_level(LOG_ERROR);
		quiet = true;
	}
	/* The first half of the records on m; a snapshot of m restored into
	 * m2; the second half on both, which must go on alike. */
	const struct op *ops = (const struct op *)data;
	size_t n = size / sizeof(struct op), i;
	machine_init(&m);
	for (i = 0; i < n / 2; i++) {
		run(&m, &ops[i]);
		kvm_takes_irqfds(&m.host);
		check(&m);
	}
	restore_into_m2();
	same_machines();
	for (; i < n; i++) {
		run(&m, &ops[i]);
		run(&m2, &ops[i]);
		kvm_takes_irqfds(&m.host);
		kvm_takes_irqfds(&m2.host);
		check(&m);
		check(&m2);
	}
	same_machines();
	fini_empty(&m2);
	fini_empty(&m);
	return 0;
}
