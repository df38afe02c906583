/* PCI configuration mechanism #1, the host bridge, and configuration space
 * semantics: absent slots, read-only and write-1-to-clear bits, BAR sizing,
 * placement and decode, capability lists, the 0xcf9 reset register. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pci.h"
#include "state_fixture.h"

#define WINDOW_START 0xc0000000ULL
#define WINDOW_END   0xc0100000ULL

struct fixture {
	struct io_bus mmio;
	struct pci_bus bus;
	int resets;
	int mapped_calls;
	uint64_t last_mapped_addr;
	bool last_mapped;
	int bar_reads;
};

static void on_reset(void *ctx)
{
	((struct fixture *)ctx)->resets++;
}

static void bar_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct fixture *f = opaque;
	(void)off;
	f->bar_reads++;
	memset(data, 0x5a, len);
}

static void bar_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	(void)opaque; (void)off; (void)data; (void)len;
}

static const struct io_ops bar_ops = { .read = bar_read, .write = bar_write };

static void on_bar_mapped(struct pci_device *d, int bar, uint64_t addr, bool mapped)
{
	struct fixture *f = d->opaque;
	(void)bar;
	f->mapped_calls++;
	f->last_mapped_addr = addr;
	f->last_mapped = mapped;
}

static const struct pci_device_ops dev_ops = { .bar_mapped = on_bar_mapped };

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	io_bus_init(&f.mmio, "mmio");
	pci_bus_init(&f.bus, &f.mmio, WINDOW_START, WINDOW_END, on_reset, &f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pci_bus_destroy(&f->bus);
	io_bus_destroy(&f->mmio);
	return 0;
}

static uint32_t cfg_read(struct fixture *f, unsigned dev, unsigned reg, unsigned len)
{
	uint32_t addr = 0x80000000u | (dev << 11) | (reg & 0xfc), v = 0;
	pci_config_io_ops.write(&f->bus, 0, &addr, 4);
	pci_config_io_ops.read(&f->bus, 4 + (reg & 3), &v, len);
	return v;
}

static void cfg_write(struct fixture *f, unsigned dev, unsigned reg, unsigned len, uint32_t v)
{
	uint32_t addr = 0x80000000u | (dev << 11) | (reg & 0xfc);
	pci_config_io_ops.write(&f->bus, 0, &addr, 4);
	pci_config_io_ops.write(&f->bus, 4 + (reg & 3), &v, len);
}

static void test_host_bridge_and_absent_slots(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(f, 0, PCI_VENDOR_ID, 2), 0x8086);
	assert_int_equal(cfg_read(f, 0, 0x08, 4) >> 8, 0x060000); /* host bridge */
	assert_int_equal(cfg_read(f, 0, PCI_HEADER_TYPE, 1), 0);
	for (unsigned dev = 1; dev < 32; dev++)
		assert_int_equal(cfg_read(f, dev, 0, 4), 0xffffffff);
	/* Function 1 and bus 1 are absent too. */
	uint32_t addr = 0x80000100u, v;
	pci_config_io_ops.write(&f->bus, 0, &addr, 4);
	pci_config_io_ops.read(&f->bus, 4, &v, 4);
	assert_int_equal(v, 0xffffffff);
	addr = 0x80010000u;
	pci_config_io_ops.write(&f->bus, 0, &addr, 4);
	pci_config_io_ops.read(&f->bus, 4, &v, 4);
	assert_int_equal(v, 0xffffffff);
	/* With the enable bit clear, nothing answers. */
	addr = 0x00000000u;
	pci_config_io_ops.write(&f->bus, 0, &addr, 4);
	pci_config_io_ops.read(&f->bus, 4, &v, 4);
	assert_int_equal(v, 0xffffffff);
}

static void test_config_address_register(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0xffffffff;

	pci_config_io_ops.write(&f->bus, 0, &v, 4);
	pci_config_io_ops.read(&f->bus, 0, &v, 4);
	/* Reserved bits 30:24 and the low two bits read as zero. */
	assert_int_equal(v, 0x80fffffc);
	/* Sub-dword accesses to the data port select bytes. */
	assert_int_equal(cfg_read(f, 0, 0x01, 1), 0x80);
	assert_int_equal(cfg_read(f, 0, 0x02, 2), 0x0d57);
}

static void test_read_only_and_w1c(void **state)
{
	struct fixture *f = *state;
	struct pci_device d;

	pci_device_init(&d, "test", 0x1af4, 0x1042, 0x018000, 0x1af4, 2);
	d.opaque = f;
	assert_int_equal(pci_register(&f->bus, &d, 3, NULL), 0);
	cfg_write(f, 3, PCI_VENDOR_ID, 4, 0x12345678);
	assert_int_equal(cfg_read(f, 3, PCI_VENDOR_ID, 4), 0x10421af4);
	cfg_write(f, 3, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(cfg_read(f, 3, PCI_COMMAND, 2), 0x0547);
	/* A status error bit set by the device clears when written with 1. */
	d.cfg[PCI_STATUS + 1] |= 0x80;
	cfg_write(f, 3, PCI_STATUS, 2, 0x0000);
	assert_int_equal(cfg_read(f, 3, PCI_STATUS, 2) & 0x8000, 0x8000);
	cfg_write(f, 3, PCI_STATUS, 2, 0x8000);
	assert_int_equal(cfg_read(f, 3, PCI_STATUS, 2) & 0x8000, 0);
}

static void test_bar_sizing_placement_decode(void **state)
{
	struct fixture *f = *state;
	struct pci_device d;
	uint32_t v;

	pci_device_init(&d, "test", 0x1af4, 0x1042, 0x018000, 0x1af4, 2);
	d.ops = &dev_ops;
	d.opaque = f;
	assert_int_equal(pci_device_add_bar(&d, 0, 0x4000, true, &bar_ops, f, NULL), 0);
	assert_int_equal(pci_register(&f->bus, &d, -1, NULL), 0);
	assert_int_equal(d.slot, 1);
	/* Placed in the window, aligned to its size, typed 64-bit. */
	uint64_t addr = pci_bar_address(&d, 0);
	assert_true(addr >= WINDOW_START && addr + 0x4000 <= WINDOW_END);
	assert_int_equal(addr & 0x3fff, 0);
	assert_int_equal(cfg_read(f, 1, PCI_BAR0, 4) & 0xf, PCI_BAR_MEM_64);

	/* Not decoded until the guest enables memory space. */
	assert_int_equal(io_bus_read(&f->mmio, addr, &v, 4), -1);
	cfg_write(f, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(io_bus_read(&f->mmio, addr + 0x3ffc, &v, 4), 0);
	assert_int_equal(f->bar_reads, 1);
	assert_true(f->last_mapped && f->last_mapped_addr == addr);

	/* Sizing: all ones reads back the size mask with the type bits. */
	cfg_write(f, 1, PCI_COMMAND, 2, 0);
	assert_false(f->last_mapped);
	cfg_write(f, 1, PCI_BAR0, 4, 0xffffffff);
	cfg_write(f, 1, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(cfg_read(f, 1, PCI_BAR0, 4), 0xffffc004);
	assert_int_equal(cfg_read(f, 1, PCI_BAR0 + 4, 4), 0xffffffff);

	/* Moved by the guest, it decodes at the new place only. */
	cfg_write(f, 1, PCI_BAR0, 4, 0xd0000000);
	cfg_write(f, 1, PCI_BAR0 + 4, 4, 0);
	cfg_write(f, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(io_bus_read(&f->mmio, 0xd0000000, &v, 4), 0);
	assert_int_equal(io_bus_read(&f->mmio, addr, &v, 4), -1);
	cfg_write(f, 1, PCI_BAR0, 4, 0xd0010000);
	assert_int_equal(io_bus_read(&f->mmio, 0xd0000000, &v, 4), -1);
	assert_int_equal(io_bus_read(&f->mmio, 0xd0010000, &v, 4), 0);
	assert_true(f->last_mapped_addr == 0xd0010000);
}

static void test_bar_errors(void **state)
{
	struct fixture *f = *state;
	struct pci_device d, big;
	struct azerr e;

	pci_device_init(&d, "test", 0x1af4, 0x1042, 0, 0, 0);
	assert_int_equal(pci_device_add_bar(&d, 0, 0x3000, false, &bar_ops, f, &e), -1);
	assert_int_equal(pci_device_add_bar(&d, 0, 0x800, false, &bar_ops, f, &e), -1);
	assert_int_equal(pci_device_add_bar(&d, 5, 0x1000, true, &bar_ops, f, &e), -1);
	assert_int_equal(pci_device_add_bar(&d, 6, 0x1000, false, &bar_ops, f, &e), -1);
	assert_int_equal(pci_device_add_bar(&d, 2, 0x1000, true, &bar_ops, f, NULL), 0);
	assert_int_equal(pci_device_add_bar(&d, 3, 0x1000, false, &bar_ops, f, &e), -1);
	assert_non_null(strstr(e.msg, "twice"));
	/* A BAR bigger than the window is refused at registration. */
	pci_device_init(&big, "big", 0x1af4, 0x1042, 0, 0, 0);
	assert_int_equal(pci_device_add_bar(&big, 0, 0x200000, false, &bar_ops, f, NULL), 0);
	assert_int_equal(pci_register(&f->bus, &big, -1, &e), -1);
	assert_non_null(strstr(e.msg, "window exhausted"));
	assert_int_equal(pci_register(&f->bus, &d, 0, &e), -1); /* host bridge's */
}

static void test_capability_list(void **state)
{
	struct fixture *f = *state;
	struct pci_device d;
	(void)f;

	pci_device_init(&d, "test", 0x1af4, 0x1042, 0, 0, 0);
	uint8_t a = pci_device_add_capability(&d, 0x11, 12);
	uint8_t b = pci_device_add_capability(&d, 0x09, 17);
	uint8_t c = pci_device_add_capability(&d, 0x09, 20);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x4c);
	assert_int_equal(c, 0x60); /* 0x4c + 17 rounded up to a dword */
	assert_int_equal(d.cfg[PCI_CAPABILITY_LIST], a);
	assert_int_equal(d.cfg[a + 1], b);
	assert_int_equal(d.cfg[b + 1], c);
	assert_int_equal(d.cfg[c + 1], 0);
	assert_true(d.cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST);
	assert_int_equal(pci_device_add_capability(&d, 0x09, 200), 0); /* no room */
}

static void test_reset_control_register(void **state)
{
	struct fixture *f = *state;
	uint8_t v;

	v = 0x02;
	pci_config_io_ops.write(&f->bus, 1, &v, 1);
	assert_int_equal(f->resets, 0);
	v = 0x06;
	pci_config_io_ops.write(&f->bus, 1, &v, 1);
	assert_int_equal(f->resets, 1);
	pci_config_io_ops.read(&f->bus, 1, &v, 1);
	assert_int_equal(v, 0x06);
	/* Only a 0 -> 1 edge of RST_CPU resets. */
	v = 0x06;
	pci_config_io_ops.write(&f->bus, 1, &v, 1);
	assert_int_equal(f->resets, 1);
}

/* ---- snapshots ---- */

static void add_test_device(struct fixture *f, struct pci_bus *bus, struct pci_device *d)
{
	pci_device_init(d, "test", 0x1af4, 0x1042, 0x018000, 0x1af4, 2);
	d->ops = &dev_ops;
	d->opaque = f;
	assert_int_equal(pci_device_add_bar(d, 0, 0x4000, true, &bar_ops, f, NULL), 0);
	assert_int_equal(pci_register(bus, d, -1, NULL), 0);
}

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	struct pci_device d, d2;
	struct io_bus mmio2;
	struct pci_bus bus2;
	struct state_set s;
	struct azerr e = { "" };
	uint32_t v;

	add_test_device(f, &f->bus, &d);
	cfg_write(f, 1, PCI_BAR0, 4, 0xd0000000);
	cfg_write(f, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cfg_write(f, 1, PCI_INTERRUPT_LINE, 1, 11);
	state_set_init(&s);
	assert_int_equal(pci_bus_save(&f->bus, &s, &e), 0);
	assert_non_null(state_find(&s, STATE_PCI_CONFIG, 0));   /* the host bridge */

	io_bus_init(&mmio2, "mmio");
	pci_bus_init(&bus2, &mmio2, WINDOW_START, WINDOW_END, on_reset, f);
	add_test_device(f, &bus2, &d2);
	f->mapped_calls = 0;
	assert_int_equal(pci_bus_load(&bus2, &s, &e), 0);
	/* Decoded where the guest put it, the device told; the address
	 * register still selects the last function read or written. */
	assert_int_equal(io_bus_read(&mmio2, 0xd0000000, &v, 4), 0);
	assert_int_equal(f->mapped_calls, 1);
	assert_true(f->last_mapped && f->last_mapped_addr == 0xd0000000);
	assert_int_equal(pci_cfg_read(&d2, PCI_INTERRUPT_LINE, 1), 11);
	assert_int_equal(bus2.config_address, f->bus.config_address);

	/* Refused: another function (device ID), a section for an empty
	 * slot, reserved bits in the address register. */
	uint64_t old = state_poke(&s, STATE_PCI_CONFIG, 1, PCI_DEVICE_ID, 2, 0x1041);
	assert_refused(pci_bus_load(&bus2, &s, &e), &e, "not the same function");
	state_poke(&s, STATE_PCI_CONFIG, 1, PCI_DEVICE_ID, 2, old);
	old = state_poke(&s, STATE_PCI_BUS, 0, 0, 4, 0x80000001);
	assert_refused(pci_bus_load(&bus2, &s, &e), &e, "config_address");
	state_poke(&s, STATE_PCI_BUS, 0, 0, 4, old);
	assert_int_equal(state_put(&s, STATE_PCI_CONFIG, 5, d.cfg, PCI_CFG_SIZE, &e), 0);
	assert_refused(pci_bus_load(&bus2, &s, &e), &e, "empty");
	state_set_free(&s);
	pci_bus_destroy(&bus2);
	io_bus_destroy(&mmio2);
}

/* A guest may move one function's BAR over another's: the second stays
 * off, in the running VM and in the one its snapshot loads into. */
static void test_snapshot_bar_over_another(void **state)
{
	struct fixture *f = *state;
	struct pci_device a, b, a2, b2;
	struct io_bus mmio2;
	struct pci_bus bus2;
	struct state_set s;
	struct azerr e = { "" };

	add_test_device(f, &f->bus, &a);
	add_test_device(f, &f->bus, &b);
	cfg_write(f, 1, PCI_BAR0, 4, 0xd0000000);
	cfg_write(f, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cfg_write(f, 2, PCI_BAR0, 4, 0xd0000000);
	cfg_write(f, 2, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(a.bars[0].mapped && !b.bars[0].mapped);
	state_set_init(&s);
	assert_int_equal(pci_bus_save(&f->bus, &s, &e), 0);

	io_bus_init(&mmio2, "mmio");
	pci_bus_init(&bus2, &mmio2, WINDOW_START, WINDOW_END, on_reset, f);
	add_test_device(f, &bus2, &a2);
	add_test_device(f, &bus2, &b2);
	assert_int_equal(pci_bus_load(&bus2, &s, &e), 0);
	assert_true(a2.bars[0].mapped && !b2.bars[0].mapped);
	assert_int_equal(pci_bar_address(&b2, 0), 0xd0000000);
	state_set_free(&s);
	pci_bus_destroy(&bus2);
	io_bus_destroy(&mmio2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge_and_absent_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_address_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_and_w1c, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_placement_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_control_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_bar_over_another, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
