/* Layouts of the ACPI tables azote writes, from the ACPI 6.5
 * specification, chapter 5; shared by acpi.c and acpi_dsdt.c. All fields
 * are little-endian, as on x86. */
#ifndef AZOTE_ARCH_X86_ACPI_TABLES_H
#define AZOTE_ARCH_X86_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"

/* 5.2.5.3 Root System Description Pointer, revision 2. */
struct acpi_rsdp {
	char signature[8];        /* "RSD PTR " */
	uint8_t checksum;         /* of the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;         /* 2: the XSDT fields exist */
	uint32_t rsdt_address;    /* 0: azote gives an XSDT only */
	uint32_t length;          /* of this structure */
	uint64_t xsdt_address;
	uint8_t ext_checksum;     /* of the whole structure */
	uint8_t reserved[3];
} __attribute__((packed));

/* 5.2.6 System Description Table Header, which every table starts with. */
struct acpi_header {
	char signature[4];
	uint32_t length;          /* of the table, header included */
	uint8_t revision;
	uint8_t checksum;         /* the whole table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* 5.2.3.2 Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

/* 5.2.9 Fixed ACPI Description Table, major version 6. On a hardware-
 * reduced platform OSPM ignores the fields at offsets 46-108 and 148-232
 * (Table 5.9): the SCI, PM, GPE and RTC-alarm fields, which azote leaves
 * 0. */
struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;   /* FACS: none */
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;  /* 5.2.9.3 */
	uint8_t reserved1;
	uint32_t flags;           /* 5.2.9, Table 5.10 */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor[8];
} __attribute__((packed));

/* 5.2.12 Multiple APIC Description Table and its structures. */
struct acpi_madt {
	struct acpi_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

struct madt_lapic {           /* 5.2.12.2, type 0 */
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {          /* 5.2.12.3, type 1 */
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_irq_override {    /* 5.2.12.5, type 2 */
	uint8_t type;
	uint8_t length;
	uint8_t bus;              /* 0: ISA */
	uint8_t source;           /* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;           /* MPS INTI flags, 0: conforms to the bus */
} __attribute__((packed));

struct madt_lapic_nmi {       /* 5.2.12.7, type 4 */
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;    /* 0xff: every processor */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP, revision 2");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20, "RSDP 1.0 part is 20 bytes");
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "FADT CENTURY");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor) == 268, "FADT hypervisor ID");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT, major version 6");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header");
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT Local APIC");
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT I/O APIC");
_Static_assert(sizeof(struct madt_irq_override) == 10, "MADT interrupt source override");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT Local APIC NMI");

/* Fills a table header: signature, length, revision, azote's OEM and
 * creator IDs; the checksum is set by acpi_set_checksum once the table
 * is complete. */
void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length,
		      uint8_t revision);
/* Sets h's checksum so that its h->length bytes sum to 0. */
void acpi_set_checksum(struct acpi_header *h);

/* The DSDT's definition block, the AML after its header: returns NULL, or
 * why it could not be written. */
const char *acpi_dsdt_aml(struct aml *a, const struct acpi_platform *p);

#endif
