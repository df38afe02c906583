/* boot_inspect's ACPI part: follows the RSDP the way a guest does and
 * reports, or saves, every table it reaches. */
#ifndef AZOTE_TESTS_TOOLS_ACPI_DUMP_H
#define AZOTE_TESTS_TOOLS_ACPI_DUMP_H

#include <stdint.h>

#include "base/guest_mem.h"

/* Prints acpi.rsdp=, acpi.tables= (signatures in the order reached) and
 * acpi.checksums_ok=; with dir, writes each table as dir/SIG.dat.
 * Returns 0, or -1 when a pointer leads outside guest RAM or a file cannot
 * be written (the message is on stderr). */
int acpi_dump(const struct guest_mem *m, uint64_t rsdp, const char *dir);

#endif
