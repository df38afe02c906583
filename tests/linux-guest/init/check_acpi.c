/*
 * acpi: Linux described the machine from the VMM's ACPI tables (a kernel
 * with ACPI; the test kernel has none, so the stock tier runs this).
 *  - tables: /sys/firmware/acpi/tables has the MADT (APIC), the FADT
 *    (FACP) and the DSDT; the MADT lists lg.cpus enabled Local APICs;
 *  - devices: the DSDT's COM1, i8042, CMOS clock and PCI host bridge are
 *    ACPI devices (/sys/bus/acpi/devices/PNP0501:00 ...), and the host
 *    bridge has its PCI root bus (physical_node); with lg.transport=mmio,
 *    lg.irq_devs virtio-mmio devices (LNRO0005) are there too, each bound
 *    to a driver;
 *  - interrupts: the console's IRQ 4 goes through the IO-APIC, edge-
 *    triggered, and no interrupt is left on the 8259 (XT-PIC);
 *  - log: no kernel message at warning level or worse mentions ACPI.
 *    One is expected and allowed: azote has no ECAM, so Linux warns that
 *    the host bridge's extended configuration space is out of reach
 *    ("MMCONFIG").
 */
#include "lg.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MADT_HDR 44

static void check_tables(struct line *l)
{
	static const char *const want[] = { "APIC", "FACP", "DSDT" };
	static uint8_t madt[16384];
	char path[64];
	uint64_t cpus = 0;
	int lapics = 0;
	ssize_t n;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(path, sizeof(path), "/sys/firmware/acpi/tables/%s", want[i]);
		if (access(path, R_OK))
			line_fail(l, "no-table=%s", want[i]);
	}
	int fd = open("/sys/firmware/acpi/tables/APIC", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, madt, sizeof(madt));
	if (fd >= 0)
		close(fd);
	for (ssize_t off = MADT_HDR; n > 0 && off + 2 <= n && madt[off + 1] >= 2;
	     off += madt[off + 1])
		if (madt[off] == 0 && off + 8 <= n && (madt[off + 4] & 1))
			lapics++;
	if (!param_u64("lg.cpus", &cpus) || (uint64_t)lapics != cpus)
		line_fail(l, "madt_lapics=%d want=%llu", lapics, (unsigned long long)cpus);
	else
		line_add(l, "madt_lapics=%d", lapics);
}

/* The DSDT's virtio-mmio devices, each with its platform device bound to
 * virtio_mmio (physical_node/driver). */
static void check_mmio(struct line *l)
{
	const char *transport = param("lg.transport");
	char path[96];
	uint64_t want = 0;
	unsigned n = 0, bound = 0;

	if (!transport || strcmp(transport, "mmio"))
		return;
	for (;; n++) {
		snprintf(path, sizeof(path), "/sys/bus/acpi/devices/LNRO0005:%02x", n);
		if (access(path, F_OK))
			break;
		snprintf(path, sizeof(path),
			 "/sys/bus/acpi/devices/LNRO0005:%02x/physical_node/driver", n);
		bound += !access(path, F_OK);
	}
	if (!param_u64("lg.irq_devs", &want) || n != want || bound != n)
		line_fail(l, "mmio_devices=%u bound=%u want=%llu", n, bound,
			  (unsigned long long)want);
	else
		line_add(l, "mmio_devices=%u", n);
}

static void check_devices(struct line *l)
{
	static const char *const hids[] = { "PNP0501", "PNP0303", "PNP0B00", "PNP0A08" };
	char path[96];
	int found = 0;

	for (size_t i = 0; i < sizeof(hids) / sizeof(hids[0]); i++) {
		snprintf(path, sizeof(path), "/sys/bus/acpi/devices/%s:00", hids[i]);
		if (access(path, F_OK))
			line_fail(l, "no-acpi-device=%s", hids[i]);
		else
			found++;
	}
	if (access("/sys/bus/acpi/devices/PNP0A08:00/physical_node", F_OK))
		line_fail(l, "pci-root=no");
	line_add(l, "acpi_devices=%d", found);
	check_mmio(l);
}

/* The console's interrupt line in /proc/interrupts, and any XT-PIC one. */
static void check_ioapic(struct line *l)
{
	char line[512];
	bool tty_ioapic = false, xtpic = false;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f) {
		line_fail(l, "error=no-proc-interrupts");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "XT-PIC"))
			xtpic = true;
		if (strstr(line, "ttyS0") && strstr(line, "IO-APIC") && strstr(line, " 4-edge"))
			tty_ioapic = true;
	}
	fclose(f);
	if (!tty_ioapic || xtpic)
		line_fail(l, "ttyS0_ioapic_edge=%s xt_pic=%s", tty_ioapic ? "yes" : "no",
			  xtpic ? "yes" : "no");
	else
		line_add(l, "ttyS0=IO-APIC-4-edge");
}

/* Kernel log records ("PRI,SEQ,TS,FLAGS;TEXT") at warning or worse that
 * mention ACPI; the first one not allowed goes on the line, blanks as _. */
static void check_log(struct line *l)
{
	char rec[1024], bad[120] = "";
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int allowed = 0, errors = 0;
	const char *text;

	if (fd < 0) {
		line_fail(l, "error=no-kmsg");
		return;
	}
	while ((text = kmsg_next_warning(fd, rec, sizeof(rec)))) {
		if (!strcasestr(text, "acpi"))
			continue;
		if (strstr(text, "MMCONFIG")) {
			allowed++;
			continue;
		}
		if (!errors++)
			line_word(bad, sizeof(bad), text);
	}
	close(fd);
	if (errors)
		line_fail(l, "acpi_warnings=%d first=%s", errors, bad);
	else
		line_add(l, "acpi_warnings=0 allowed=%d", allowed);
}

bool check_acpi(void)
{
	struct line l = { .len = 0 };

	check_tables(&l);
	check_devices(&l);
	check_ioapic(&l);
	check_log(&l);
	return line_emit(&l, "acpi");
}
