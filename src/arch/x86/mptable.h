/* Intel MultiProcessor Specification 1.4 tables: how a guest without ACPI
 * finds its CPUs, its IOAPIC and the ISA interrupt wiring. */
#ifndef AZOTE_ARCH_X86_MPTABLE_H
#define AZOTE_ARCH_X86_MPTABLE_H

#include <stddef.h>

#include "common/err.h"
#include "base/guest_mem.h"

/* Bytes of the configuration table (header and entries) for nr_cpus. */
size_t mptable_config_size(int nr_cpus);

/* Writes the floating pointer at GPA_MPTABLE and the configuration table at
 * GPA_MP_CONFIG: processors with APIC IDs 0..nr_cpus-1 (0 is the BSP), a PCI
 * bus 0 and an ISA bus 1, the IOAPIC (ID nr_cpus) at GPA_IOAPIC, ISA IRQs
 * 0..15 on the IOAPIC pins irq_wiring.h gives, LINT0 as ExtINT and LINT1
 * as NMI. Also fills
 * the BIOS data area's EBDA segment (0x40e) and base memory size (0x413),
 * from which MP-spec scanners start. */
int mptable_write(struct guest_mem *m, int nr_cpus, struct azerr *e);

#endif
