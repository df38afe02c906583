/* Everything that must run at ring 0: descriptor tables, the trap and
 * syscall handler, the APs' landing, and the hand-off to CPL 3. Ring 0 is
 * emulated on our development hosts (about a microsecond per instruction),
 * so this file does as little as it can and leaves the rest to user mode. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "x86.h"

struct tss {
	u32 rsvd0;
	u64 rsp[3];
	u64 rsvd1;
	u64 ist[7];
	u64 rsvd2;
	u16 rsvd3;
	u16 iomap_base;
} __attribute__((packed));

/* One TSS per CPU (the boot CPU's first, then one per AP slot), back to
 * back, and after them the one I/O bitmap they all point at: a TSS's
 * segment runs from its base over the TSSes after it to the bitmap's end.
 * In long mode the CPU only reads a TSS (RSP0, the bitmap), so they may
 * overlap; one bitmap instead of 8 KiB per CPU. */
static struct {
	struct tss cpu[1 + MAX_CPUS];
	u8 iomap[8192 + 1];   /* all ports allowed; the last byte ends it */
} __attribute__((packed)) tss;

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, rsvd;
};

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

extern u8 trap_stubs[], sys_gate[], boot_stack[], ap_stacks[], irq_virtio[],
	irq_spurious[];
extern u64 gdt_tss[2], gdt_ap_tss[2 * MAX_CPUS];
void ring0_main(void);
void ap_main(u32 slot);
void trap(struct trap_frame *f);

static struct idt_gate idt[256];
static u8 user_stack[USTACK_SIZE] __attribute__((aligned(16)));
extern u32 boot_start_info;

u64 lapic_base = 0xfee00000;
volatile u64 virtio_irqs;
const char *volatile current_test = "boot";
volatile u32 cpus_online = 1;
volatile u32 online_apic_ids[MAX_CPUS];
u64 ap_user_rip, ap_user_rsp[MAX_CPUS];

static void set_gate(unsigned vec, void *handler)
{
	u64 a = (u64)handler;

	idt[vec] = (struct idt_gate){
		.off_lo = (u16)a, .sel = SEL_KCODE64,
		.type = 0x8e,   /* present interrupt gate, DPL 0 */
		.off_mid = (u16)(a >> 16), .off_hi = (u32)(a >> 32),
	};
}

static void load_idt(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (u64)idt };

	__asm__ volatile("lidt %0" :: "m"(p));
}

/* The last resort of vm_end and of fatal traps: an empty IDT turns the
 * next exception into a triple fault, which ends the VM under any VMM. */
static NORETURN void triple_fault(void)
{
	struct desc_ptr p = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" :: "m"(p));
	halt_forever();
}

static NORETURN void ring0_end_vm(void)
{
	outb(0x64, 0xfe);
	for (int i = 0; i < 1000; i++)
		cpu_relax();
	triple_fault();
}

static u64 sys_dispatch(u64 nr, u64 a0, u64 a1)
{
	switch (nr) {
	case SYS_PING:
		return ~a0;
	case SYS_MAP_MMIO:
		return (u64)paging_map_mmio(a0, a1);
	case SYS_MAP_MEM:
		return (u64)paging_map_mem(a0, a1);
	case SYS_HALT_VM:
		triple_fault();
	}
	return (u64)-1;
}

#define LAPIC_TPR      0x80
#define LAPIC_SVR      0xf0
#define LAPIC_LVT_LINT0 0x350
#define LVT_MASKED     0x10000

/* Interrupts for a test that wants them: only the virtio vector may come.
 * The 8259s are masked (their IRQ0 would arrive as an exception vector
 * through LINT0 under a VMM that wires it as ExtINT), so is LINT0; the
 * LAPIC is software-enabled (fixed interrupts are not delivered to a
 * disabled one) and the caller's IF set on return. */
static void irq_on(struct trap_frame *f)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	mmio_write32(lapic_base + LAPIC_LVT_LINT0,
		     mmio_read32(lapic_base + LAPIC_LVT_LINT0) | LVT_MASKED);
	mmio_write32(lapic_base + LAPIC_TPR, 0);
	mmio_write32(lapic_base + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	f->rflags |= RFLAGS_IF;
	f->rax = 0;
}

void trap(struct trap_frame *f)
{
	if (f->vector == 6 && f->rip == (u64)sys_gate && (f->cs & 3) == 3 &&
	    f->rax == SYS_IRQ_ON) {
		irq_on(f);
		f->rip += 2;
		return;
	}
	if (f->vector == 6 && f->rip == (u64)sys_gate && (f->cs & 3) == 3) {
		f->rax = sys_dispatch(f->rax, f->rdi, f->rsi);
		f->rip += 2;   /* past the UD2 */
		return;
	}
	console_break_lock();
	printk("\nPROBE %s FAIL reason=exception vector=%lu rip=0x%lx "
	       "error=0x%lx cr2=0x%lx cs=0x%lx rsp=0x%lx rflags=0x%lx apic=%u\n",
	       current_test, f->vector, f->rip, f->error, read_cr2(), f->cs,
	       f->rsp, f->rflags, mmio_read32(lapic_base + 0x20) >> 24);
	ring0_end_vm();
}

/* CPU i's TSS (0: the boot CPU, 1 + slot: an AP) into the GDT descriptor
 * desc, with rsp0 as the stack traps from CPL 3 land on, and loaded. */
static void tss_load(unsigned i, u64 *desc, u16 sel, u64 rsp0)
{
	struct tss *t = &tss.cpu[i];
	u64 a = (u64)t;
	u16 iomap = (u16)(offsetof(__typeof__(tss), iomap) - i * sizeof(*t));

	t->rsp[0] = rsp0;
	/* User mode gets port I/O through the TSS bitmap (all zero: every
	 * port allowed); IOPL 3 alone is not honoured by every VMM. */
	t->iomap_base = iomap;
	desc[0] = (u64)(iomap + 8192) | (a & 0xffffff) << 16 |
		  0x89ULL << 40 | ((a >> 24) & 0xff) << 56;
	desc[1] = a >> 32;
	__asm__ volatile("ltr %w0" :: "r"(sel));
}

void ring0_main(void)
{
	const char *why = "";

	console_init();
	if (!bootinfo_copy(boot_start_info, &why)) {
		printk("PROBE boot FAIL %s start_info=0x%x\n", why,
		       boot_start_info);
		ring0_end_vm();
	}
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_stubs + 16 * v);
	set_gate(VEC_VIRTIO, irq_virtio);
	set_gate(VEC_SPURIOUS, irq_spurious);
	load_idt();

	tss.iomap[8192] = 0xff;
	tss_load(0, gdt_tss, SEL_TSS, (u64)boot_stack + KSTACK_SIZE);

	paging_init();
	enter_user((u64)user_main, (u64)user_stack + USTACK_SIZE, 0);
}

/* An AP, in long mode on its own stack: report, then park for good, or,
 * when user code gave this slot a stack (smp_start), go to CPL 3 at
 * ap_user_rip with the slot as its argument. Its traps land on the top of
 * this same stack (its TSS's RSP0): nothing here is returned to. */
void ap_main(u32 slot)
{
	u64 rip = ap_user_rip, rsp = ap_user_rsp[slot];
	u32 id;

	load_idt();
	if (rip && rsp)
		tss_load(1 + slot, &gdt_ap_tss[2 * slot],
			 (u16)(SEL_TSS_AP0 + 16 * slot),
			 (u64)ap_stacks + (slot + 1) * AP_STACK_SIZE);
	id = mmio_read32(lapic_base + 0x20) >> 24;
	online_apic_ids[slot] = id;
	printk("PROBE cpu apic=%u online\n", id);
	__atomic_add_fetch(&cpus_online, 1, __ATOMIC_SEQ_CST);
	if (rip && rsp)
		enter_user(rip, rsp, slot);
	halt_forever();
}

u64 syscall2(u64 nr, u64 a0, u64 a1)
{
	u64 ret;

	/* trap_common saves and restores every register but RAX */
	__asm__ volatile("call sys_gate"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1)
			 : "memory");
	return ret;
}

void vm_end(void)
{
	u64 spin = 0;

	/* Where nothing decodes the i8042's status port (QEMU's microvm),
	 * it reads 0xff and no reset can come: go straight to the triple
	 * fault rather than wait for one (~80 ms, which would skew the
	 * exit times benchmarks compare). */
	if (inb(0x64) != 0xff) {
		outb(0x64, 0xfe);   /* pulse the reset line: the normal way out */
		/* Give the VMM time to act on it before forcing the issue. */
		for (u64 t0 = rdtsc(); rdtsc() - t0 < 200000000ULL && spin < 100000000ULL; spin++)
			cpu_relax();
	}
	syscall2(SYS_HALT_VM, 0, 0);
	halt_forever();
}
