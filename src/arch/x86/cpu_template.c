#include "arch/x86/cpu_template.h"


#include "arch/x86/cpuid.h"

static uint32_t *reg_of(struct kvm_cpuid_entry2 *ent, enum cpuid_reg r)
{
	switch (r) {
	case CPUID_EAX: return &ent->eax;
	case CPUID_EBX: return &ent->ebx;
	case CPUID_ECX: return &ent->ecx;
	default: return &ent->edx;
	}
}

int cpu_template_apply(const struct cpu_template *t, struct cpuid_table *out,
		       struct azerr *e)
{
	for (unsigned i = 0; t && i < t->nr; i++) {
		const struct cpuid_modifier *m = &t->mods[i];
		bool found = false;
		for (uint32_t j = 0; j < out->head.nent; j++) {
			struct kvm_cpuid_entry2 *ent = &out->entries[j];
			/* A leaf without subleaves has one entry for all of them. */
			if (ent->function != m->leaf ||
			    ((ent->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && ent->index != m->subleaf))
				continue;
			uint32_t *r = reg_of(ent, m->reg);
			*r = (*r & ~m->mask) | (m->value & m->mask);
			found = true;
		}
		if (!found)
			return azerr_set(e, "CPU template: leaf 0x%x subleaf 0x%x is not in "
					 "this host's CPUID", m->leaf, m->subleaf);
	}
	return 0;
}
