/* The ACPI tables and where they go: the RSDP at the start of the area,
 * then XSDT, FADT, MADT and DSDT, each 16-byte aligned. Section numbers
 * are the ACPI 6.5 specification's. */
#include "arch/x86/acpi.h"

#include <string.h>

#include "arch/x86/acpi_tables.h"
#include "arch/x86/boot.h"
#include "arch/x86/irq_wiring.h"
#include "arch/x86/layout.h"

/* Who made the tables, as the headers name it (5.2.6). */
#define OEM_ID            "AZOTE "
#define OEM_TABLE_ID      "AZOTE-VM"
#define OEM_REVISION      1
#define CREATOR_ID        "AZOT"
#define CREATOR_REVISION  1

/* Table revisions for ACPI 6.5. */
#define RSDP_REVISION     2
#define XSDT_REVISION     1
#define FADT_REVISION     6
#define FADT_MINOR        5
#define MADT_REVISION     6
#define DSDT_REVISION     2   /* 2 and up: AML integers are 64-bit */

/* Generic Address Structure fields (Table 5.1). */
#define GAS_SYSTEM_IO        1
#define GAS_ACCESS_BYTE      1

/* FADT Flags (Table 5.10). */
#define FADT_WBINVD          (1u << 0)   /* "must be set" by new systems */
#define FADT_PWR_BUTTON      (1u << 4)   /* set: no power button */
#define FADT_SLP_BUTTON      (1u << 5)   /* set: no sleep button */
#define FADT_HW_REDUCED_ACPI (1u << 20)

/* IA-PC boot architecture flags (5.2.9.3, Table 5.11). azote has user-
 * visible ISA devices (COM1), an 8042 at ports 0x60/0x64 (which Linux may
 * then probe without a DSDT entry, and where its reboot resets the VM),
 * no VGA, and a CMOS clock (bit 5, "CMOS RTC Not Present", stays clear so
 * that Linux keeps reading the time there). */
#define IAPC_LEGACY_DEVICES  (1u << 0)
#define IAPC_8042            (1u << 1)
#define IAPC_VGA_NOT_PRESENT (1u << 2)

/* MADT (5.2.12). PCAT_COMPAT: KVM's dual 8259 is there too (masked once
 * the OS uses the APICs), as the MP table's virtual-wire mode says. */
#define MADT_PCAT_COMPAT     (1u << 0)
#define MADT_LAPIC           0
#define MADT_IOAPIC          1
#define MADT_IRQ_OVERRIDE    2
#define MADT_LAPIC_NMI       4
#define LAPIC_ENABLED        (1u << 0)
#define ALL_PROCESSORS       0xff
#define ISA_BUS              0
#define NMI_LINT             1     /* LINT1, as in the MP table */

#define TABLE_ALIGN          16

/* The XSDT's entries: FADT and MADT (the DSDT hangs off the FADT). */
#define XSDT_ENTRIES         2

void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length,
		      uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = CREATOR_REVISION;
}

static uint8_t sum8(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *b++);
	return s;
}

void acpi_set_checksum(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = (uint8_t)-sum8(h, h->length);
}

/* Hands out 16-byte aligned pieces of the area, in order. */
struct area {
	uint8_t *base;
	uint64_t gpa;
	size_t len, used;
};

static void *take(struct area *ar, size_t size, uint64_t *gpa)
{
	size_t at = (ar->used + TABLE_ALIGN - 1) & ~(size_t)(TABLE_ALIGN - 1);

	if (at > ar->len || size > ar->len - at)
		return NULL;
	ar->used = at + size;
	*gpa = ar->gpa + at;
	return ar->base + at;
}

static size_t madt_size(int nr_cpus, size_t overrides)
{
	return sizeof(struct acpi_madt) + (size_t)nr_cpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + overrides * sizeof(struct madt_irq_override) +
	       sizeof(struct madt_lapic_nmi);
}

/* Appends one structure at *pos and advances it. */
#define EMIT(pos, s) do {			\
	memcpy((pos), &(s), sizeof(s));		\
	(pos) += sizeof(s);			\
} while (0)

/* The ISA IRQs whose wiring leaves the identity the MADT implies (5.2.12.5:
 * "ISA interrupts will be identity-mapped into the first I/O APIC
 * sources"); none with KVM's default routing. */
static size_t isa_overrides(uint8_t *out)
{
	size_t n = 0;

	for (unsigned irq = 0; irq < ISA_IRQS; irq++)
		if (isa_irq_gsi(irq) != irq) {
			struct madt_irq_override o = {
				.type = MADT_IRQ_OVERRIDE, .length = sizeof(o),
				.bus = ISA_BUS, .source = (uint8_t)irq,
				.gsi = isa_irq_gsi(irq), .flags = 0,
			};
			if (out)
				memcpy(out + n * sizeof(o), &o, sizeof(o));
			n++;
		}
	return n;
}

/* The same CPUs, IOAPIC and wiring as the MP table (mptable.c). */
static void write_madt(uint8_t *t, int nr_cpus)
{
	size_t overrides = isa_overrides(NULL);
	struct acpi_madt hdr = {
		.lapic_address = (uint32_t)GPA_LAPIC, .flags = MADT_PCAT_COMPAT,
	};
	uint8_t *p = t + sizeof(hdr);

	acpi_header_init(&hdr.header, "APIC", (uint32_t)madt_size(nr_cpus, overrides),
			 MADT_REVISION);
	for (int i = 0; i < nr_cpus; i++) {
		struct madt_lapic l = {
			.type = MADT_LAPIC, .length = sizeof(l),
			.processor_uid = (uint8_t)i, .apic_id = (uint8_t)i,
			.flags = LAPIC_ENABLED,
		};
		EMIT(p, l);
	}
	struct madt_ioapic io = {
		.type = MADT_IOAPIC, .length = sizeof(io),
		.id = (uint8_t)ioapic_id(nr_cpus), .address = (uint32_t)GPA_IOAPIC,
		.gsi_base = 0,
	};
	EMIT(p, io);
	p += isa_overrides(p) * sizeof(struct madt_irq_override);
	struct madt_lapic_nmi nmi = {
		.type = MADT_LAPIC_NMI, .length = sizeof(nmi),
		.processor_uid = ALL_PROCESSORS, .flags = 0, .lint = NMI_LINT,
	};
	EMIT(p, nmi);
	memcpy(t, &hdr, sizeof(hdr));
	acpi_set_checksum((struct acpi_header *)t);
}

/* A byte-wide I/O port register (Generic Address Structure, 5.2.3.2). */
static struct acpi_gas sleep_register(uint16_t port)
{
	return (struct acpi_gas){ .space_id = GAS_SYSTEM_IO, .bit_width = 8,
				  .access_size = GAS_ACCESS_BYTE, .address = port };
}

static void write_fadt(struct acpi_fadt *f, uint64_t dsdt)
{
	memset(f, 0, sizeof(*f));
	acpi_header_init(&f->header, "FACP", sizeof(*f), FADT_REVISION);
	f->minor_version = FADT_MINOR;
	/* DSDT and X_DSDT agree; a 64-bit OS reads X_DSDT (5.2.9). */
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_HW_REDUCED_ACPI;
	f->iapc_boot_arch = IAPC_LEGACY_DEVICES | IAPC_8042 | IAPC_VGA_NOT_PRESENT;
	/* A hardware-reduced machine sleeps (and powers off) through these
	 * two registers instead of PM1 blocks (4.8.3.7); Linux takes S5 as
	 * supported only when both are given. */
	f->sleep_control_reg = sleep_register(PORT_ACPI_SLEEP_CONTROL);
	f->sleep_status_reg = sleep_register(PORT_ACPI_SLEEP_STATUS);
	memcpy(f->hypervisor_vendor, "AZOTEKVM", sizeof(f->hypervisor_vendor));
	acpi_set_checksum(&f->header);
}

static void write_xsdt(struct acpi_header *x, const uint64_t *entries)
{
	acpi_header_init(x, "XSDT", sizeof(*x) + XSDT_ENTRIES * 8, XSDT_REVISION);
	memcpy(x + 1, entries, XSDT_ENTRIES * 8);
	acpi_set_checksum(x);
}

static void write_rsdp(struct acpi_rsdp *r, uint64_t xsdt)
{
	*r = (struct acpi_rsdp){
		.signature = "RSD PTR ", .oem_id = OEM_ID, .revision = RSDP_REVISION,
		.length = sizeof(*r), .xsdt_address = xsdt,
	};
	r->checksum = (uint8_t)-sum8(r, offsetof(struct acpi_rsdp, length));
	r->ext_checksum = (uint8_t)-sum8(r, sizeof(*r));
}

/* The DSDT takes what the other tables leave of the area. */
static int write_dsdt(struct area *ar, const struct acpi_platform *p, uint64_t *gpa,
		      struct azerr *e)
{
	uint64_t at;
	struct acpi_header *h = take(ar, sizeof(*h), &at);
	struct aml a;

	if (!h)
		return azerr_set(e, "ACPI tables do not fit in %zu bytes", ar->len);
	aml_init(&a, (uint8_t *)(h + 1), ar->len - ar->used);
	const char *why = acpi_dsdt_aml(&a, p);
	if (why)
		return azerr_set(e, "ACPI DSDT: %s (%zu bytes at 0x%llx)", why,
				 ar->len - ar->used, (unsigned long long)(at + sizeof(*h)));
	ar->used += a.len;
	acpi_header_init(h, "DSDT", (uint32_t)(sizeof(*h) + a.len), DSDT_REVISION);
	acpi_set_checksum(h);
	*gpa = at;
	return 0;
}

/* The GSIs the platform's own ISA devices use (PIT, i8042, COM1, RTC). */
static bool gsi_taken(uint32_t gsi)
{
	static const unsigned isa[] = { 0, 1, 4, 8 };

	for (size_t i = 0; i < sizeof(isa) / sizeof(isa[0]); i++)
		if (gsi == isa_irq_gsi(isa[i]))
			return true;
	return false;
}

static int check_platform(const struct acpi_platform *p, struct azerr *e)
{
	if (p->nr_cpus < 1 || p->nr_cpus > BOOT_MAX_CPUS)
		return azerr_set(e, "ACPI: %d CPUs is out of range 1..%d", p->nr_cpus,
				 BOOT_MAX_CPUS);
	if (p->nr_mmio > ACPI_MAX_MMIO_DEVICES)
		return azerr_set(e, "ACPI: %zu virtio-mmio devices, the DSDT declares at "
				 "most %d", p->nr_mmio, ACPI_MAX_MMIO_DEVICES);
	for (size_t i = 0; i < p->nr_mmio; i++) {
		const struct acpi_mmio_device *d = &p->mmio[i];
		if (!d->size || d->base >= GPA_4G || d->size > GPA_4G - d->base)
			return azerr_set(e, "ACPI: virtio-mmio device %zu at 0x%llx, 0x%llx "
					 "bytes, is not a window below 4 GiB", i,
					 (unsigned long long)d->base,
					 (unsigned long long)d->size);
		if (d->gsi >= IOAPIC_PINS || gsi_taken(d->gsi))
			return azerr_set(e, "ACPI: virtio-mmio device %zu: GSI %u is not a "
					 "free IOAPIC input (0..%d, less 0, 1, 4, 8)", i,
					 d->gsi, IOAPIC_PINS - 1);
	}
	return 0;
}

int acpi_build(uint8_t *area, uint64_t area_gpa, size_t area_len,
	       const struct acpi_platform *p, uint64_t *rsdp_out, struct azerr *e)
{
	struct area ar = { .base = area, .gpa = area_gpa, .len = area_len };
	uint64_t rsdp_gpa = 0, xsdt_gpa = 0, dsdt_gpa = 0, tables[XSDT_ENTRIES] = { 0 };
	size_t xsdt_len = sizeof(struct acpi_header) + XSDT_ENTRIES * 8;

	if (check_platform(p, e) < 0)
		return -1;
	memset(area, 0, area_len);
	struct acpi_rsdp *rsdp = take(&ar, sizeof(*rsdp), &rsdp_gpa);
	struct acpi_header *xsdt = take(&ar, xsdt_len, &xsdt_gpa);
	struct acpi_fadt *fadt = take(&ar, sizeof(*fadt), &tables[0]);
	uint8_t *madt = take(&ar, madt_size(p->nr_cpus, isa_overrides(NULL)), &tables[1]);
	if (!rsdp || !xsdt || !fadt || !madt)
		return azerr_set(e, "ACPI tables for %d CPUs do not fit in %zu bytes",
				 p->nr_cpus, area_len);
	if (write_dsdt(&ar, p, &dsdt_gpa, e) < 0)
		return -1;
	write_madt(madt, p->nr_cpus);
	write_fadt(fadt, dsdt_gpa);
	write_xsdt(xsdt, tables);
	write_rsdp(rsdp, xsdt_gpa);
	*rsdp_out = rsdp_gpa;
	return 0;
}

int acpi_write(struct guest_mem *m, const struct acpi_platform *p,
	       uint64_t *rsdp, struct azerr *e)
{
	size_t len = GPA_ACPI_END - GPA_ACPI;
	uint8_t *area = guest_mem_ptr(m, GPA_ACPI, len);

	if (!area)
		return azerr_set(e, "ACPI tables: 0x%llx..0x%llx is not guest RAM",
				 GPA_ACPI, GPA_ACPI_END);
	return acpi_build(area, GPA_ACPI, len, p, rsdp, e);
}
