/* The hardware-reduced ACPI sleep registers (ACPI 6.5 section 4.8.3.7):
 * a control and a status register, one byte each, that a hardware-reduced
 * machine has instead of PM1 blocks. azote's only sleep state is S5: when
 * the guest writes SLP_EN with the S5 sleep type (Linux's power-off:
 * acpi_hw_extended_sleep), the machine powers off. The FADT and DSDT that
 * announce them are arch's (arch/x86/acpi.c: the ports and the type).
 * Stateless: nothing to snapshot. */
#ifndef AZOTE_DEVICES_ACPI_SLEEP_H
#define AZOTE_DEVICES_ACPI_SLEEP_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/io_bus.h"

/* Sleep control register bits (Table 4.21). */
#define ACPI_SLEEP_TYPE_SHIFT 2
#define ACPI_SLEEP_TYPE_MASK  0x1c
#define ACPI_SLEEP_ENABLE     0x20

struct acpi_sleep {
	uint8_t s5_type;              /* SLP_TYP of \_S5 */
	void (*poweroff)(void *ctx);  /* the guest entered S5 */
	void *ctx;
	atomic_bool warned;            /* an unknown sleep type was logged */
};

/* Register for 2 ports: control at the base, status right after it. */
#define ACPI_SLEEP_PORT_LEN 2
extern const struct io_ops acpi_sleep_io_ops;

void acpi_sleep_init(struct acpi_sleep *s, uint8_t s5_type, void (*poweroff)(void *),
		     void *ctx);

#endif
