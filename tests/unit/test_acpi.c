/* The ACPI tables, read back as a guest would: the RSDP found by a scan of
 * the BIOS area, every checksum recomputed, the XSDT and FADT pointers
 * followed, the MADT compared with the MP table, the DSDT parsed by a
 * reader of its own (aml_reader.c) down to each device's resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"
#include "arch/x86/boot.h"
#include "arch/x86/irq_wiring.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "aml_reader.h"
#include "devices/acpi_sleep.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "x86_fixture.h"

#define HDR 36                 /* system description table header */

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
	uint64_t end;              /* highest byte any table uses, plus 1 */
};

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* What Linux does without a pointer from the boot loader: the RSDP is on a
 * 16-byte boundary between 0xe0000 and 0xfffff, with a valid checksum. */
static const uint8_t *scan_rsdp(const struct guest_mem *m)
{
	const uint8_t *bios = guest_mem_ptr(m, 0xe0000, 0x20000);

	for (size_t off = 0; bios && off < 0x20000; off += 16)
		if (!memcmp(bios + off, "RSD PTR ", 8) && sum(bios + off, 20) == 0)
			return bios + off;
	return NULL;
}

/* The table at gpa: its signature, a length within the ACPI area, and a
 * checksum that zeroes it. */
static const uint8_t *table(const struct guest_mem *m, uint64_t gpa, const char *sig,
			    struct tables *t)
{
	const uint8_t *p = guest_mem_ptr(m, gpa, HDR);

	assert_non_null(p);
	assert_memory_equal(p, sig, 4);
	uint32_t len = (uint32_t)fx_get(p, 4, 4);
	assert_true(len >= HDR);
	assert_true(gpa >= GPA_ACPI && gpa + len <= GPA_ACPI_END);
	assert_int_equal(sum(p, len), 0);
	assert_memory_equal(p + 10, "AZOTE ", 6);      /* OEM ID */
	if (gpa + len > t->end)
		t->end = gpa + len;
	return p;
}

static void follow(const struct guest_mem *m, struct tables *t)
{
	memset(t, 0, sizeof(*t));
	t->rsdp = scan_rsdp(m);
	assert_non_null(t->rsdp);
	assert_int_equal(t->rsdp[15], 2);              /* revision */
	assert_int_equal(fx_get(t->rsdp, 16, 4), 0);   /* no RSDT */
	assert_int_equal(fx_get(t->rsdp, 20, 4), 36);  /* length */
	assert_int_equal(sum(t->rsdp, 36), 0);         /* extended checksum */
	t->xsdt = table(m, fx_get(t->rsdp, 24, 8), "XSDT", t);
	assert_int_equal(fx_get(t->xsdt, 4, 4), HDR + 2 * 8);
	t->fadt = table(m, fx_get(t->xsdt, HDR, 8), "FACP", t);
	t->madt = table(m, fx_get(t->xsdt, HDR + 8, 8), "APIC", t);
	assert_int_equal(fx_get(t->fadt, 40, 4), fx_get(t->fadt, 140, 8));
	t->dsdt = table(m, fx_get(t->fadt, 140, 8), "DSDT", t);
}

static struct guest_mem *build(const struct acpi_platform *p)
{
	struct guest_mem *m = fx_guest(64 << 20);
	uint64_t rsdp = 0;
	struct azerr e;

	if (acpi_write(m, p, &rsdp, &e) < 0)
		fail_msg("acpi_write: %s", e.msg);
	assert_int_equal(rsdp, GPA_ACPI);
	return m;
}

static void test_rsdp_and_tables(void **state)
{
	struct acpi_platform p = { .nr_cpus = 2, .has_pci = true };
	struct guest_mem *m = build(&p);
	struct tables t;
	(void)state;

	follow(m, &t);
	assert_ptr_equal(t.rsdp, guest_mem_ptr(m, GPA_ACPI, 1));
	/* FADT: revision 6 (276 bytes), hardware-reduced, no SCI, no FACS. */
	assert_int_equal(t.fadt[8], 6);
	assert_int_equal(fx_get(t.fadt, 4, 4), 276);
	assert_true(fx_get(t.fadt, 112, 4) & (1u << 20));
	assert_int_equal(fx_get(t.fadt, 46, 2), 0);    /* SCI_INT */
	assert_int_equal(fx_get(t.fadt, 36, 4), 0);    /* FIRMWARE_CTRL */
	assert_int_equal(fx_get(t.fadt, 132, 8), 0);   /* X_FIRMWARE_CTRL */
	/* IAPC_BOOT_ARCH: the 8042 is there, and the CMOS clock is too. */
	uint64_t iapc = fx_get(t.fadt, 109, 2);
	assert_true(iapc & (1u << 1));
	assert_false(iapc & (1u << 5));
	assert_int_equal(t.dsdt[8], 2);                /* 64-bit AML integers */
	/* SLEEP_CONTROL_REG and SLEEP_STATUS_REG (Generic Address
	 * Structures at 244 and 256): byte-wide ports the sleep device
	 * decodes, control first. */
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *gas = t.fadt + 244 + 12 * i;
		assert_int_equal(gas[0], 1);           /* System I/O */
		assert_int_equal(gas[1], 8);           /* bit width */
		assert_int_equal(gas[2], 0);           /* bit offset */
		assert_int_equal(gas[3], 1);           /* byte access */
		assert_int_equal(fx_get(gas, 4, 8), PORT_ACPI_SLEEP_CONTROL + i);
	}
	assert_int_equal(PORT_ACPI_SLEEP_STATUS, PORT_ACPI_SLEEP_CONTROL + 1);
	fx_guest_free(m);
}


/* ISA IRQ irq as the MP table routes it: the IOAPIC pin of its entry. */
static int mp_isa_pin(const struct guest_mem *m, unsigned irq, uint16_t *flags)
{
	const uint8_t *cfg = guest_mem_ptr(m, GPA_MP_CONFIG, 44);
	const uint8_t *p = cfg + 44;

	for (unsigned i = 0; i < fx_get(cfg, 34, 2); i++) {
		if (p[0] == 3 && p[4] == 1 && p[5] == irq) {   /* ISA bus is 1 */
			*flags = (uint16_t)fx_get(p, 2, 2);
			return p[7];
		}
		p += p[0] == 0 ? 20 : 8;
	}
	return -1;
}

static void check_madt(int n)
{
	struct acpi_platform p = { .nr_cpus = n };
	struct guest_mem *m = build(&p);
	struct azerr e;
	struct tables t;
	int cpus = 0, ioapics = 0, nmis = 0;
	int gsi_of[16];
	uint16_t flags_of[16] = { 0 };

	assert_int_equal(mptable_write(m, n, &e), 0);
	follow(m, &t);
	assert_int_equal(fx_get(t.madt, 36, 4), GPA_LAPIC);
	for (int i = 0; i < 16; i++)
		gsi_of[i] = i;                 /* 5.2.12.5: identity unless overridden */
	size_t len = fx_get(t.madt, 4, 4);
	for (size_t off = 44; off < len; off += t.madt[off + 1]) {
		const uint8_t *s = t.madt + off;
		assert_true(s[1] >= 2 && off + s[1] <= len);
		switch (s[0]) {
		case 0:
			assert_int_equal(ioapics, 0);          /* CPUs first */
			assert_int_equal(s[2], cpus);          /* processor UID */
			assert_int_equal(s[3], cpus);          /* APIC ID */
			assert_int_equal(fx_get(s, 4, 4), 1);  /* enabled */
			cpus++;
			break;
		case 1:
			assert_int_equal(s[2], n);             /* ID after the CPUs */
			assert_int_equal(fx_get(s, 4, 4), GPA_IOAPIC);
			assert_int_equal(fx_get(s, 8, 4), 0);  /* GSI base */
			ioapics++;
			break;
		case 2:
			assert_int_equal(s[2], 0);             /* ISA */
			gsi_of[s[3]] = (int)fx_get(s, 4, 4);
			flags_of[s[3]] = (uint16_t)fx_get(s, 8, 2);
			break;
		case 4:
			assert_int_equal(s[2], 0xff);          /* all processors */
			assert_int_equal(s[5], 1);             /* LINT1, as the MP table */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT structure type %u", s[0]);
		}
	}
	assert_int_equal(cpus, n);
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
	/* Every ISA IRQ reaches the same pin, with the same flags, whether a
	 * kernel reads the MP table or the MADT. */
	for (unsigned irq = 0; irq < 16; irq++) {
		uint16_t mp_flags = 0xffff;
		assert_int_equal(mp_isa_pin(m, irq, &mp_flags), gsi_of[irq]);
		assert_int_equal(mp_flags, flags_of[irq]);
	}
	fx_guest_free(m);
}

static void test_madt_cpus(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(2);
	check_madt(BOOT_MAX_CPUS);
}

/* The device whose _HID is hid (an EISA ID or a string), the n-th one. */
static const char *device_with_hid(const struct aml_tree *t, const char *hid, int nth)
{
	uint32_t eisa = 0;

	if (strlen(hid) == 7 && hid[3] >= '0' && hid[3] <= '9') {
		/* EISA ID compression (ACPI 19.6.35), written out by hand. */
		uint32_t v = (uint32_t)(hid[0] - '@') << 26 | (uint32_t)(hid[1] - '@') << 21 |
			     (uint32_t)(hid[2] - '@') << 16 | (uint32_t)strtoul(hid + 3, NULL, 16);
		eisa = __builtin_bswap32(v);
	}
	for (size_t i = 0; i < t->nr_devices; i++) {
		const struct aml_named *h = aml_find(t, t->devices[i], "_HID");
		if (!h)
			continue;
		bool match = h->kind == AMLV_STRING ? !strcmp(h->string, hid) :
			     h->kind == AMLV_INT && eisa && h->integer == eisa;
		if (match && nth-- == 0)
			return t->devices[i];
	}
	return NULL;
}

/* The device's _CRS, split into descriptors (checksum checked). */
static int crs(const struct aml_tree *t, const char *dev, struct aml_rd *rd)
{
	const struct aml_named *c = aml_find(t, dev, "_CRS");

	assert_non_null(c);
	assert_int_equal(c->kind, AMLV_BUFFER);
	int n = aml_resources(c->buffer, c->buffer_len, rd, 8);
	assert_true(n > 0);
	return n;
}

static void expect_io(const struct aml_rd *rd, unsigned base, unsigned len)
{
	assert_int_equal(rd->type, RD_SMALL_IO);
	assert_int_equal(fx_get(rd->body, 1, 2), base);
	assert_int_equal(fx_get(rd->body, 3, 2), base);
	assert_int_equal(rd->body[6], len);
}

/* Extended Interrupt: consumer, edge-triggered, active high, exclusive. */
static void expect_edge_irq(const struct aml_rd *rd, unsigned gsi)
{
	assert_int_equal(rd->type, RD_LARGE_EXT_IRQ);
	assert_int_equal(rd->body[0], 0x03);
	assert_int_equal(rd->body[1], 1);
	assert_int_equal(fx_get(rd->body, 2, 4), gsi);
}

static const struct aml_tree *parse_dsdt(const struct guest_mem *m)
{
	static struct aml_tree tree;
	struct tables t;

	follow(m, &t);
	const char *why = aml_read(t.dsdt + HDR, fx_get(t.dsdt, 4, 4) - HDR, &tree);
	if (why)
		fail_msg("DSDT: %s", why);
	return &tree;
}

/* \_S5: the sleep type that powers off, as the sleep device takes it. */
static void test_dsdt_s5(void **state)
{
	struct acpi_platform p = { .nr_cpus = 1 };
	struct guest_mem *m = build(&p);
	const struct aml_tree *t = parse_dsdt(m);
	const struct aml_named *s5 = NULL;
	(void)state;

	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->names[i].path, "\\_S5_"))
			s5 = &t->names[i];
	assert_non_null(s5);
	assert_int_equal(s5->kind, AMLV_PACKAGE);
	assert_int_equal(s5->package_len, 2);
	assert_int_equal(s5->package[0], ACPI_SLEEP_TYPE_S5);
	assert_true(ACPI_SLEEP_TYPE_S5 <= ACPI_SLEEP_TYPE_MASK >> ACPI_SLEEP_TYPE_SHIFT);
	fx_guest_free(m);
}

static void test_dsdt_legacy_devices(void **state)
{
	struct acpi_platform p = { .nr_cpus = 1 };
	struct guest_mem *m = build(&p);
	const struct aml_tree *t = parse_dsdt(m);
	struct aml_rd rd[8];
	const char *dev;
	(void)state;

	/* Where azote's device models decode (their headers). */
	dev = device_with_hid(t, "PNP0501", 0);        /* COM1 */
	assert_non_null(dev);
	assert_int_equal(crs(t, dev, rd), 2);
	expect_io(&rd[0], UART_COM1_BASE, UART_NR_REGS);
	expect_edge_irq(&rd[1], UART_COM1_IRQ);
	dev = device_with_hid(t, "PNP0303", 0);        /* i8042 */
	assert_non_null(dev);
	assert_int_equal(crs(t, dev, rd), 3);
	expect_io(&rd[0], I8042_DATA_PORT, 1);
	expect_io(&rd[1], I8042_CMD_PORT, 1);
	expect_edge_irq(&rd[2], I8042_KBD_IRQ);
	dev = device_with_hid(t, "PNP0B00", 0);        /* CMOS clock */
	assert_non_null(dev);
	assert_int_equal(crs(t, dev, rd), 2);
	expect_io(&rd[0], RTC_PORT, RTC_PORT_LEN);
	expect_edge_irq(&rd[1], 8);
	/* No PCI asked for, none declared; no mmio devices either. */
	assert_null(device_with_hid(t, "PNP0A08", 0));
	assert_null(device_with_hid(t, "LNRO0005", 0));
	fx_guest_free(m);
}

/* The VM generation ID (Linux's vmgenid: _HID VMGENCTR, ADDR its 16
 * bytes, low and high halves) where azote writes it, in reserved memory
 * past the tables; and the Generic Event Device whose edge-triggered
 * interrupt, GSI_GED, runs _EVT: Notify (VGEN, 0x80) for that GSI. No
 * device of the DSDT or virtio-mmio transport shares the line. */
static void test_dsdt_vm_genid(void **state)
{
	static const struct acpi_mmio_device mmio[] = {
		{ GPA_VIRTIO_MMIO, 0x1000, 5 }, { GPA_VIRTIO_MMIO + 0x1000, 0x1000, 23 },
	};
	struct acpi_platform p = { .nr_cpus = 2, .has_pci = true, .mmio = mmio, .nr_mmio = 2 };
	struct guest_mem *m = build(&p);
	const struct aml_tree *t = parse_dsdt(m);
	struct aml_rd rd[8];
	(void)state;

	const char *gen = device_with_hid(t, "AZOT0001", 0);
	assert_non_null(gen);
	assert_string_equal(gen, "\\_SB_.VGEN");
	assert_string_equal(aml_find(t, gen, "_CID")->string, "VMGENCTR");
	const struct aml_named *addr = aml_find(t, gen, "ADDR");
	assert_non_null(addr);
	assert_int_equal(addr->kind, AMLV_PACKAGE);
	assert_int_equal(addr->package_len, 2);
	assert_int_equal(addr->package[0] | addr->package[1] << 32, GPA_VMGENID);
	assert_true(GPA_VMGENID >= GPA_ACPI_END && GPA_VMGENID + GPA_VMGENID_SIZE <= GPA_MP_CONFIG);

	const char *ged = device_with_hid(t, "ACPI0013", 0);
	assert_non_null(ged);
	assert_int_equal(crs(t, ged, rd), 1);
	expect_edge_irq(&rd[0], GSI_GED);
	const struct aml_method *evt = aml_find_method(t, ged, "_EVT");
	assert_non_null(evt);
	assert_int_equal(evt->nargs, 1);
	assert_int_equal(evt->nr_rules, 1);
	assert_int_equal(evt->rules[0].arg, 0);
	assert_int_equal(evt->rules[0].equals, GSI_GED);
	assert_string_equal(evt->rules[0].target, gen);
	assert_int_equal(evt->rules[0].value, 0x80);
	/* A line nothing else takes. */
	for (size_t i = 0; i < t->nr_devices; i++) {
		if (!strcmp(t->devices[i], ged) || !aml_find(t, t->devices[i], "_CRS"))
			continue;
		int n = crs(t, t->devices[i], rd);
		for (int k = 0; k < n; k++)
			assert_false(rd[k].type == RD_LARGE_EXT_IRQ &&
				     fx_get(rd[k].body, 2, 4) == GSI_GED);
	}
	fx_guest_free(m);
}

/* The PCI root's _CRS: bus 0 only, the config ports, I/O windows around
 * them, and one 32-bit memory window; returns that window. */
static void pci_window(const struct aml_tree *t, uint64_t *min, uint64_t *max)
{
	const char *dev = device_with_hid(t, "PNP0A08", 0);
	struct aml_rd rd[8];

	assert_non_null(dev);
	const struct aml_named *cid = aml_find(t, dev, "_CID");
	assert_non_null(cid);
	assert_int_equal(cid->integer, 0x030ad041);    /* EISAID("PNP0A03") */
	assert_int_equal(aml_find(t, dev, "_SEG")->integer, 0);
	assert_int_equal(aml_find(t, dev, "_BBN")->integer, 0);
	assert_int_equal(crs(t, dev, rd), 5);
	/* Word address space: type, flags, type flags, then gra, min, max, tra, len. */
	assert_int_equal(rd[0].type, RD_LARGE_WORD_SPACE);
	assert_int_equal(rd[0].body[0], 2);            /* bus numbers */
	assert_int_equal(fx_get(rd[0].body, 5, 2), 0);
	assert_int_equal(fx_get(rd[0].body, 7, 2), 0);
	expect_io(&rd[1], PCI_CONFIG_ADDR_PORT, 8);
	assert_int_equal(rd[2].body[0], 1);            /* I/O */
	assert_int_equal(fx_get(rd[2].body, 7, 2), 0xcf7);
	assert_int_equal(fx_get(rd[3].body, 5, 2), 0xd00);
	assert_int_equal(fx_get(rd[3].body, 7, 2), 0xffff);
	assert_int_equal(rd[4].type, RD_LARGE_DWORD_SPACE);
	assert_int_equal(rd[4].body[0], 0);            /* memory */
	*min = fx_get(rd[4].body, 7, 4);
	*max = fx_get(rd[4].body, 11, 4);
	assert_int_equal(fx_get(rd[4].body, 19, 4), *max - *min + 1);
}

static void test_dsdt_pci_and_mmio(void **state)
{
	static const struct acpi_mmio_device mmio[] = {
		{ .base = 0xd0000000, .size = 0x1000, .gsi = 5 },
		{ .base = 0xd0001000, .size = 0x200, .gsi = 23 },
	};
	struct acpi_platform p = { .nr_cpus = 2, .has_pci = true, .mmio = mmio,
				   .nr_mmio = 2 };
	struct guest_mem *m = build(&p);
	const struct aml_tree *t = parse_dsdt(m);
	struct aml_rd rd[8];
	uint64_t min, max;
	(void)state;

	pci_window(t, &min, &max);
	/* Firecracker's MEM_32BIT_DEVICES_START: the page before it is the
	 * boot timer's (0xc0000000), outside the window whatever the flag. */
	assert_int_equal(min, 0xc0001000);
	assert_int_equal(max, GPA_PCI_MMIO_END - 1);
	assert_int_equal(GPA_BOOT_TIMER, 0xc0000000);
	assert_true(GPA_BOOT_TIMER_END <= min);
	for (int i = 0; i < 2; i++) {
		const char *dev = device_with_hid(t, "LNRO0005", i);
		assert_non_null(dev);
		assert_int_equal(aml_find(t, dev, "_UID")->integer, i);
		assert_int_equal(crs(t, dev, rd), 2);
		assert_int_equal(rd[0].type, RD_LARGE_MEM32_FIXED);
		assert_int_equal(rd[0].body[0], 1);    /* read/write */
		assert_int_equal(fx_get(rd[0].body, 1, 4), mmio[i].base);
		assert_int_equal(fx_get(rd[0].body, 5, 4), mmio[i].size);
		expect_edge_irq(&rd[1], mmio[i].gsi);
	}
	assert_null(device_with_hid(t, "LNRO0005", 2));
	fx_guest_free(m);
}

/* Every BAR devices/pci.c places in the window vm.c gives it lies inside
 * the root bridge's memory window, up to the window's exhaustion, and off
 * the boot timer's page. */
static void test_pci_window_covers_bars(void **state)
{
	struct acpi_platform p = { .nr_cpus = 1, .has_pci = true };
	struct guest_mem *m = build(&p);
	const struct aml_tree *t = parse_dsdt(m);
	static struct pci_device devs[8];
	struct io_bus mmio;
	struct pci_bus bus;
	struct azerr e;
	uint64_t min, max;
	int placed = 0;
	(void)state;

	pci_window(t, &min, &max);
	io_bus_init(&mmio, "mmio");
	pci_bus_init(&bus, &mmio, GPA_PCI_MMIO_START, GPA_PCI_MMIO_END, NULL, NULL);
	for (int i = 0; i < 8; i++) {
		pci_device_init(&devs[i], "dev", 0x1af4, 0x1041, 0x010000, 0, 0);
		assert_int_equal(pci_device_add_bar(&devs[i], 0, 0x4000, false, NULL, NULL, &e), 0);
		assert_int_equal(pci_device_add_bar(&devs[i], 2, 64ULL << 20, true, NULL, NULL, &e), 0);
		if (pci_register(&bus, &devs[i], -1, &e) < 0)
			break;
		for (int b = 0; b <= 2; b += 2) {
			uint64_t at = pci_bar_address(&devs[i], b);
			assert_true(at >= min && at + devs[i].bars[b].size - 1 <= max);
			assert_true(at >= GPA_BOOT_TIMER_END ||
				    at + devs[i].bars[b].size <= GPA_BOOT_TIMER);
		}
		placed++;
	}
	assert_true(placed >= 3);
	assert_true(placed < 8);                   /* the window did run out */
	pci_bus_destroy(&bus);
	io_bus_destroy(&mmio);
	fx_guest_free(m);
}

/* 254 vCPUs and the most mmio devices fit the area; one more device, or
 * values the tables cannot carry, are refused by name. */
static void test_limits(void **state)
{
	static struct acpi_mmio_device mmio[ACPI_MAX_MMIO_DEVICES + 1];
	struct acpi_platform p = { .nr_cpus = BOOT_MAX_CPUS, .has_pci = true,
				   .mmio = mmio, .nr_mmio = ACPI_MAX_MMIO_DEVICES };
	struct guest_mem *m = fx_guest(64 << 20);
	struct tables t;
	struct azerr e;
	uint64_t rsdp;
	(void)state;

	for (int i = 0; i <= ACPI_MAX_MMIO_DEVICES; i++)
		mmio[i] = (struct acpi_mmio_device){ .base = 0xd0000000 + 0x1000ULL * (unsigned)i,
						     .size = 0x1000, .gsi = 5 + (unsigned)i % 3 };
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), 0);
	follow(m, &t);
	assert_true(t.end <= GPA_ACPI_END);
	assert_non_null(device_with_hid(parse_dsdt(m), "LNRO0005", ACPI_MAX_MMIO_DEVICES - 1));

	p.nr_mmio = ACPI_MAX_MMIO_DEVICES + 1;
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), -1);
	assert_err_has(e, "33 virtio-mmio devices");
	p.nr_mmio = 1;
	mmio[0].gsi = 24;
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), -1);
	assert_err_has(e, "GSI 24");
	mmio[0].gsi = 4;                           /* COM1's */
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), -1);
	assert_err_has(e, "GSI 4");
	mmio[0] = (struct acpi_mmio_device){ .base = 0xfffff000, .size = 0x2000, .gsi = 5 };
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), -1);
	assert_err_has(e, "below 4 GiB");
	p.nr_mmio = 0;
	p.nr_cpus = 0;
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), -1);
	assert_err_has(e, "0 CPUs");
	p.nr_cpus = BOOT_MAX_CPUS + 1;
	assert_int_equal(acpi_write(m, &p, &rsdp, &e), -1);
	assert_err_has(e, "255 CPUs");
	fx_guest_free(m);
}

/* An area too small for the tables is refused, not overrun. */
static void test_area_too_small(void **state)
{
	static uint8_t area[4096 + 64];
	struct acpi_platform p = { .nr_cpus = 200, .has_pci = true };
	struct azerr e;
	uint64_t rsdp;
	(void)state;

	memset(area, 0xa5, sizeof(area));
	assert_int_equal(acpi_build(area, GPA_ACPI, 2048, &p, &rsdp, &e), -1);
	assert_err_has(e, "do not fit");
	p.nr_cpus = 1;
	assert_int_equal(acpi_build(area, GPA_ACPI, 700, &p, &rsdp, &e), -1);
	assert_err_has(e, "DSDT");
	for (size_t i = 2048; i < sizeof(area); i++)
		assert_int_equal(area[i], 0xa5);
}

/* PkgLength in its 1-, 2- and 3-byte forms, read back by the reader; bad
 * names and a full buffer fail the writer. */
static void test_aml_writer(void **state)
{
	static uint8_t buf[1 << 16];
	static char text[5000];
	static const size_t names[] = { 1, 10, 0 };    /* 0: one long string */
	static const uint8_t forms[] = { 0, 1, 2 };    /* PkgLength bytes - 1 */
	static struct aml_tree tree;
	struct aml a;
	(void)state;

	memset(text, 'x', sizeof(text) - 1);
	for (size_t k = 0; k < 3; k++) {
		aml_init(&a, buf, sizeof(buf));
		size_t sb = aml_scope_open(&a, "\\_SB");
		size_t dev = aml_device_open(&a, "DEV0");
		for (size_t i = 0; i < names[k]; i++)
			aml_name_int(&a, "_UID", 0x12345678u + i);
		if (!names[k])
			aml_name_string(&a, "_STR", text);
		aml_close(&a, dev);
		aml_close(&a, sb);
		assert_null(a.error);
		assert_int_equal(buf[1] >> 6, forms[k]);
		const char *why = aml_read(buf, a.len, &tree);
		if (why)
			fail_msg("case %zu: %s", k, why);
		assert_int_equal(tree.nr_devices, 1);
		assert_string_equal(tree.devices[0], "\\_SB_.DEV0");
		if (names[k])
			assert_int_equal(tree.names[names[k] - 1].integer,
					 0x12345678u + names[k] - 1);
		else
			assert_string_equal(tree.names[0].string, text);
	}

	static const char *bad[] = { "1ABC", "ABCDE", "_SB.", "a", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_name_int(&a, bad[i], 1);
		if (!a.error)
			fail_msg("name '%s' accepted", bad[i]);
	}
	aml_init(&a, buf, sizeof(buf));
	aml_name_eisaid(&a, "_HID", "pnp0501");
	assert_non_null(a.error);
	aml_init(&a, buf, 10);
	size_t crs = aml_name_rt_open(&a, "_CRS");
	aml_rd_io(&a, 0x3f8, 8);
	aml_rt_close(&a, crs);
	assert_non_null(a.error);

	/* Packages: every integer form, read back in order; 0 or 256
	 * elements refused. */
	static const uint64_t ints[] = { 0, 1, 0xff, 0x1234, 0x12345678, 1ULL << 40 };
	aml_init(&a, buf, sizeof(buf));
	aml_name_package(&a, "\\PKG", ints, 6);
	assert_null(a.error);
	const char *why = aml_read(buf, a.len, &tree);
	if (why)
		fail_msg("package: %s", why);
	assert_int_equal(tree.nr, 1);
	assert_int_equal(tree.names[0].kind, AMLV_PACKAGE);
	assert_int_equal(tree.names[0].package_len, 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(tree.names[0].package[i] == ints[i]);
	static const uint64_t many[256];
	for (size_t n = 0; n <= 256; n += 256) {
		aml_init(&a, buf, sizeof(buf));
		aml_name_package(&a, "PKG", many, n);
		assert_non_null(a.error);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_and_tables),
		cmocka_unit_test(test_madt_cpus),
		cmocka_unit_test(test_dsdt_s5),
		cmocka_unit_test(test_dsdt_legacy_devices),
		cmocka_unit_test(test_dsdt_pci_and_mmio),
		cmocka_unit_test(test_dsdt_vm_genid),
		cmocka_unit_test(test_pci_window_covers_bars),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_area_too_small),
		cmocka_unit_test(test_aml_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
