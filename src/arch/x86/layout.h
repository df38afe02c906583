/* The x86 guest physical address map azote builds. One place, so that the
 * loaders, the tables and the devices agree.
 *
 *   0x0000_0000  real-mode IVT (left zero), BIOS data area at 0x400 with
 *                the EBDA segment and base memory size, as firmware leaves
 *                them (MP-spec scanners start from there)
 *   0x0000_0500  GDT for the 64-bit and PVH entries
 *   0x0000_6000  PVH hvm_start_info, module list, memory map (one page)
 *   0x0000_7000  Linux zero page (struct boot_params)
 *   0x0000_9000  identity page tables: PML4, PDPT, 4 PDs (maps 0..4 GiB)
 *   0x0002_0000  kernel command line (up to CMDLINE_MAX bytes)
 *   0x0009_fc00  EBDA (1 KiB, reserved in e820 from here to 1 MiB): the MP
 *                floating pointer, in its first KiB where MP-spec scanners,
 *                Linux included, look
 *   0x000a_0000  legacy VGA/ROM hole (reserved in e820)
 *   0x000e_0000  ACPI: the RSDP first (16-byte aligned, inside the
 *                0xe0000-0xfffff range an RSDP scanner reads), then XSDT,
 *                FADT, MADT and DSDT, up to the MP configuration table
 *   0x000f_0000  BIOS area: the MP configuration table (254 CPUs need
 *                5.2 KiB, more than the EBDA holds)
 *   0x000f_fff0  the BIOS reset vector: a stub that resets through the
 *                i8042 (reset_vector.h)
 *   0x0010_0000  high memory: kernel, initrd, free RAM
 *   0xc000_0000  PCI hole (32-bit MMIO) up to 4 GiB; its first page is
 *                Firecracker's boot timer (with --boot-timer; nothing
 *                decodes it otherwise)
 *   0xc000_1000  the PCI window: device BARs (the host bridge's _CRS)
 *   0xfeb0_0000  virtio-mmio devices, 4 KiB each (inside the hole, above
 *                the BARs: 1 MiB, as QEMU's microvm places them)
 *   0xfec0_0000  IOAPIC, 0xfee0_0000 LAPIC (inside the hole)
 *   0x1_0000_0000 RAM above the hole, for guests larger than 3 GiB
 */
#ifndef AZOTE_ARCH_X86_LAYOUT_H
#define AZOTE_ARCH_X86_LAYOUT_H

#define GPA_GDT               0x500ULL
#define GPA_PVH_INFO          0x6000ULL
#define GPA_ZERO_PAGE         0x7000ULL
#define GPA_PML4              0x9000ULL
#define GPA_PDPT              0xa000ULL
#define GPA_PD                0xb000ULL  /* 4 pages, one per GiB */
#define GPA_CMDLINE           0x20000ULL
#define CMDLINE_MAX           0x10000ULL
#define GPA_BDA_EBDA_SEG      0x40eULL   /* BDA: EBDA segment (16 bits) */
#define GPA_BDA_BASE_KB       0x413ULL   /* BDA: base memory in KiB (16 bits) */
#define GPA_ACPI              0xe0000ULL  /* RSDP, then the tables */
#define GPA_ACPI_END          0xeff00ULL  /* exclusive: the generation ID follows */
#define GPA_VMGENID           0xeff00ULL  /* the VM generation ID (vmm/vm_genid.h) */
#define GPA_VMGENID_SIZE      16
#define GPA_MP_CONFIG         0xf0000ULL
#define GPA_EBDA              0x9fc00ULL
#define GPA_MPTABLE           GPA_EBDA   /* the MP floating pointer */
#define GPA_LOW_RAM_END       GPA_EBDA   /* e820: RAM below, reserved to 1 MiB */
#define GPA_LEGACY_HOLE       0xa0000ULL
#define GPA_RESET_VECTOR      0xffff0ULL  /* F000:FFF0 */
#define GPA_HIGH_MEM          0x100000ULL

#define GPA_PCI_HOLE          0xc0000000ULL
#define GPA_4G                0x100000000ULL
/* Firecracker's boot timer page (devices/boot_timer.h), where its guests
 * write (MMIO32_MEM_START, 0xc0000000 on x86), and the PCI window right
 * after it, as Firecracker's MEM_32BIT_DEVICES_START. The window starts
 * there with or without --boot-timer: the guest's machine (the DSDT's
 * window, every BAR's address) is then one whatever the flag, so a
 * snapshot never depends on it and the tests know one layout, for 4 KiB
 * of a window of nearly 1 GiB. */
#define GPA_BOOT_TIMER        GPA_PCI_HOLE
#define GPA_BOOT_TIMER_END    (GPA_BOOT_TIMER + 0x1000ULL)  /* exclusive */
#define GPA_PCI_MMIO_START    GPA_BOOT_TIMER_END
#define GPA_PCI_MMIO_END      0xfeb00000ULL  /* exclusive */
#define GPA_VIRTIO_MMIO       0xfeb00000ULL
#define GPA_VIRTIO_MMIO_END   0xfec00000ULL  /* exclusive */
#define GPA_IOAPIC            0xfec00000ULL
#define GPA_LAPIC             0xfee00000ULL

/* The hardware-reduced ACPI sleep registers (FADT SLEEP_CONTROL_REG and
 * SLEEP_STATUS_REG, ACPI 6.5 section 4.8.3.7), one byte each: a write of
 * SLP_EN with the S5 sleep type the DSDT's \_S5 names powers the machine
 * off (devices/acpi_sleep.h). Ports no PC device decodes. */
#define PORT_ACPI_SLEEP_CONTROL 0x600
#define PORT_ACPI_SLEEP_STATUS  0x601
#define ACPI_SLEEP_TYPE_S5      5

/* Where the TSS and identity-map pages KVM needs on Intel live (inside the
 * hole, never RAM; see KVM_SET_TSS_ADDR and KVM_SET_IDENTITY_MAP_ADDR). */
#define GPA_KVM_IDENTITY_MAP  0xfeffc000ULL
#define GPA_KVM_TSS           0xfeffd000ULL

#endif
