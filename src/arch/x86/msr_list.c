#include "arch/x86/msr_list.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define F1_EDX_MTRR (1u << 12)
#define F1_EDX_PAT  (1u << 16)

#define MSR_MTRR_PHYS_BASE0 0x200   /* 0x200..0x20f: base/mask pairs */
#define NR_VAR_MTRRS        8       /* KVM's MTRRcap VCNT */
#define MSR_IA32_CR_PAT     0x277

static const uint32_t fixed_mtrrs[] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	MSR_MTRR_DEF_TYPE,
};
#define NR_FIXED (sizeof(fixed_mtrrs) / sizeof(fixed_mtrrs[0]))
#define NR_EXTRA (2 * NR_VAR_MTRRS + NR_FIXED + 1)

static void add(uint32_t *list, uint32_t *n, uint32_t msr)
{
	for (uint32_t i = 0; i < *n; i++)
		if (list[i] == msr)
			return;
	list[(*n)++] = msr;
}

int x86_msr_list_complete(const uint32_t *kvm, uint32_t n, const struct cpuid_table *supported,
			  uint32_t **out, uint32_t *nout, struct azerr *e)
{
	const struct kvm_cpuid_entry2 *f1 = x86_cpuid_entry(supported->entries,
							     supported->head.nent, 1, 0);
	uint32_t edx = f1 ? f1->edx : 0;

	*out = malloc(((size_t)n + NR_EXTRA) * sizeof(**out));
	if (!*out)
		return azerr_set(e, "out of memory for the MSR list");
	memcpy(*out, kvm, (size_t)n * sizeof(**out));
	*nout = n;
	if (edx & F1_EDX_MTRR) {
		for (uint32_t i = 0; i < 2 * NR_VAR_MTRRS; i++)
			add(*out, nout, MSR_MTRR_PHYS_BASE0 + i);
		for (size_t i = 0; i < NR_FIXED; i++)
			add(*out, nout, fixed_mtrrs[i]);
	}
	if (edx & F1_EDX_PAT)
		add(*out, nout, MSR_IA32_CR_PAT);
	return 0;
}
