/* Boot entry: the PVH note, 32-bit protected mode -> long mode for the
 * boot CPU, the real-mode trampoline for the other CPUs, the GDT and the
 * exception/syscall entry stubs. Everything here runs at ring 0, which is
 * emulated on our development hosts: keep it short. */
#include "x86.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* PVH: "Xen" note of type PHYS32_ENTRY holding the 32-bit entry address.
 * The descriptor is 8 bytes in an ELF64 file, as Linux writes it (some
 * loaders read it as a native word). */
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 8, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.quad pvh_start32

/* 32-bit protected mode -> long mode on the boot page tables (PAE, CR3,
 * EFER.LME, paging on; caches on, as INIT leaves them off on APs), then a
 * far jump to the 64-bit code at `target`. Used by the BSP and the APs. */
.macro enter_long_mode target
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	andl $~(CR0_CD | CR0_NW), %eax
	orl $(CR0_PE | CR0_PG), %eax
	movl %eax, %cr0
	ljmp $SEL_KCODE64, $\target
.endm

	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	/* PVH entry state: protected mode, paging off, flat CS/DS,
	 * EBX = physical address of struct hvm_start_info. */
	cli
	cld
	movl %ebx, boot_start_info
	lgdt gdt_ptr
	movl $(boot_stack + KSTACK_SIZE), %esp

	/* Identity map of the first 4 GiB with 2 MiB pages, user-accessible
	 * (all of the probe runs at CPL 3 with the same map). C code marks
	 * the MMIO part uncached and maps RAM above 4 GiB. */
	movl $boot_pd, %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_U | PTE_PS), %eax
	movl %eax, (%edi, %ecx, 8)
	movl $0, 4(%edi, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 1b
	movl $(boot_pd + (PTE_P | PTE_W | PTE_U)), boot_pdpt
	movl $(boot_pd + 0x1000 + (PTE_P | PTE_W | PTE_U)), boot_pdpt + 8
	movl $(boot_pd + 0x2000 + (PTE_P | PTE_W | PTE_U)), boot_pdpt + 16
	movl $(boot_pd + 0x3000 + (PTE_P | PTE_W | PTE_U)), boot_pdpt + 24
	movl $(boot_pdpt + (PTE_P | PTE_W | PTE_U)), boot_pml4
	enter_long_mode long_mode_bsp

	.code64
long_mode_bsp:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	call ring0_main          /* does not return */
	jmp halt_forever

/* The AP's 64-bit entry, reached from the trampoline with our page tables
 * and GDT loaded. Each AP takes the next stack slot. */
	.globl ap_entry64
ap_entry64:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $1, %eax
	lock xaddl %eax, ap_next_slot(%rip)
	cmpl $MAX_CPUS, %eax
	jae halt_forever
	movl %eax, %edi
	incl %eax
	shlq $12, %rax               /* AP_STACK_SIZE */
	leaq ap_stacks(%rip), %rsp
	addq %rax, %rsp
	call ap_main
	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp halt_forever

/* Drop to CPL 3: enter_user(rip, rsp, arg), arg the code's first
 * argument. IOPL 3 lets user code do port I/O; IF stays 0 (the probe
 * polls; a test that wants interrupts asks for them with SYS_IRQ_ON). */
	.globl enter_user
enter_user:
	pushq $(SEL_UDATA | RPL3)
	pushq %rsi
	pushq $(RFLAGS_IOPL3 | RFLAGS_RSVD1)
	pushq $(SEL_UCODE64 | RPL3)
	pushq %rdi
	movl $(SEL_UDATA | RPL3), %eax
	movl %eax, %ds
	movl %eax, %es
	movq %rdx, %rdi
	iretq

/* Exception and syscall stubs: push a zero error code where the CPU does
 * not, then the vector, then all general registers (struct trap_frame). */
.macro stub vec, has_err
	.p2align 4
	.if \has_err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

	.p2align 4
	.globl trap_stubs
trap_stubs:
	stub 0, 0
	stub 1, 0
	stub 2, 0
	stub 3, 0
	stub 4, 0
	stub 5, 0
	stub 6, 0
	stub 7, 0
	stub 8, 1
	stub 9, 0
	stub 10, 1
	stub 11, 1
	stub 12, 1
	stub 13, 1
	stub 14, 1
	stub 15, 0
	stub 16, 0
	stub 17, 1
	stub 18, 0
	stub 19, 0
	stub 20, 0
	stub 21, 1
	stub 22, 0
	stub 23, 0
	stub 24, 0
	stub 25, 0
	stub 26, 0
	stub 27, 0
	stub 28, 0
	stub 29, 1
	stub 30, 1
	stub 31, 0

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call trap
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/* The virtio queue's interrupt: count it, end it at the LAPIC (EOI).
 * Nothing else runs at interrupt time; CPL 3 code watches the count. */
	.globl irq_virtio
irq_virtio:
	pushq %rax
	lock incq virtio_irqs(%rip)
	movq lapic_base(%rip), %rax
	movl $0, 0xb0(%rax)
	popq %rax
	iretq

/* The LAPIC's spurious vector: no EOI (SDM 10.9). */
	.globl irq_spurious
irq_spurious:
	iretq

/* The system call gate: CPL 3 code calls sys_gate with RAX = number,
 * RDI/RSI = arguments; the UD2 traps to ring 0, where trap() recognises
 * this address, handles the call, puts the result in RAX and resumes
 * after the UD2. (SYSCALL and int $0x80 would be the usual ways; not
 * every VMM on our hosts handles them from CPL 3, an exception it must.) */
	.globl sys_gate
sys_gate:
	ud2
	ret

/* AP start-up trampoline, copied to TRAMP_PA (a SIPI starts the AP in
 * real mode at CS = TRAMP_PA >> 4, IP = 0). Addresses inside it are
 * TRAMP_PA-relative; it jumps to ap_entry64 in the image once in long
 * mode with the boot CPU's page tables. */
#define T(sym) (TRAMP_PA + (sym) - tramp_start)
	.section .rodata
	.p2align 4
	.globl tramp_start, tramp_end
	.code16
tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdt_ptr - tramp_start
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_KCODE32, $T(tramp32)
	.code32
tramp32:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	enter_long_mode T(tramp64)
	.code64
tramp64:
	movabsq $ap_entry64, %rax
	jmp *%rax
	.p2align 3
tramp_gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
tramp_end:

	.data
	.p2align 3
	.globl gdt, gdt_tss
gdt:
	.quad 0
	.quad 0x00af9a000000ffff    /* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff    /* 0x10 kernel data */
	.quad 0x00cff2000000ffff    /* 0x18 user data */
	.quad 0x00affa000000ffff    /* 0x20 user code, 64-bit */
gdt_tss:
	.quad 0, 0                  /* 0x28 TSS, filled in by C */
	.quad 0x00cf9a000000ffff    /* 0x38 kernel code, 32-bit */
	.globl gdt_ap_tss
gdt_ap_tss:
	.skip 16 * MAX_CPUS         /* 0x40 + 16 * slot: the APs' TSSes, by C */
gdt_end:
	.p2align 3
	.word 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.globl boot_start_info, ap_next_slot
boot_start_info:
	.long 0
ap_next_slot:
	.long 0

	.bss
	.p2align 12
	.globl boot_pml4, boot_pdpt, boot_pd, boot_stack, ap_stacks
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
boot_stack:
	.skip KSTACK_SIZE
ap_stacks:
	.skip MAX_CPUS * AP_STACK_SIZE
