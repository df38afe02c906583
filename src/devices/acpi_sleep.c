/* The ACPI sleep registers: see acpi_sleep.h. */
#include "devices/acpi_sleep.h"

#include <stdbool.h>

#include "common/log.h"

/* Both registers read 0: no wake status is ever set (nothing sleeps and
 * wakes), and the control register is write-only (4.8.3.7). */
static void acpi_sleep_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	(void)opaque;
	(void)offset;
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)data)[i] = 0;
}

/* A write to the status register clears WAK_STS, which is never set. */
static void acpi_sleep_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct acpi_sleep *s = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	if (offset != 0 || !(v & ACPI_SLEEP_ENABLE))
		return;
	unsigned type = (v & ACPI_SLEEP_TYPE_MASK) >> ACPI_SLEEP_TYPE_SHIFT;
	if (type != s->s5_type) {
		/* The DSDT names no other state, so only a guest that
		 * invents one gets here; it goes on running, and its
		 * repeats do not flood the log. */
		if (!atomic_exchange(&s->warned, true))
			log_warn("the guest asked for ACPI sleep type %u, which azote does "
				 "not have: ignored", type);
		return;
	}
	log_info("the guest powered the machine off (ACPI S5)");
	s->poweroff(s->ctx);
}

const struct io_ops acpi_sleep_io_ops = { .read = acpi_sleep_read, .write = acpi_sleep_write };

void acpi_sleep_init(struct acpi_sleep *s, uint8_t s5_type, void (*poweroff)(void *), void *ctx)
{
	*s = (struct acpi_sleep){ .s5_type = s5_type, .poweroff = poweroff, .ctx = ctx };
}
