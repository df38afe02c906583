/* x86 vCPU state through KVM: the CPUID each vCPU sees, the MSRs, FPU and
 * LAPIC state a freshly reset CPU would have after firmware, and the boot
 * vCPU's entry registers. Also the register dump printed when a guest dies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/boot_regs.h"
#include "arch/x86/msr_list.h"
#include "arch/x86/vcpu_state.h"
#include "common/log.h"
#include "vmm/kvm.h"
#include "vmm/vm.h"

#define MSR_IA32_TSC            0x00000010
#define MSR_IA32_SYSENTER_CS    0x00000174
#define MSR_IA32_SYSENTER_ESP   0x00000175
#define MSR_IA32_SYSENTER_EIP   0x00000176
#define MSR_IA32_MISC_ENABLE    0x000001a0
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

#define MISC_ENABLE_FAST_STRING 0x1
#define MTRR_ENABLE             (1u << 11)
#define MTRR_TYPE_WB            6

#define EFER_LMA                (1ULL << 10)

#define APIC_LVT_LINT0          0x350
#define APIC_LVT_LINT1          0x360
#define APIC_MODE_NMI           0x4
#define APIC_MODE_EXTINT        0x7

static int set_cpuid(struct vm *vm, struct vcpu *v, struct azerr *e)
{
	struct cpuid_table t;

	if (x86_cpuid_build(vm->supported_cpuid, v->index, vm->nr_vcpus, vm->cpu_template, &t, e) < 0)
		return -1;
	if (ioctl(v->fd, KVM_SET_CPUID2, &t.head) < 0)
		return azerr_set(e, "vCPU %u: KVM_SET_CPUID2 failed: %s", v->index,
				 strerror(errno));
	return 0;
}

/* The MSR values firmware leaves: syscall MSRs clear, fast strings on, and
 * MTRRs enabled with write-back as the default type so that the guest's RAM
 * is cacheable (the guest may program MTRRs itself later). Only the MSRs
 * saved and restored (x86_msr_list_complete: KVM's list, with the MTRRs
 * where CPUID has them) are set; the others keep KVM's reset value. */
int x86_boot_msrs_init(struct vm *vm, struct azerr *e)
{
	static const struct { uint32_t index; uint64_t value; } want[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_LSTAR, 0 },
		{ MSR_CSTAR, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_KERNEL_GS_BASE, 0 },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WB },
	};
	const size_t nr_want = sizeof(want) / sizeof(want[0]);
	uint32_t *kvm_list, kvm_n, *list, n;

	if (kvm_msr_index_list(vm->kvm_fd, &kvm_list, &kvm_n, e) < 0)
		return -1;
	int r = x86_msr_list_complete(kvm_list, kvm_n, vm->supported_cpuid, &list, &n, e);
	free(kvm_list);
	if (r < 0)
		return -1;
	vm->boot_msrs = calloc(1, sizeof(struct kvm_msrs) + nr_want * sizeof(struct kvm_msr_entry));
	if (!vm->boot_msrs) {
		free(list);
		return azerr_set(e, "out of memory for the boot MSRs");
	}
	for (size_t i = 0; i < nr_want; i++) {
		for (uint32_t j = 0; j < n; j++) {
			if (list[j] != want[i].index)
				continue;
			struct kvm_msr_entry *m = &vm->boot_msrs->entries[vm->boot_msrs->nmsrs++];
			m->index = want[i].index;
			m->data = want[i].value;
			break;
		}
	}
	vm->msr_list = list; /* kept for snapshots (vm_state.c) */
	vm->nr_msr_list = n;
	return 0;
}

/* The boot MSRs for this vCPU: MISC_ENABLE's bits are added to what KVM
 * set at reset (BTS and PEBS unavailable, unless it virtualises them),
 * not put in their place: a guest told BTS is there enables it and takes
 * a #GP. */
static int set_msrs(struct vm *vm, struct vcpu *v, struct azerr *e)
{
	uint32_t n = vm->boot_msrs->nmsrs;
	size_t size = sizeof(struct kvm_msrs) + n * sizeof(struct kvm_msr_entry);
	struct kvm_msrs *m = malloc(size);
	uint64_t reset;
	int set;

	if (!m)
		return azerr_set(e, "vCPU %u: out of memory for its MSRs", v->index);
	memcpy(m, vm->boot_msrs, size);
	for (uint32_t i = 0; i < n; i++)
		if (m->entries[i].index == MSR_IA32_MISC_ENABLE &&
		    x86_vcpu_msr_read(v->fd, MSR_IA32_MISC_ENABLE, &reset) == 0)
			m->entries[i].data |= reset;
	set = ioctl(v->fd, KVM_SET_MSRS, m);
	if (set < 0 || (uint32_t)set != n)
		azerr_set(e, "vCPU %u: KVM_SET_MSRS set %d of %u MSRs (failed at 0x%x)",
			  v->index, set, n, set >= 0 && (uint32_t)set < n ? m->entries[set].index : 0);
	free(m);
	return set >= 0 && (uint32_t)set == n ? 0 : -1;
}

static int set_fpu(struct vcpu *v, struct azerr *e)
{
	/* The x87 and SSE control words after FNINIT / reset. */
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return azerr_set(e, "vCPU %u: KVM_SET_FPU failed: %s", v->index, strerror(errno));
	return 0;
}

static void lapic_set_lvt_mode(struct kvm_lapic_state *s, unsigned reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &s->regs[reg], sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&s->regs[reg], &v, sizeof(v));
}

/* LINT0 as ExtINT (the PIC's output) and LINT1 as NMI, the wiring the MP
 * table's local interrupt entries describe (virtual wire mode). */
static int set_lapic(struct vcpu *v, struct azerr *e)
{
	struct kvm_lapic_state s;

	if (ioctl(v->fd, KVM_GET_LAPIC, &s) < 0)
		return azerr_set(e, "vCPU %u: KVM_GET_LAPIC failed: %s", v->index, strerror(errno));
	lapic_set_lvt_mode(&s, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lapic_set_lvt_mode(&s, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(v->fd, KVM_SET_LAPIC, &s) < 0)
		return azerr_set(e, "vCPU %u: KVM_SET_LAPIC failed: %s", v->index, strerror(errno));
	return 0;
}

static int set_boot_regs(struct vm *vm, struct vcpu *v, struct azerr *e)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return azerr_set(e, "KVM_GET_SREGS failed: %s", strerror(errno));
	memset(&regs, 0, sizeof(regs));
	x86_boot_regs(&vm->boot, &regs, &sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return azerr_set(e, "KVM_SET_SREGS failed: %s", strerror(errno));
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return azerr_set(e, "KVM_SET_REGS failed: %s", strerror(errno));
	return 0;
}

int x86_vcpu_setup(struct vm *vm, struct vcpu *v, struct azerr *e)
{
	if (set_cpuid(vm, v, e) || set_msrs(vm, v, e) || set_fpu(v, e) || set_lapic(v, e))
		return -1;
	if (v->index)
		return 0;
	/* For snapshots (vm_state.c), asked now as the VM-wide queries are
	 * (vm.c): KVM 5.16 and later; the same on every vCPU. */
	struct kvm_device_attr tsc = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET };
	vm->tsc_offset_attr = ioctl(v->fd, KVM_HAS_DEVICE_ATTR, &tsc) == 0;
	/* The other vCPUs wait for INIT/SIPI from the boot vCPU, as the
	 * in-kernel LAPIC leaves every vCPU but the first after reset. */
	return set_boot_regs(vm, v, e);
}

static void dump_seg(const char *name, const struct kvm_segment *s)
{
	fprintf(stderr, "  %-4s sel %04x base %016llx limit %08x type %x s%u dpl%u p%u l%u db%u g%u\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->s, s->dpl, s->present, s->l, s->db, s->g);
}

/* The code bytes at RIP, through the guest's own page tables. */
static void dump_code(struct vcpu *v, uint64_t rip)
{
	struct kvm_translation tr = { .linear_address = rip };
	uint8_t *p;

	if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid ||
	    !(p = guest_mem_ptr(&v->vm->mem, tr.physical_address, 16))) {
		fprintf(stderr, "  code: RIP not mapped to RAM\n");
		return;
	}
	fprintf(stderr, "  code at %016llx (phys %016llx):",
		(unsigned long long)rip, (unsigned long long)tr.physical_address);
	for (int i = 0; i < 16; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
}

void x86_vcpu_dump(struct vcpu *v, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	log_error("vCPU %u: %s", v->index, why);
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(stderr, "  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	if (x86_regs_are_init_state(&r, &s)) {
		fprintf(stderr, "  (registers lost: KVM put this vCPU back in its INIT state "
			"when it stopped, as it does on AMD after a shutdown)\n");
		return;
	}
	fprintf(stderr,
		"  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
		"  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
		"  r13 %016llx r14 %016llx r15 %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n"
		"  cr8 %016llx efer %016llx apic_base %016llx\n",
		r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
		s.cr0, s.cr2, s.cr3, s.cr4, s.cr8, s.efer, s.apic_base);
	dump_seg("cs", &s.cs);
	dump_seg("ss", &s.ss);
	dump_seg("ds", &s.ds);
	dump_seg("es", &s.es);
	dump_seg("fs", &s.fs);
	dump_seg("gs", &s.gs);
	dump_seg("tr", &s.tr);
	fprintf(stderr, "  gdt %016llx/%04x idt %016llx/%04x\n",
		(unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);
	/* KVM_TRANSLATE takes a linear address: outside long mode the code
	 * segment's base counts. */
	dump_code(v, (s.efer & EFER_LMA) ? r.rip : s.cs.base + r.rip);
}
