/* x86 constants shared by the assembly entry code and C. */
#ifndef PROBE_X86_H
#define PROBE_X86_H

/* GDT selectors (see gdt in entry.S). */
#define SEL_KCODE64   0x08
#define SEL_KDATA     0x10
#define SEL_UDATA     0x18
#define SEL_UCODE64   0x20
#define SEL_TSS       0x28   /* 16-byte system descriptor */
#define SEL_KCODE32   0x38   /* only for the AP trampoline's 32-bit step */
#define SEL_TSS_AP0   0x40   /* AP slot N's TSS: 0x40 + 16 * N */
#define RPL3          3

/* Page-table entry bits. */
#define PTE_P     0x001
#define PTE_W     0x002
#define PTE_U     0x004
#define PTE_PWT   0x008
#define PTE_PCD   0x010
#define PTE_PS    0x080

#define CR0_PE    0x00000001
#define CR0_PG    0x80000000
#define CR0_NW    0x20000000
#define CR0_CD    0x40000000
#define CR4_PAE   0x00000020
#define MSR_EFER  0xc0000080
#define EFER_LME  0x00000100

#define RFLAGS_RSVD1  0x0002
#define RFLAGS_IOPL3  0x3000

/* The AP start-up trampoline's page (real mode: below 1 MiB, 4 KiB
 * aligned; SIPI vector = address >> 12). Checked against the e820 map. */
#define TRAMP_PA      0x8000

#define MAX_CPUS      64
#define AP_STACK_SIZE 4096
#define KSTACK_SIZE   16384
#define USTACK_SIZE   65536

/* System calls from CPL 3 (sys_gate in entry.S): RAX = number, RDI/RSI = arguments, RAX = result. */
#define SYS_PING       1   /* returns ~RDI: proves the round trip */
#define SYS_MAP_MMIO   2   /* RDI = base, RSI = size: map uncached */
#define SYS_HALT_VM    3   /* forced end: triple fault */
#define SYS_IRQ_ON     4   /* take interrupts at CPL 3 (IF=1), LAPIC on */
#define SYS_MAP_MEM    5   /* RDI = base, RSI = size: map write-back */

/* Interrupt vectors: the virtio queue's MSI-X message, and the LAPIC's
 * spurious vector. Nothing else is unmasked. */
#define VEC_VIRTIO     0x40
#define VEC_SPURIOUS   0xff
#define RFLAGS_IF      0x0200

#endif
