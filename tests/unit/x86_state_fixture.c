#include "x86_state_fixture.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/msr_list.h"
#include "arch/x86/state_check.h"
#include "arch/x86/tsc_pair.h"

/* An Intel host's leaves, enough for x86_cpuid_build and a flag word of
 * each kind x86_cpuid_check_restore compares; leaf 1 EDX has MTRR and PAT,
 * so that the MSR list is completed with them. */
static const struct kvm_cpuid_entry2 host_leaves[] = {
	{ .function = 0x0, .eax = 0xd, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
	{ .function = 0x1, .eax = 0x806f8, .ebx = 0x800, .ecx = 0x7ffafbff, .edx = 0x0fabfbff },
	{ .function = 0x7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 1,
	  .ebx = 0xf1bf07ab, .ecx = 0x1b415f6e, .edx = 0xbc18c410 },
	{ .function = 0xd, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x2e7,
	  .ebx = 0xa88, .ecx = 0xa88 },
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b, .ecx = 0x564b4d56,
	  .edx = 0x4d },
	{ .function = 0x40000001, .eax = 0x01007afb },
	{ .function = 0x80000000, .eax = 0x80000008 },
	{ .function = 0x80000001, .ecx = 0x121, .edx = 0x2c100800 },
};

/* What KVM_GET_MSR_INDEX_LIST gives (a part of it): the TSC, the SYSENTER
 * and syscall MSRs, MISC_ENABLE, the TSC deadline, kvmclock's. */
static const uint32_t kvm_msrs[] = {
	0x10, 0x174, 0x175, 0x176, 0x1a0, 0x6e0,
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000102, 0x4b564d01,
};

void x86_state_host_init(struct x86_state_host *h, uint32_t xsave_size)
{
	struct azerr e;

	memset(h, 0, sizeof(*h));
	h->supported.head.nent = sizeof(host_leaves) / sizeof(host_leaves[0]);
	memcpy(h->supported.entries, host_leaves, sizeof(host_leaves));
	if (x86_msr_list_complete(kvm_msrs, sizeof(kvm_msrs) / sizeof(kvm_msrs[0]), &h->supported,
				  &h->msrs, &h->nr_msrs, &e) < 0)
		abort();
	h->k = (struct x86_vcpu_kvm){
		.fd = -1, .msrs = h->msrs, .nr_msrs = h->nr_msrs, .xsave_size = xsave_size,
		.supported = &h->supported,
	};
}

void x86_state_host_free(struct x86_state_host *h)
{
	free(h->msrs);
	h->msrs = NULL;
}

static void put(struct state_set *s, uint32_t tag, uint32_t index, const void *data, size_t len)
{
	struct azerr e;

	if (state_put(s, tag, index, data, len, &e) < 0)
		abort();
}

static void put_vcpu(const struct x86_state_host *h, uint32_t i, uint32_t nr_vcpus,
		     struct state_set *s)
{
	static const unsigned char zero[4096]; /* more than any fixed section */
	static struct cpuid_table cpuid;
	const struct tsc_wire tsc = { .khz = 2000000, .source = TSC_FROM_MSR, .tsc = 1ULL << 40 };
	size_t xsave = h->k.xsave_size > X86_XSAVE_LEGACY_SIZE ? h->k.xsave_size :
		       X86_XSAVE_LEGACY_SIZE;
	struct kvm_msr_entry *msrs = calloc(h->nr_msrs, sizeof(*msrs));
	unsigned char *area = calloc(1, xsave);
	struct azerr e;

	if (!msrs || !area || x86_cpuid_build(&h->supported, i, nr_vcpus, NULL, &cpuid, &e) < 0)
		abort();
	for (size_t f = 0; f < x86_nr_fixed_sections; f++) {
		if (x86_fixed_sections[f].size > sizeof(zero))
			abort();
		put(s, x86_fixed_sections[f].tag, i, zero, x86_fixed_sections[f].size);
	}
	put(s, STATE_VCPU_TSC, i, &tsc, sizeof(tsc));
	put(s, STATE_VCPU_FPU_XSAVE, i, area, xsave);
	put(s, STATE_VCPU_CPUID, i, cpuid.entries, cpuid.head.nent * sizeof(cpuid.entries[0]));
	for (uint32_t m = 0; m < h->nr_msrs; m++)
		msrs[m] = (struct kvm_msr_entry){ .index = h->msrs[m], .data = m };
	put(s, STATE_VCPU_MSRS, i, msrs, h->nr_msrs * sizeof(*msrs));
	free(area);
	free(msrs);
}

void x86_state_snapshot(const struct x86_state_host *h, uint32_t nr_vcpus, struct state_set *s)
{
	const struct kvm_pit_state2 pit = { .flags = 0 };
	const struct kvm_clock_data clock = {
		.clock = 5000000000ULL, .flags = KVM_CLOCK_REALTIME, .realtime = 1ULL << 60,
	};
	struct azerr e;

	for (size_t i = 0; i < x86_nr_irqchip_sections; i++) {
		const struct kvm_irqchip chip = { .chip_id = x86_irqchip_sections[i].chip_id };
		put(s, x86_irqchip_sections[i].tag, 0, &chip, sizeof(chip));
	}
	put(s, STATE_PIT, 0, &pit, sizeof(pit));
	put(s, STATE_KVMCLOCK, 0, &clock, sizeof(clock));
	for (uint32_t i = 0; i < nr_vcpus; i++)
		put_vcpu(h, i, nr_vcpus, s);
	if (x86_host_cpuid_save(&h->supported, s, &e) < 0)
		abort();
}
