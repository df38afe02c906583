/* Boot vCPU state per entry mode, checked against the GDT and page tables
 * as they sit in guest memory (decoded here independently), since the
 * guest's first segment reload or page walk reads memory, not kvm_sregs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot_regs.h"
#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"
#include "arch/x86/pagetable.h"
#include "x86_fixture.h"

/* What KVM_GET_SREGS returns for a fresh vCPU, in the fields that matter. */
static void kvm_reset_sregs(struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	s->cr0 = 0x60000010;
	s->apic_base = 0xfee00900;
	s->tr = (struct kvm_segment){ .limit = 0xffff, .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	s->interrupt_bitmap[0] = 0x10;
	s->cs = (struct kvm_segment){ .base = 0xffff0000, .limit = 0xffff,
				      .selector = 0xf000, .type = 11, .present = 1,
				      .s = 1 };
}

/* Compares seg with descriptor sel as it is in guest memory. */
static void check_seg(const struct guest_mem *m, const struct kvm_segment *seg,
		      uint16_t sel)
{
	uint64_t d = fx_get(guest_mem_ptr(m, GPA_GDT + sel, 8), 0, 8);
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	int g = (d >> 55) & 1;

	assert_int_equal(seg->selector, sel);
	assert_int_equal(seg->base, ((d >> 16) & 0xffffff) | ((d >> 56) << 24));
	assert_int_equal(seg->limit, g ? (limit << 12) | 0xfff : limit);
	assert_int_equal(seg->type, (d >> 40) & 0xf);
	assert_int_equal(seg->s, (d >> 44) & 1);
	assert_int_equal(seg->dpl, (d >> 45) & 3);
	assert_int_equal(seg->present, 1);
	assert_int_equal(seg->present, (d >> 47) & 1);
	assert_int_equal(seg->l, (d >> 53) & 1);
	assert_int_equal(seg->db, (d >> 54) & 1);
	assert_int_equal(seg->g, g);
	assert_int_equal(seg->unusable, 0);
	/* Flat: base 0, 4 GiB. */
	assert_int_equal(seg->base, 0);
	assert_int_equal(seg->limit, 0xffffffff);
}

static void check_data_segs(const struct guest_mem *m, const struct kvm_sregs *s)
{
	const struct kvm_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };

	for (size_t i = 0; i < 5; i++) {
		check_seg(m, data[i], GDT_SEL_DATA);
		assert_int_equal(data[i]->type & 0xa, 0x2);   /* data, writable */
		assert_int_equal(data[i]->db, 1);             /* 32-bit stack */
	}
}

static void check_kvm_owned(const struct kvm_sregs *s)
{
	assert_int_equal(s->apic_base, 0xfee00900);
	assert_int_equal(s->tr.type, 11);
	assert_int_equal(s->ldt.type, 2);
	assert_int_equal(s->interrupt_bitmap[0], 0x10);
	assert_int_equal(s->gdt.base, GPA_GDT);
	assert_int_equal(s->gdt.limit, GDT_ENTRIES * 8 - 1);
}

static void test_linux64(void **state)
{
	struct guest_mem *m = fx_guest(16 << 20);
	struct boot_info bi = { .mode = BOOT_MODE_LINUX64, .entry = 0x1000200,
				.boot_data = GPA_ZERO_PAGE };
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct azerr e;
	(void)state;

	assert_int_equal(gdt_write(m, &e), 0);
	memset(&regs, 0xa5, sizeof(regs));
	kvm_reset_sregs(&s);
	x86_boot_regs(&bi, &regs, &s);

	assert_int_equal(regs.rip, 0x1000200);
	assert_int_equal(regs.rsi, GPA_ZERO_PAGE);
	assert_int_equal(regs.rflags, 0x2);          /* IF clear */
	assert_int_equal(regs.rax | regs.rbx | regs.rcx | regs.rdx | regs.rdi |
			 regs.rbp | regs.r8 | regs.r15, 0);
	check_seg(m, &s.cs, 0x10);                   /* __BOOT_CS */
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(s.cs.type & 0x8, 0x8);      /* code */
	check_data_segs(m, &s);                      /* __BOOT_DS */
	assert_int_equal(s.cr0 & 0x80000001, 0x80000001);   /* PG, PE */
	assert_int_equal(s.cr0 & 0x60000000, 0);             /* caches on */
	assert_int_equal(s.cr4, 0x20);                       /* PAE */
	assert_int_equal(s.efer, 0x500);                     /* LME, LMA */
	assert_int_equal(s.cr3, GPA_PML4);
	check_kvm_owned(&s);
	fx_guest_free(m);
}

static void test_pvh(void **state)
{
	struct guest_mem *m = fx_guest(16 << 20);
	struct boot_info bi = { .mode = BOOT_MODE_PVH32, .entry = 0x100040,
				.boot_data = GPA_PVH_INFO };
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct azerr e;
	(void)state;

	assert_int_equal(gdt_write(m, &e), 0);
	kvm_reset_sregs(&s);
	s.efer = 0x500;   /* leftovers must not survive */
	s.cr4 = 0x20;
	x86_boot_regs(&bi, &regs, &s);

	assert_int_equal(regs.rip, 0x100040);
	assert_int_equal(regs.rbx, GPA_PVH_INFO);
	assert_int_equal(regs.rsi, 0);
	assert_int_equal(regs.rflags, 0x2);
	check_seg(m, &s.cs, GDT_SEL_CODE32);
	assert_int_equal(s.cs.l, 0);
	assert_int_equal(s.cs.db, 1);
	check_data_segs(m, &s);
	assert_int_equal(s.cr0 & 0x80000001, 0x1);   /* PE, no paging */
	assert_int_equal(s.cr4, 0);
	assert_int_equal(s.efer, 0);
	check_kvm_owned(&s);
	fx_guest_free(m);
}

/* Walks the identity map for one virtual address. */
static uint64_t translate(const struct guest_mem *m, uint64_t va)
{
	uint64_t cr3 = GPA_PML4;
	uint64_t pml4e = fx_get(guest_mem_ptr(m, cr3 + ((va >> 39) & 511) * 8, 8), 0, 8);
	assert_true(pml4e & 1);
	uint64_t pdpte = fx_get(guest_mem_ptr(m, (pml4e & ~0xfffULL) +
					      ((va >> 30) & 511) * 8, 8), 0, 8);
	assert_true(pdpte & 1);
	assert_false(pdpte & 0x80);
	uint64_t pde = fx_get(guest_mem_ptr(m, (pdpte & ~0xfffULL) +
					    ((va >> 21) & 511) * 8, 8), 0, 8);
	assert_int_equal(pde & 0x83, 0x83);          /* present, RW, 2 MiB */
	return (pde & ~0x1fffffULL) | (va & 0x1fffff);
}

static void test_identity_map(void **state)
{
	static const uint64_t va[] = { 0, 0x7000, 0x1000200, 0x3fffffff, 0x40000000,
				       0xbfe01234, 0xfee00000, 0xffffffff };
	struct guest_mem *m = fx_guest(16 << 20);
	struct azerr e;
	(void)state;

	assert_int_equal(pagetable_write_identity(m, &e), 0);
	for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		assert_int_equal(translate(m, va[i]), va[i]);
	/* Nothing above 4 GiB is mapped. */
	assert_int_equal(fx_get(guest_mem_ptr(m, GPA_PDPT + 4 * 8, 8), 0, 8), 0);
	assert_int_equal(fx_get(guest_mem_ptr(m, GPA_PML4 + 8, 8), 0, 8), 0);
	fx_guest_free(m);
}

/* The INIT state is recognised as such (a dump on AMD says the registers
 * were lost), and neither boot entry's state nor a real-mode guest running
 * elsewhere is mistaken for it. */
static void test_init_state(void **state)
{
	struct kvm_regs r = { .rip = 0xfff0, .rflags = 2 };
	struct kvm_sregs s;
	struct boot_info bi = { .entry = 0x1000000 };

	(void)state;
	kvm_reset_sregs(&s);
	assert_true(x86_regs_are_init_state(&r, &s));
	r.rip = 0xfff3;
	assert_false(x86_regs_are_init_state(&r, &s));
	r.rip = 0xfff0;
	s.cs.base = 0xf0000;
	assert_false(x86_regs_are_init_state(&r, &s));
	s.cs.base = 0xffff0000;
	s.cr0 |= 1;
	assert_false(x86_regs_are_init_state(&r, &s));

	for (int mode = 0; mode < 2; mode++) {
		bi.mode = mode ? BOOT_MODE_PVH32 : BOOT_MODE_LINUX64;
		kvm_reset_sregs(&s);
		x86_boot_regs(&bi, &r, &s);
		assert_false(x86_regs_are_init_state(&r, &s));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux64),
		cmocka_unit_test(test_pvh),
		cmocka_unit_test(test_identity_map),
		cmocka_unit_test(test_init_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
