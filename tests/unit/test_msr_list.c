/* arch/x86/msr_list: KVM's MSR list completed with the MTRRs and PAT that
 * KVM emulates but does not list, as CPUID has them; never one twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/msr_list.h"

static void table(struct cpuid_table *t, uint32_t leaf1_edx)
{
	memset(t, 0, sizeof(*t));
	t->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 1 };
	t->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .edx = leaf1_edx };
	t->head.nent = 2;
}

static int count(const uint32_t *l, uint32_t n, uint32_t msr)
{
	int c = 0;

	for (uint32_t i = 0; i < n; i++)
		c += l[i] == msr;
	return c;
}

static const uint32_t kvm_list[] = { 0x174, 0x175, 0x176, 0xc0000081, 0x10, 0x1a0, 0x277 };
#define KVM_N (sizeof(kvm_list) / sizeof(kvm_list[0]))

static void test_completed(void **st)
{
	static struct cpuid_table t;
	struct azerr e;
	uint32_t *l, n;
	(void)st;

	table(&t, (1u << 12) | (1u << 16));   /* MTRR, PAT */
	assert_int_equal(x86_msr_list_complete(kvm_list, KVM_N, &t, &l, &n, &e), 0);
	assert_memory_equal(l, kvm_list, sizeof(kvm_list));   /* KVM's first, in order */
	assert_int_equal(n, KVM_N + 16 + 12);                 /* PAT was listed already */
	for (uint32_t msr = 0x200; msr < 0x210; msr++)
		assert_int_equal(count(l, n, msr), 1);
	const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x26f, MSR_MTRR_DEF_TYPE, 0x277 };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_int_equal(count(l, n, fixed[i]), 1);
	free(l);
}

static void test_by_cpuid(void **st)
{
	static struct cpuid_table t;
	struct azerr e;
	uint32_t *l, n;
	(void)st;

	table(&t, 0);
	assert_int_equal(x86_msr_list_complete(kvm_list, KVM_N, &t, &l, &n, &e), 0);
	assert_int_equal(n, KVM_N);
	free(l);
	table(&t, 1u << 16);   /* PAT only: added when KVM did not list it */
	assert_int_equal(x86_msr_list_complete(kvm_list, KVM_N - 1, &t, &l, &n, &e), 0);
	assert_int_equal(n, KVM_N);
	assert_int_equal(l[n - 1], 0x277);
	assert_int_equal(count(l, n, MSR_MTRR_DEF_TYPE), 0);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completed),
		cmocka_unit_test(test_by_cpuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
