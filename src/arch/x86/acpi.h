/* ACPI tables for x86 guests: how a kernel with ACPI finds its CPUs, its
 * interrupt controllers and its devices (ACPI 6.5, chapter 5). azote is a
 * hardware-reduced ACPI platform (section 4.1): no SCI, no PM or GPE
 * register blocks, no FACS. The tables:
 *   RSDP  at GPA_ACPI, where a BIOS-area scan finds it
 *   XSDT  -> FADT, MADT
 *   FADT  HW_REDUCED_ACPI, the legacy devices (IAPC_BOOT_ARCH), -> DSDT
 *   MADT  a Local APIC per vCPU, the IOAPIC, the LINT1 NMI
 *   DSDT  COM1, the i8042, the CMOS clock, the PCI host bridge (when
 *         there is PCI) and the virtio-mmio devices the caller lists
 * The MP table (mptable.h) stays, for kernels built without ACPI. */
#ifndef AZOTE_ARCH_X86_ACPI_H
#define AZOTE_ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "base/guest_mem.h"

/* The most virtio-mmio devices the DSDT declares; with 254 vCPUs all the
 * tables then still fit between GPA_ACPI and GPA_ACPI_END (test_acpi). */
#define ACPI_MAX_MMIO_DEVICES 32

/* A virtio-mmio transport: its register window and its interrupt, an
 * IOAPIC input (edge-triggered, active high). */
struct acpi_mmio_device {
	uint64_t base;
	uint64_t size;
	uint32_t gsi;
};

struct acpi_platform {
	int nr_cpus;                           /* 1..BOOT_MAX_CPUS */
	bool has_pci;                          /* host bridge on ports 0xcf8 */
	const struct acpi_mmio_device *mmio;   /* nr_mmio entries */
	size_t nr_mmio;
};

/* Builds the tables for p into area, a buffer that the guest sees at
 * area_gpa, and sets *rsdp to the RSDP's guest address (the start of
 * area). Returns 0, or -1 with e set when p is out of range or the tables
 * do not fit. */
int acpi_build(uint8_t *area, uint64_t area_gpa, size_t area_len,
	       const struct acpi_platform *p, uint64_t *rsdp, struct azerr *e);

/* acpi_build into guest RAM between GPA_ACPI and GPA_ACPI_END. */
int acpi_write(struct guest_mem *m, const struct acpi_platform *p,
	       uint64_t *rsdp, struct azerr *e);

#endif
