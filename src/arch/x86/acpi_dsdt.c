/* The DSDT's devices. Linux (drivers/acpi, drivers/pnp/pnpacpi) creates a
 * device for each and takes its ports, memory and interrupts from _CRS;
 * with ACPI on, that is how it learns the ISA interrupts of the legacy
 * devices, so each declares its IRQ. */
#include "arch/x86/acpi_tables.h"

#include <stdio.h>

#include "arch/x86/irq_wiring.h"
#include "arch/x86/layout.h"

/* The PC's fixed resources, where azote's device models (src/devices)
 * decode them. arch/ may not include devices/ (check-boundary.sh), so the
 * values are the PC's own here; test_acpi checks them against the models'
 * headers. */
#define COM1_PORT        0x3f8
#define COM1_PORTS       8
#define COM1_IRQ         4
#define I8042_DATA       0x60
#define I8042_COMMAND    0x64
#define I8042_IRQ        1
#define RTC_INDEX        0x70
#define RTC_PORTS        2
/* azote's RTC raises no interrupt, but Linux's rtc_cmos expects the PC's
 * IRQ 8 in the device's resources. */
#define RTC_IRQ          8
#define PCI_CONFIG_PORT  0xcf8       /* mechanism #1: 0xcf8-0xcff */
#define PCI_CONFIG_PORTS 8

/* Legacy ISA interrupts are edge-triggered and active high, as the MP
 * table and the MADT (no overrides) say too. */
#define ISA_IRQ_MODE AML_IRQ_EDGE

/* A legacy ISA device: up to two fixed port ranges and an ISA IRQ, whose
 * GSI irq_wiring.h gives. */
struct isa_device {
	const char *name, *hid;
	int uid;                                          /* < 0: no _UID */
	struct { uint16_t base; uint8_t len; } io[2];   /* len 0: unused */
	unsigned irq;
};

static const struct isa_device isa_devices[] = {
	/* COM1, a 16550A (PNP0501: 16550A-compatible COM port). */
	{ "COM1", "PNP0501", 1, { { COM1_PORT, COM1_PORTS } }, COM1_IRQ },
	/* The i8042 (PNP0303: IBM enhanced keyboard), data port 0x60 and
	 * command/status port 0x64. Linux's i8042 driver finds it here (or
	 * probes the ports itself when booted with i8042.nopnp); either way
	 * this _CRS is what maps IRQ 1. Reboot does not depend on it:
	 * Linux's keyboard-controller reset writes port 0x64 directly. */
	{ "PS2K", "PNP0303", -1, { { I8042_DATA, 1 }, { I8042_COMMAND, 1 } }, I8042_IRQ },
	/* The MC146818 CMOS clock (PNP0B00: AT real-time clock). */
	{ "RTC", "PNP0B00", -1, { { RTC_INDEX, RTC_PORTS } }, RTC_IRQ },
};

static void isa_device(struct aml *a, const struct isa_device *d)
{
	size_t dev = aml_device_open(a, d->name);
	aml_name_eisaid(a, "_HID", d->hid);
	if (d->uid >= 0)
		aml_name_int(a, "_UID", (uint64_t)d->uid);
	size_t crs = aml_name_rt_open(a, "_CRS");
	for (size_t i = 0; i < 2 && d->io[i].len; i++)
		aml_rd_io(a, d->io[i].base, d->io[i].len);
	aml_rd_interrupt(a, isa_irq_gsi(d->irq), ISA_IRQ_MODE);
	aml_rt_close(a, crs);
	aml_close(a, dev);
}

/* The PCI host bridge (6.1.5 _HID PNP0A08, PCI Express root; _CID
 * PNP0A03, PCI, for OSes that match that), segment 0, bus 0 only. Its
 * _CRS is what Linux builds the root bus's windows from (pci_use_crs):
 * the bus number, the configuration ports (configuration mechanism #1;
 * no ECAM, so no MCFG and no _CBA; Linux drops 0xcf8-0xcff from the
 * windows itself), all other I/O ports, and the 32-bit MMIO window
 * devices/pci.c allocates every BAR from. azote gives no I/O BARs and
 * places 64-bit BARs in the same window below 4 GiB, so no 64-bit window.
 * No _PRT: azote's devices have no INTx pin, they use MSI-X only. */
static void pci_host_bridge(struct aml *a)
{
	size_t dev = aml_device_open(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);
	size_t crs = aml_name_rt_open(a, "_CRS");
	aml_rd_word_bus(a, 0, 0);
	aml_rd_io(a, PCI_CONFIG_PORT, PCI_CONFIG_PORTS);
	aml_rd_word_io(a, 0x0000, PCI_CONFIG_PORT - 1);
	aml_rd_word_io(a, PCI_CONFIG_PORT + PCI_CONFIG_PORTS, 0xffff);
	aml_rd_dword_mem(a, (uint32_t)GPA_PCI_MMIO_START, (uint32_t)(GPA_PCI_MMIO_END - 1));
	aml_rt_close(a, crs);
	aml_close(a, dev);
}

/* A virtio-mmio transport as Linux's virtio_mmio driver matches it over
 * ACPI (_HID LNRO0005), with its registers and interrupt. Edge-triggered,
 * active high, as Firecracker declares them: the interrupt reaches the
 * IOAPIC as an irqfd, which KVM delivers as a pulse. */
static void virtio_mmio(struct aml *a, unsigned index, const struct acpi_mmio_device *d)
{
	char name[8];

	snprintf(name, sizeof(name), "VR%02u", index);
	size_t dev = aml_device_open(a, name);
	aml_name_string(a, "_HID", "LNRO0005");
	aml_name_int(a, "_UID", index);
	size_t crs = aml_name_rt_open(a, "_CRS");
	aml_rd_mem32_fixed(a, (uint32_t)d->base, (uint32_t)d->size);
	aml_rd_interrupt(a, d->gsi, AML_IRQ_EDGE);
	aml_rt_close(a, crs);
	aml_close(a, dev);
}

/* The VM generation ID's device, as Linux's vmgenid driver matches it
 * (VMGENCTR, which it looks for among the _CIDs as well as the _HID:
 * not a valid _HID, whose last four characters are hex digits) and reads
 * it: ADDR, a package of the ID's address, low and high 32 bits. _DDN is
 * Microsoft's name for it. */
static void vm_genid(struct aml *a)
{
	const uint64_t addr[] = { GPA_VMGENID & 0xffffffff, GPA_VMGENID >> 32 };
	size_t dev = aml_device_open(a, "VGEN");

	aml_name_string(a, "_HID", "AZOT0001");
	aml_name_string(a, "_CID", "VMGENCTR");
	aml_name_string(a, "_DDN", "VM_Gen_Counter");
	aml_name_package(a, "ADDR", addr, 2);
	aml_close(a, dev);
}

/* A Generic Event Device (ACPI 6.5 section 5.6.9, _HID ACPI0013): the
 * hardware-reduced way to a Notify. Its interrupt runs _EVT, which tells
 * VGEN's driver that the ID changed (Notify 0x80). */
static void generic_event_device(struct aml *a)
{
	size_t dev = aml_device_open(a, "GED");
	aml_name_string(a, "_HID", "ACPI0013");
	size_t crs = aml_name_rt_open(a, "_CRS");
	aml_rd_interrupt(a, GSI_GED, AML_IRQ_EDGE);
	aml_rt_close(a, crs);
	size_t evt = aml_method_open(a, "_EVT", 1);
	size_t cond = aml_if_arg_equal_open(a, 0, GSI_GED);
	aml_notify(a, "\\_SB.VGEN", 0x80);
	aml_close(a, cond);
	aml_close(a, evt);
	aml_close(a, dev);
}

const char *acpi_dsdt_aml(struct aml *a, const struct acpi_platform *p)
{
	/* S5 (soft off), the one sleep state azote has: its SLP_TYP for the
	 * sleep control register (the second value is SLP_TYPb, for the PM1b
	 * block a hardware-reduced machine has not). Linux's ACPI power-off
	 * (pm_power_off) exists only when the DSDT names it. */
	static const uint64_t s5[] = { ACPI_SLEEP_TYPE_S5, 0 };
	aml_name_package(a, "\\_S5", s5, 2);

	size_t sb = aml_scope_open(a, "\\_SB");

	for (size_t i = 0; i < sizeof(isa_devices) / sizeof(isa_devices[0]); i++)
		isa_device(a, &isa_devices[i]);
	if (p->has_pci)
		pci_host_bridge(a);
	for (size_t i = 0; i < p->nr_mmio; i++)
		virtio_mmio(a, (unsigned)i, &p->mmio[i]);
	vm_genid(a);
	generic_event_device(a);
	aml_close(a, sb);
	return a->error;
}
