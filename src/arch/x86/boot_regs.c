#include "arch/x86/boot_regs.h"

#include <string.h>

#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"

#define X86_CR0_PE   (1ULL << 0)
#define X86_CR0_ET   (1ULL << 4)
#define X86_CR0_PG   (1ULL << 31)
#define X86_CR4_PAE  (1ULL << 5)
#define EFER_LME     (1ULL << 8)
#define EFER_LMA     (1ULL << 10)
#define RFLAGS_FIXED (1ULL << 1)   /* bit 1 always reads as 1; IF = 0 */

static void load_segments(struct kvm_sregs *s, uint16_t code, uint16_t data)
{
	gdt_segment(code, &s->cs);
	gdt_segment(data, &s->ds);
	gdt_segment(data, &s->es);
	gdt_segment(data, &s->fs);
	gdt_segment(data, &s->gs);
	gdt_segment(data, &s->ss);
}

void x86_boot_regs(const struct boot_info *bi, struct kvm_regs *regs,
		   struct kvm_sregs *sregs)
{
	memset(regs, 0, sizeof(*regs));
	regs->rflags = RFLAGS_FIXED;
	regs->rip = bi->entry;

	sregs->gdt.base = GPA_GDT;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	/* No IDT: an early exception becomes a triple fault, which azote
	 * reports, instead of a jump through whatever is at address 0. */
	sregs->idt.base = 0;
	sregs->idt.limit = 0;

	/* CR0 is set whole: KVM's reset value has CD and NW (caches off),
	 * which no boot protocol wants. TR, LDTR, CR8, APIC base and the
	 * interrupt bitmap keep KVM's values. */
	if (bi->mode == BOOT_MODE_LINUX64) {
		load_segments(sregs, GDT_SEL_CODE64, GDT_SEL_DATA);
		sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sregs->cr3 = GPA_PML4;
		sregs->cr4 = X86_CR4_PAE;
		sregs->efer = EFER_LME | EFER_LMA;
		regs->rsi = bi->boot_data;
	} else {
		/* PVH: CR0.PE only, CR4 and EFER all clear. */
		load_segments(sregs, GDT_SEL_CODE32, GDT_SEL_DATA);
		sregs->cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs->cr3 = 0;
		sregs->cr4 = 0;
		sregs->efer = 0;
		regs->rbx = bi->boot_data;
	}
}

bool x86_regs_are_init_state(const struct kvm_regs *regs,
			     const struct kvm_sregs *sregs)
{
	return regs->rip == 0xfff0 && sregs->cs.selector == 0xf000 &&
	       sregs->cs.base == 0xffff0000 && !(sregs->cr0 & X86_CR0_PE);
}
