/* A CPU template: CPUID bits the user pins, as Firecracker's custom CPU
 * templates do ("cpuid_modifiers"), applied to every vCPU's table on top of
 * what KVM supports. Typical use: hide a feature from the guest (a
 * paravirtual hypercall the host cannot serve, an instruction set a
 * migration target lacks). */
#ifndef AZOTE_ARCH_X86_CPU_TEMPLATE_H
#define AZOTE_ARCH_X86_CPU_TEMPLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define CPU_TEMPLATE_MAX 256

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpuid_modifier {
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	uint32_t mask;    /* the bits the template decides */
	uint32_t value;   /* their values (only bits in mask) */
};

struct cpu_template {
	unsigned nr;
	struct cpuid_modifier mods[CPU_TEMPLATE_MAX];
};

struct cpuid_table;
/* Applies t to a vCPU's table. A modifier for a leaf/subleaf the table
 * lacks is an error naming it: a template must not silently do nothing. */
int cpu_template_apply(const struct cpu_template *t, struct cpuid_table *out,
		       struct azerr *e);

#endif
