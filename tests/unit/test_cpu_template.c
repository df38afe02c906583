/* CPU templates: Firecracker's custom template JSON (cpuid_modifiers) into
 * azote's cpu_template, and its application to a vCPU's CPUID table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_schema.h"
#include "api/resources.h"
#include "arch/x86/cpu_template.h"
#include "arch/x86/cpuid.h"

/* Applies a template body to a fresh config; -1 and e on refusal. */
static int apply(const char *text, struct vm_config *cfg, struct azerr *e)
{
	json_t *j = jparse(text, strlen(text), e);
	int ret = -1;

	vm_config_init(cfg);
	if (j && !res_cpu_config.check(j, e))
		ret = res_cpu_config.apply(cfg, j, e);
	json_decref(j);
	return ret;
}

#define LEAF(l, sl, fl, reg, bm) \
	"{\"leaf\":\"" l "\",\"subleaf\":\"" sl "\",\"flags\":" #fl \
	",\"modifiers\":[{\"register\":\"" reg "\",\"bitmap\":\"" bm "\"}]}"

static void test_parse(void **state)
{
	struct vm_config c;
	struct azerr e;
	(void)state;

	assert_int_equal(apply("{\"cpuid_modifiers\":[" LEAF("0x40000001", "0x0", 0, "eax",
		"0bxxxxxxxxxxxxxxxxxx0x0xxxxxxxxxxx") "," LEAF("7", "0", 1, "EBX",
		"0b1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0") "],\"msr_modifiers\":[]}", &c, &e), 0);
	const struct cpu_template *t = c.cpu_template;
	assert_non_null(t);
	assert_int_equal(t->nr, 2);
	assert_int_equal(t->mods[0].leaf, 0x40000001);
	assert_int_equal(t->mods[0].reg, CPUID_EAX);
	assert_int_equal(t->mods[0].mask, (1u << 13) | (1u << 11));
	assert_int_equal(t->mods[0].value, 0);
	assert_int_equal(t->mods[1].leaf, 7);
	assert_int_equal(t->mods[1].reg, CPUID_EBX);
	assert_int_equal(t->mods[1].mask, 0x80000001u);
	assert_int_equal(t->mods[1].value, 0x80000000u);
	vm_config_free(&c);
	/* An empty template is valid and pins nothing. */
	assert_int_equal(apply("{}", &c, &e), 0);
	assert_int_equal(c.cpu_template->nr, 0);
	vm_config_free(&c);
}

static void test_refusals(void **state)
{
	static const struct { const char *body, *want; } bad[] = {
		{ "{\"cpuid_modifiers\":[" LEAF("1", "0", 0, "eax", "0b0101") "]}", "bitmap" },
		{ "{\"cpuid_modifiers\":[" LEAF("1", "0", 0, "eax",
			"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2") "]}", "bitmap" },
		{ "{\"cpuid_modifiers\":[" LEAF("1", "0", 0, "eax",
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "]}", "bitmap" },
		{ "{\"cpuid_modifiers\":[" LEAF("1", "0", 0, "rax",
			"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "]}", "rax" },
		{ "{\"cpuid_modifiers\":[" LEAF("0x1g", "0", 0, "eax",
			"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "]}", "32-bit numbers" },
		{ "{\"cpuid_modifiers\":[" LEAF("0x100000000", "0", 0, "eax",
			"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "]}", "32-bit numbers" },
		{ "{\"cpuid_modifiers\":[" LEAF("-1", "0", 0, "eax",
			"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "]}", "32-bit numbers" },
		{ "{\"cpuid_modifiers\":[" LEAF("1", "0", 2, "eax",
			"0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "]}", "flags" },
		{ "{\"cpuid_modifiers\":[{\"leaf\":\"1\",\"subleaf\":\"0\",\"flags\":0}]}", "modifiers" },
		{ "{\"msr_modifiers\":[{\"addr\":\"0x10\",\"bitmap\":\"0b1\"}]}", "msr_modifiers" },
		{ "{\"kvm_capabilities\":[\"!56\"]}", "kvm_capabilities" },
		{ "{\"cpuid_modifiers\":{}}", "cpuid_modifiers" },
		{ "{\"cpu_modifiers\":[]}", "cpu_modifiers" },
	};
	struct vm_config c;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(apply(bad[i].body, &c, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].want);
		assert_null(c.cpu_template);
		vm_config_free(&c);
	}
}

static void add(struct cpuid_table *t, uint32_t fn, uint32_t idx, uint32_t flags,
		uint32_t eax, uint32_t ebx)
{
	t->entries[t->head.nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = idx, .flags = flags, .eax = eax, .ebx = ebx,
	};
}

static void test_apply(void **state)
{
	struct cpuid_table t;
	struct cpu_template tmpl = { .nr = 2, .mods = {
		{ .leaf = 0x40000001, .reg = CPUID_EAX, .mask = 0x2800, .value = 0 },
		{ .leaf = 7, .subleaf = 1, .reg = CPUID_EBX, .mask = 0x3, .value = 0x1 },
	} };
	struct azerr e;
	(void)state;

	memset(&t, 0, sizeof(t));
	add(&t, 0x40000001, 0, 0, 0x7efb, 0);
	add(&t, 7, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 0xffff);
	add(&t, 7, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 0xfffe);
	assert_int_equal(cpu_template_apply(&tmpl, &t, &e), 0);
	assert_int_equal(t.entries[0].eax, 0x56fb);       /* bits 11, 13 cleared */
	assert_int_equal(t.entries[1].ebx, 0xffff);       /* other subleaf */
	assert_int_equal(t.entries[2].ebx, 0xfffd);       /* 1 set, 2 cleared */
	/* NULL template: nothing to do. */
	assert_int_equal(cpu_template_apply(NULL, &t, &e), 0);
	/* A leaf the table lacks is an error naming it. */
	tmpl.mods[0].leaf = 0x8000001f;
	assert_int_equal(cpu_template_apply(&tmpl, &t, &e), -1);
	assert_non_null(strstr(e.msg, "leaf 0x8000001f"));
}

static void test_topology_stays_azote(void **state)
{
	struct cpuid_table sup, out;
	/* A template trying to set leaf 1's APIC ID field. */
	struct cpu_template tmpl = { .nr = 1, .mods = {
		{ .leaf = 1, .reg = CPUID_EBX, .mask = 0xff000000, .value = 0x7f000000 },
	} };
	struct azerr e;
	(void)state;

	memset(&sup, 0, sizeof(sup));
	add(&sup, 0, 0, 0, 0x40000001, 0x68747541);   /* "Auth..." */
	sup.entries[0].ecx = 0x444d4163;
	sup.entries[0].edx = 0x69746e65;
	add(&sup, 1, 0, 0, 0x00a10f11, 0x00010800);
	add(&sup, 0x40000001, 0, 0, 0x7efb, 0);
	struct cpu_template hide = { .nr = 1, .mods = {
		{ .leaf = 0x40000001, .reg = CPUID_EAX, .mask = 0x2800, .value = 0 },
	} };
	assert_int_equal(x86_cpuid_build(&sup, 2, 4, &hide, &out, &e), 0);
	for (uint32_t i = 0; i < out.head.nent; i++)
		if (out.entries[i].function == 0x40000001)
			assert_int_equal(out.entries[i].eax, 0x56fb);
	assert_int_equal(x86_cpuid_build(&sup, 2, 4, &tmpl, &out, &e), 0);
	for (uint32_t i = 0; i < out.head.nent; i++)
		if (out.entries[i].function == 1)
			assert_int_equal(out.entries[i].ebx >> 24, 2);  /* vCPU 2's APIC ID */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_topology_stays_azote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
