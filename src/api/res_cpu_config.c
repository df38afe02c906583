/* cpu-config: Firecracker's custom CPU template (PUT /cpu-config, the
 * config file's "cpu-config" path, azote's --cpu-template FILE). azote
 * takes its x86 CPUID part:
 *
 *   {"cpuid_modifiers": [{"leaf": "0x40000001", "subleaf": "0x0", "flags": 0,
 *      "modifiers": [{"register": "eax",
 *                     "bitmap": "0bxxxxxxxxxxxxxxxxxx0x0xxxxxxxxxxx"}]}]}
 *
 * MSR modifiers and the other sections are refused by name when not
 * empty: azote would not honour them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_schema.h"
#include "api/resources.h"
#include "arch/x86/cpu_template.h"

static const struct jfield template_fields[] = {
	{ "cpuid_modifiers", JT_ARRAY, false, 0 },
	{ "msr_modifiers", JT_ARRAY, false, 0 },
	{ "kvm_capabilities", JT_ARRAY, false, 0 },
	{ "vcpu_features", JT_ARRAY, false, 0 },
	{ "reg_modifiers", JT_ARRAY, false, 0 },
};

static const char *const unsupported[] = {
	"msr_modifiers", "kvm_capabilities", "vcpu_features", "reg_modifiers",
};

static const struct jfield leaf_fields[] = {
	{ "leaf", JT_STRING, true, 0 },
	{ "subleaf", JT_STRING, true, 0 },
	{ "flags", JT_UINT, true, 1 },
	{ "modifiers", JT_ARRAY, true, 0 },
};

static const struct jfield reg_fields[] = {
	{ "register", JT_STRING, true, 0 },
	{ "bitmap", JT_STRING, true, 0 },
};

static const char *const regs[] = { "eax", "ebx", "ecx", "edx" };

/* Firecracker's bitmap notation: "0b" and 32 characters from bit 31 down,
 * '0' clear, '1' set, 'x' leave as KVM has it. */
static int parse_bitmap(const char *s, uint32_t *mask, uint32_t *value)
{
	uint32_t m = 0, v = 0;

	if (strncmp(s, "0b", 2) || strlen(s) != 2 + 32)
		return -1;
	for (int i = 0; i < 32; i++) {
		uint32_t bit = 1u << (31 - i);
		switch (s[2 + i]) {
		case '0': m |= bit; break;
		case '1': m |= bit; v |= bit; break;
		case 'x': case 'X': break;
		default: return -1;
		}
	}
	*mask = m;
	*value = v;
	return 0;
}

/* A 32-bit value written "0x..." (Firecracker's notation) or in decimal. */
static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, !strncmp(s, "0x", 2) ? 16 : 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Walks the template; with t NULL only checks it. */
static int walk(const json_t *body, struct cpu_template *t, struct azerr *e)
{
	const json_t *leaves, *leaf, *mods, *mod;
	size_t i, j;
	char where[96];
	unsigned n = 0;

	if (jcheck(body, "", JFIELDS(template_fields), e))
		return -1;
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		const json_t *a = json_object_get(body, unsupported[i]);
		if (a && json_array_size(a))
			return azerr_set(e, "`%s` is not supported: azote's CPU templates "
					 "modify CPUID only", unsupported[i]);
	}
	leaves = json_object_get(body, "cpuid_modifiers");
	json_array_foreach(leaves, i, leaf) {
		uint32_t l, sl;
		snprintf(where, sizeof(where), "cpuid_modifiers[%zu]", i);
		if (jcheck(leaf, where, JFIELDS(leaf_fields), e))
			return -1;
		if (parse_u32(jstr(leaf, "leaf"), &l) || parse_u32(jstr(leaf, "subleaf"), &sl))
			return azerr_set(e, "%s: leaf and subleaf must be 32-bit numbers "
					 "(\"0x1\" or \"1\")", where);
		mods = json_object_get(leaf, "modifiers");
		json_array_foreach(mods, j, mod) {
			uint32_t mask, value;
			snprintf(where, sizeof(where), "cpuid_modifiers[%zu].modifiers[%zu]", i, j);
			if (jcheck(mod, where, JFIELDS(reg_fields), e))
				return -1;
			int r = jenum(mod, where, "register", JFIELDS(regs), true, 0, e);
			if (r < 0)
				return -1;
			if (parse_bitmap(jstr(mod, "bitmap"), &mask, &value))
				return azerr_set(e, "%s.bitmap: expected \"0b\" and 32 of 0, 1 "
						 "or x, got \"%s\"", where, jstr(mod, "bitmap"));
			if (n == CPU_TEMPLATE_MAX)
				return azerr_set(e, "more than %d CPUID modifiers", CPU_TEMPLATE_MAX);
			if (t)
				t->mods[n] = (struct cpuid_modifier){
					.leaf = l, .subleaf = sl, .reg = (enum cpuid_reg)r,
					.mask = mask, .value = value,
				};
			n++;
		}
	}
	if (t)
		t->nr = n;
	return 0;
}

static int cpu_config_check(const json_t *body, struct azerr *e)
{
	return walk(body, NULL, e);
}

static int cpu_config_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	struct cpu_template *t = calloc(1, sizeof(*t));

	if (!t)
		return azerr_set(e, "out of memory for the CPU template");
	if (walk(body, t, e) < 0) {
		free(t);
		return -1;
	}
	free(cfg->cpu_template);
	cfg->cpu_template = t;
	return 0;
}

const struct resource res_cpu_config = {
	"cpu-config", cpu_config_check, cpu_config_apply,
};
