/* x86 guest boot: everything between "here is a kernel file" and "the boot
 * vCPU may run". Detects the kernel format, loads it, the initrd and the
 * command line into guest RAM, and builds what the chosen entry protocol
 * hands the kernel: the zero page (Linux 64-bit boot protocol) or
 * hvm_start_info (PVH), the e820 map, the MP table, the ACPI tables, a
 * reset stub at the BIOS reset vector, and for 64-bit entry the GDT and
 * identity page tables. See Documentation/arch/x86/boot.rst and
 * xen/include/public/arch-x86/hvm/start_info.h. */
#ifndef AZOTE_ARCH_X86_BOOT_H
#define AZOTE_ARCH_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/acpi.h"
#include "common/err.h"
#include "base/guest_mem.h"

/* Which entry to use for an ELF kernel that offers both. */
enum boot_entry_pref {
	BOOT_ENTRY_AUTO,    /* PVH if the ELF has the note, else 64-bit */
	BOOT_ENTRY_PVH,     /* require the PVH note */
	BOOT_ENTRY_LINUX64, /* 64-bit Linux entry with a zero page */
};

/* xAPIC IDs are 8 bits: CPUs get 0..N-1, the IOAPIC gets N, and 255 is the
 * broadcast ID, so at most 254 CPUs. */
#define BOOT_MAX_CPUS 254

struct boot_request {
	const char *kernel_path;
	const char *initrd_path;   /* NULL: none */
	const char *cmdline;       /* NULL: empty */
	int nr_cpus;               /* for the MP table and MADT, 1..BOOT_MAX_CPUS */
	enum boot_entry_pref entry_pref;
	/* What the ACPI tables declare besides CPUs and legacy devices: the
	 * PCI host bridge on configuration mechanism #1, and the virtio-mmio
	 * transports (up to ACPI_MAX_MMIO_DEVICES). */
	bool has_pci;
	const struct acpi_mmio_device *mmio_devices;
	size_t nr_mmio_devices;
};

enum boot_kernel_format { BOOT_FMT_BZIMAGE, BOOT_FMT_ELF };
enum boot_entry_mode {
	BOOT_MODE_LINUX64,  /* long mode, RSI = zero page */
	BOOT_MODE_PVH32,    /* 32-bit protected mode, paging off, EBX = start_info */
};

struct boot_info {
	enum boot_kernel_format format;
	enum boot_entry_mode mode;
	uint64_t entry;        /* RIP/EIP of the first instruction */
	uint64_t boot_data;    /* zero page (RSI) or hvm_start_info (EBX) */
	uint64_t kernel_start, kernel_end;  /* guest physical, end exclusive */
	uint64_t initrd_start, initrd_size; /* 0 size: no initrd */
	uint64_t cmdline_addr, cmdline_size; /* size includes the NUL */
	uint64_t acpi_rsdp;    /* the ACPI RSDP, handed over by both protocols */
};

/* Loads everything described above into m. On failure, e says which file,
 * field or value is at fault; guest RAM may hold partial contents. */
int x86_boot_load(struct guest_mem *m, const struct boot_request *req,
		  struct boot_info *out, struct azerr *e);

/* The same with the kernel file already in memory (kernel_path then only
 * names it in messages); for tests and fuzzers. */
int x86_boot_load_image(struct guest_mem *m, const struct boot_request *req,
			const uint8_t *kernel, size_t kernel_len,
			struct boot_info *out, struct azerr *e);

#endif
