/* What the loader told us (struct hvm_start_info, copied out at boot so
 * that low memory may be reused), and the ring-0 services user code asks
 * for through sys_gate. */
#ifndef PROBE_BOOT_H
#define PROBE_BOOT_H

#include "types.h"

#define E820_RAM      1
#define MEMMAP_MAX    128
#define CMDLINE_LEN   2048

struct mem_range {
	u64 addr, size;
	u32 type;
};

struct boot_info {
	u32 version;
	u64 rsdp;                  /* 0: loader gave none */
	u32 nr_mem;
	struct mem_range mem[MEMMAP_MAX];
	char cmdline[CMDLINE_LEN];
	bool cmdline_truncated, memmap_truncated;
};

extern struct boot_info boot;
extern u64 lapic_base;         /* set by user code before starting APs */
extern volatile u64 virtio_irqs;  /* VEC_VIRTIO interrupts taken */
extern const char *volatile current_test; /* named in exception reports */
extern volatile u32 cpus_online;
extern volatile u32 online_apic_ids[];
/* Set by user code before it starts the APs: where an AP goes at CPL 3,
 * and each AP slot's user stack (0: the AP halts once online). */
extern u64 ap_user_rip, ap_user_rsp[];

/* Copies and checks hvm_start_info; false (with a reason) if unusable. */
bool bootinfo_copy(u64 start_info_pa, const char **why);
/* Sum of RAM (e820 type 1) bytes, and the end of the highest RAM range. */
u64 bootinfo_ram_bytes(void);
u64 bootinfo_ram_end(u64 below);
bool bootinfo_is_ram(u64 addr, u64 size);
/* Whether any byte of [addr, addr + size) is RAM. */
bool bootinfo_overlaps_ram(u64 addr, u64 size);

/* ring 0 page tables */
void paging_init(void);
int paging_map_mmio(u64 base, u64 size);
/* Maps [base, base + size) write-back, as RAM: memory a device shows
 * outside the e820 RAM (virtio-pmem's region), which is not MMIO. */
int paging_map_mem(u64 base, u64 size);

/* CPL 3 side of the syscalls */
u64 syscall2(u64 nr, u64 a0, u64 a1);
/* Ends the VM: i8042 reset, then (if still running) a triple fault. */
NORETURN void vm_end(void);

void user_main(void);
void enter_user(u64 rip, u64 rsp, u64 arg);
NORETURN void halt_forever(void);

#endif
