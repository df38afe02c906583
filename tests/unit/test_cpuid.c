/* Per-vCPU CPUID from synthetic Intel and AMD "supported" tables: topology
 * fields are rewritten for each vCPU, everything else is KVM's, bit for
 * bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/cpu_template.h"
#include "arch/x86/cpuid.h"

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

static void add(struct cpuid_table *t, uint32_t fn, uint32_t idx, uint32_t flags,
		uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	t->entries[t->head.nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = idx, .flags = flags,
		.eax = a, .ebx = b, .ecx = c, .edx = d,
	};
}

static void vendor(struct cpuid_table *t, uint32_t max, const char *v)
{
	uint32_t b, d, c;

	memcpy(&b, v, 4);
	memcpy(&d, v + 4, 4);
	memcpy(&c, v + 8, 4);
	add(t, 0, 0, 0, max, b, c, d);
}

/* Host values are deliberately "wrong" for the guest (host APIC ID 5,
 * 2 threads per core, 112 logical CPUs) so that the test sees them
 * replaced. */
static void intel_table(struct cpuid_table *t)
{
	memset(t, 0, sizeof(*t));
	vendor(t, 0x1f, "GenuineIntel");
	add(t, 1, 0, 0, 0x806f8, (5u << 24) | (0x80u << 16) | 0x0800,
	    0x7ffafbff, 0x0fabfbff);
	add(t, 4, 0, SIG, 0x1c004121, 0x02c0003f, 0x3f, 0);   /* L1d */
	add(t, 4, 1, SIG, 0x1c004122, 0x01c0003f, 0x3f, 0);   /* L1i */
	add(t, 4, 2, SIG, 0x1c004143, 0x03c0003f, 0x7ff, 0);  /* L2 */
	add(t, 4, 3, SIG, 0x1c03c163, 0x0380003f, 0xffff, 4); /* L3 */
	add(t, 4, 4, SIG, 0, 0, 0, 0);
	add(t, 7, 0, SIG, 1, 0xf1bf07ab, 0x1b415f6e, 0xbc18c410);
	add(t, 0xa, 0, 0, 0x07300805, 0, 0, 0x00008603);   /* PMU version 5 */
	add(t, 0xb, 0, SIG, 1, 2, 0x100, 5);
	add(t, 0xb, 1, SIG, 7, 112, 0x201, 5);
	add(t, 0x1f, 0, SIG, 1, 2, 0x100, 5);
	add(t, 0x1f, 1, SIG, 7, 112, 0x201, 5);
	add(t, 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(t, 0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	add(t, 0x80000000, 0, 0, 0x80000008, 0, 0, 0);
	add(t, 0x80000001, 0, 0, 0, 0, 0x121, 0x2c100800);
	add(t, 0x80000008, 0, 0, 0x3030, 0x200, 0x1234, 0);
}

static void amd_table(struct cpuid_table *t)
{
	memset(t, 0, sizeof(*t));
	vendor(t, 0x10, "AuthenticAMD");
	add(t, 1, 0, 0, 0xa00f11, (5u << 24) | (0x80u << 16) | 0x0800,
	    0x7ed8320b, 0x178bfbff);
	add(t, 4, 0, SIG, 0x1234, 0x5678, 0x9abc, 0xdef0);    /* not AMD's */
	add(t, 7, 0, SIG, 0, 0x219c97a9, 0x40068c, 0x10);
	add(t, 0xb, 0, SIG, 1, 2, 0x100, 5);
	add(t, 0xb, 1, SIG, 7, 128, 0x201, 5);
	add(t, 0xb, 2, SIG, 0, 0, 2, 5);
	add(t, 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(t, 0x80000000, 0, 0, 0x8000001f, 0x68747541, 0x444d4163, 0x69746e65);
	add(t, 0x80000001, 0, 0, 0xa00f11, 0, 0x75c237ff, 0x2fd3fbff);
	add(t, 0x80000008, 0, 0, 0x3030, 0x0100d21f, 0x0003707f, 0);
	add(t, 0x8000001d, 0, SIG, 0x00004121, 0x01c0003f, 0x3f, 0);   /* L1d */
	add(t, 0x8000001d, 1, SIG, 0x00004122, 0x01c0003f, 0x3f, 0);   /* L1i */
	add(t, 0x8000001d, 2, SIG, 0x00004143, 0x01c0003f, 0x3ff, 2);  /* L2 */
	add(t, 0x8000001d, 3, SIG, 0x0003c163, 0x03c0003f, 0x7fff, 1); /* L3 */
	add(t, 0x8000001d, 4, SIG, 0, 0, 0, 0);
	add(t, 0x8000001e, 0, 0, 0, 0, 0, 0);
}

static struct kvm_cpuid_entry2 *get(const struct cpuid_table *t, uint32_t fn, uint32_t idx)
{
	const struct kvm_cpuid_entry2 *ent = x86_cpuid_entry(t->entries, t->head.nent, fn, idx);

	if (!ent)
		fail_msg("leaf 0x%x.%u missing", fn, idx);
	return (struct kvm_cpuid_entry2 *)ent;
}

static int count(const struct cpuid_table *t, uint32_t fn)
{
	int n = 0;

	for (uint32_t i = 0; i < t->head.nent; i++)
		n += t->entries[i].function == fn;
	return n;
}

static uint32_t order(uint32_t n)
{
	uint32_t s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/* Registers azote may change, per leaf; everything else must be KVM's
 * (test_host_only checks what the changes are). */
static void writable(const struct kvm_cpuid_entry2 *ent, int amd,
		     uint32_t mask[4])
{
	memset(mask, 0, 4 * sizeof(uint32_t));
	switch (ent->function) {
	case 1:
		mask[1] = 0xffff0000;             /* APIC ID, logical count */
		mask[2] = 1u << 31 | 1u << 15;    /* hypervisor, PDCM */
		mask[3] = 1u << 28;               /* HTT */
		break;
	case 7:
		if (ent->index == 0)
			mask[2] = 1u << 5;        /* WAITPKG */
		break;
	case 0xa:
		memset(mask, 0xff, 4 * sizeof(uint32_t));  /* the PMU */
		break;
	case 4:
		if (!amd)
			mask[0] = 0xffffc000;     /* cores, sharing */
		break;
	case 0x80000008:
		if (amd)
			mask[2] = 0xf0ff;         /* ApicIdSize, NC */
		break;
	case 0x8000001d:
		if (amd)
			mask[0] = 0x03ffc000;     /* sharing */
		break;
	case 0x8000001e:
		if (amd)
			memset(mask, 0xff, 4 * sizeof(uint32_t));
		break;
	}
}

static void check_untouched(const struct cpuid_table *sup,
			    const struct cpuid_table *out, int amd)
{
	for (uint32_t i = 0; i < out->head.nent; i++) {
		const struct kvm_cpuid_entry2 *o = &out->entries[i];
		uint32_t m[4];
		if (o->function == 0xb || o->function == 0x1f)
			continue;
		const struct kvm_cpuid_entry2 *s = get(sup, o->function, o->index);
		writable(o, amd, m);
		assert_int_equal(o->flags, s->flags);
		assert_int_equal(o->eax & ~m[0], s->eax & ~m[0]);
		assert_int_equal(o->ebx & ~m[1], s->ebx & ~m[1]);
		assert_int_equal(o->ecx & ~m[2], s->ecx & ~m[2]);
		assert_int_equal(o->edx & ~m[3], s->edx & ~m[3]);
	}
}

static void check_common(const struct cpuid_table *out, uint32_t idx, uint32_t n)
{
	const struct kvm_cpuid_entry2 *l1 = get(out, 1, 0);
	uint32_t ids = (1u << order(n)) > 0xff ? 0xff : 1u << order(n);

	assert_int_equal(l1->ebx >> 24, idx);
	assert_int_equal((l1->ebx >> 16) & 0xff, ids);
	assert_int_equal(!!(l1->edx & (1u << 28)), n > 1);
	assert_true(l1->ecx & (1u << 31));

	assert_int_equal(count(out, 0xb), 3);
	const struct kvm_cpuid_entry2 *smt = get(out, 0xb, 0);
	const struct kvm_cpuid_entry2 *core = get(out, 0xb, 1);
	const struct kvm_cpuid_entry2 *end = get(out, 0xb, 2);
	assert_int_equal(smt->eax, 0);
	assert_int_equal(smt->ebx, 1);
	assert_int_equal(smt->ecx, 0x100);
	assert_int_equal(smt->edx, idx);
	assert_int_equal(core->eax, order(n));
	assert_int_equal(core->ebx, n);
	assert_int_equal(core->ecx, 0x201);
	assert_int_equal(core->edx, idx);
	assert_int_equal(end->ebx, 0);
	assert_int_equal(end->ecx, 2);
	assert_true(smt->flags & SIG);
	/* Every vCPU's x2APIC ID fits in the core level's shift. */
	assert_true(idx < (1u << core->eax));
}

static const uint32_t counts[] = { 1, 2, 3, 4, 8, 32, 64, 65, 128, 254 };
#define NCOUNTS (sizeof(counts) / sizeof(counts[0]))

/* What each vendor's table must show for vCPU idx of n. */
static void check_intel(const struct cpuid_table *sup, const struct cpuid_table *out,
			uint32_t idx, uint32_t n)
{
	uint32_t cores = (1u << order(n)) - 1;

	check_untouched(sup, out, 0);
	assert_int_equal(count(out, 0x1f), 3);
	assert_int_equal(get(out, 0x1f, 1)->ebx, n);
	assert_int_equal(get(out, 0x1f, 1)->edx, idx);
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t eax = get(out, 4, i)->eax;
		assert_int_equal(eax >> 26, cores > 63 ? 63 : cores);
		assert_int_equal((eax >> 14) & 0xfff, i == 3 ? cores : 0);
	}
	assert_int_equal(get(out, 4, 4)->eax, 0);
	/* Intel's 0x80000008 ECX is not AMD's NC field. */
	assert_int_equal(get(out, 0x80000008, 0)->ecx, 0x1234);
	/* Host 0xb and 0x1f (2 subleaves each) replaced by 3 each. */
	assert_int_equal(out->head.nent, sup->head.nent - 4 + 6);
}

static void check_amd(const struct cpuid_table *sup, const struct cpuid_table *out,
		      uint32_t idx, uint32_t n)
{
	uint32_t ecx = get(out, 0x80000008, 0)->ecx;
	const struct kvm_cpuid_entry2 *topo = get(out, 0x8000001e, 0);

	check_untouched(sup, out, 1);
	assert_int_equal(count(out, 0x1f), 0);
	assert_int_equal(ecx & 0xff, n - 1);
	assert_int_equal((ecx >> 12) & 0xf, order(n));
	assert_int_equal(topo->eax, idx);
	assert_int_equal(topo->ebx & 0xff, idx);
	assert_int_equal((topo->ebx >> 8) & 0xff, 0);  /* 1 thread/core */
	assert_int_equal(topo->ecx, 0);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal((get(out, 0x8000001d, i)->eax >> 14) & 0xfff,
				 i == 3 ? (1u << order(n)) - 1 : 0);
	assert_int_equal(out->head.nent, sup->head.nent);   /* 0xb: 3 for 3 */
}

/* Builds the first and last vCPU's table (all of them for up to 4) for
 * each count and checks them. */
static void run_counts(void (*table)(struct cpuid_table *),
		       void (*check)(const struct cpuid_table *,
				     const struct cpuid_table *, uint32_t, uint32_t))
{
	static struct cpuid_table sup, out;
	struct azerr e;

	table(&sup);
	for (size_t c = 0; c < NCOUNTS; c++) {
		uint32_t n = counts[c];
		for (uint32_t idx = 0; idx < n; idx += n > 4 ? n - 1 : 1) {
			assert_int_equal(x86_cpuid_build(&sup, idx, n, NULL, &out, &e), 0);
			check_common(&out, idx, n);
			check(&sup, &out, idx, n);
		}
	}
}

static void test_intel(void **state)
{
	(void)state;
	run_counts(intel_table, check_intel);
}

static void test_amd(void **state)
{
	(void)state;
	run_counts(amd_table, check_amd);
}

static void test_errors(void **state)
{
	static struct cpuid_table sup, out;
	struct azerr e;
	(void)state;

	intel_table(&sup);
	assert_int_equal(x86_cpuid_build(&sup, 4, 4, NULL, &out, &e), -1);
	assert_non_null(strstr(e.msg, "vCPU 4 of 4"));
	assert_int_equal(x86_cpuid_build(&sup, 0, 0, NULL, &out, &e), -1);
	assert_int_equal(x86_cpuid_build(&sup, 0, BOOT_MAX_CPUS + 1, NULL, &out, &e), -1);
	sup.head.nent = CPUID_MAX_ENTRIES + 1;
	assert_int_equal(x86_cpuid_build(&sup, 0, 1, NULL, &out, &e), -1);
	assert_non_null(strstr(e.msg, "257 entries"));
	/* Without leaf 1 there is nowhere to put the APIC ID. */
	intel_table(&sup);
	sup.entries[1].function = 2;
	assert_int_equal(x86_cpuid_build(&sup, 0, 1, NULL, &out, &e), -1);
	assert_non_null(strstr(e.msg, "leaf 0x1"));
	/* A table already full cannot take the rebuilt topology leaves. */
	intel_table(&sup);
	while (sup.head.nent < CPUID_MAX_ENTRIES)
		add(&sup, 0x80000001, 0, 0, 0, 0, 0, 0);
	assert_int_equal(x86_cpuid_build(&sup, 0, 2, NULL, &out, &e), -1);
	assert_non_null(strstr(e.msg, "more than 256"));
}

/* AMX on a Sapphire Rapids host whose kernel reports the tile
 * configuration but not the tile data without the process's permission
 * (before Linux 6.4): none of AMX reaches the guest. Both reported: all
 * of it does. */
static void test_amx(void **state)
{
	static struct cpuid_table sup, out;
	const uint32_t amx7 = (1u << 22) | (1u << 24) | (1u << 25);
	struct azerr e;
	(void)state;

	for (int whole = 0; whole < 2; whole++) {
		intel_table(&sup);
		sup.entries[7].edx |= amx7;          /* leaf 7.0 */
		add(&sup, 7, 1, SIG, 1u << 21, 0, 0, 1u << 8);
		add(&sup, 0xd, 0, SIG, 0x202e7 | (whole ? 1u << 18 : 0), 0x2440, 0x2b00, 0);
		add(&sup, 0xd, 1, SIG, 0xf, 0, 0x1800, 0);
		assert_int_equal(x86_cpuid_build(&sup, 0, 2, NULL, &out, &e), 0);
		uint32_t want_xsave = whole ? 0x602e7 : 0x002e7;
		assert_int_equal(get(&out, 0xd, 0)->eax, want_xsave);
		assert_int_equal(get(&out, 7, 0)->edx & amx7, whole ? amx7 : 0);
		assert_int_equal(get(&out, 7, 0)->edx & ~amx7, 0xbc18c410u);
		assert_int_equal(get(&out, 7, 1)->eax, whole ? 1u << 21 : 0);
		assert_int_equal(get(&out, 7, 1)->edx, whole ? 1u << 8 : 0);
		/* The rest of leaf 0xd is KVM's. */
		assert_int_equal(get(&out, 0xd, 0)->ebx, 0x2440);
		assert_int_equal(get(&out, 0xd, 1)->eax, 0xf);
	}
}

/* KVM before Linux 6.14 leaves the TSC deadline timer out of its table
 * and reports it by capability: the bit azote adds reaches every vCPU. */
static void test_tsc_deadline(void **state)
{
	static struct cpuid_table sup, out;
	struct azerr e;
	(void)state;

	intel_table(&sup);
	sup.entries[1].ecx &= ~(1u << 24);
	x86_cpuid_add_tsc_deadline(&sup);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(x86_cpuid_build(&sup, i, 3, NULL, &out, &e), 0);
		assert_true(get(&out, 1, 0)->ecx & (1u << 24));
	}
}

/* No performance counters (leaf 0xa, PDCM) and no user-mode waits
 * (WAITPKG) reach a guest, whatever KVM offers; a template may give the
 * counters back. */
static void test_host_only(void **state)
{
	static struct cpuid_table sup, out;
	struct cpu_template pmu = { .nr = 1, .mods = {
		{ .leaf = 0xa, .reg = CPUID_EAX, .mask = ~0u, .value = 0x07300805 },
	} };
	struct azerr e;
	(void)state;

	intel_table(&sup);
	assert_true(get(&sup, 1, 0)->ecx & (1u << 15));
	assert_true(get(&sup, 7, 0)->ecx & (1u << 5));
	assert_int_equal(x86_cpuid_build(&sup, 0, 2, NULL, &out, &e), 0);
	const struct kvm_cpuid_entry2 *a = get(&out, 0xa, 0);
	assert_int_equal(a->eax | a->ebx | a->ecx | a->edx, 0);
	assert_int_equal(get(&out, 1, 0)->ecx & (1u << 15), 0);
	assert_int_equal(get(&out, 7, 0)->ecx & (1u << 5), 0);
	/* The rest of those words is KVM's. */
	assert_int_equal(get(&out, 7, 0)->ecx, 0x1b415f6eu & ~(1u << 5));
	assert_int_equal(get(&out, 1, 0)->ecx, (0x7ffafbffu & ~(1u << 15)) | 1u << 31);

	assert_int_equal(x86_cpuid_build(&sup, 0, 2, &pmu, &out, &e), 0);
	assert_int_equal(get(&out, 0xa, 0)->eax, 0x07300805);
}

static int check_restore(const struct cpuid_table *saved, const struct cpuid_table *was,
			 const struct cpuid_table *here, struct azerr *e)
{
	return x86_cpuid_check_restore(saved->entries, saved->head.nent, was->entries,
				       was->head.nent, here, 1, e);
}

/* A snapshot's vCPU against the host that loads it: a feature the saving
 * host's KVM offered, which the guest saw, must be offered here too; the
 * bits the machine set (KVM's OSXSAVE at run time, azote's HTT, a
 * template's) carry over whatever this host offers. */
static void test_restore_check(void **state)
{
	static struct cpuid_table was, here, saved;
	struct azerr e;
	(void)state;

	intel_table(&was);
	assert_int_equal(x86_cpuid_build(&was, 1, 2, NULL, &saved, &e), 0);
	get(&saved, 1, 0)->ecx |= 1u << 27;                 /* OSXSAVE, set by KVM */
	get(&saved, 7, 0)->ecx |= 1u << 4;                  /* OSPKE, likewise */
	get(&saved, 7, 0)->ebx |= 1u << 4;                  /* HLE, by a template */
	assert_true(get(&saved, 1, 0)->edx & (1u << 28));   /* HTT, azote's */
	here = was;
	assert_int_equal(check_restore(&saved, &was, &here, &e), 0);

	/* The same CPU model with AVX-512F (leaf 7.0 EBX[16]) gone: other
	 * microcode, another kernel, clearcpuid=. */
	get(&here, 7, 0)->ebx &= ~(1u << 16);
	assert_int_equal(check_restore(&saved, &was, &here, &e), -1);
	assert_non_null(strstr(e.msg, "vCPU 1: its guest has CPUID leaf 0x7.0 EBX bit 16"));
	/* A guest whose template hid it does not need it. */
	get(&saved, 7, 0)->ebx &= ~(1u << 16);
	assert_int_equal(check_restore(&saved, &was, &here, &e), 0);

	/* A whole leaf missing here: KVM's paravirt features. */
	here = was;
	*get(&here, 0x40000001, 0) = here.entries[--here.head.nent];
	assert_null(x86_cpuid_entry(here.entries, here.head.nent, 0x40000001, 0));
	assert_int_equal(check_restore(&saved, &was, &here, &e), -1);
	assert_non_null(strstr(e.msg, "leaf 0x40000001.0 EAX bit 0"));

	/* An extended word, on AMD: the lowest missing bit is named. */
	amd_table(&was);
	assert_int_equal(x86_cpuid_build(&was, 0, 1, NULL, &saved, &e), 0);
	here = was;
	get(&here, 0x80000001, 0)->ecx &= ~0x0500u;         /* bits 8 and 10 */
	assert_int_equal(check_restore(&saved, &was, &here, &e), -1);
	assert_non_null(strstr(e.msg, "leaf 0x80000001.0 ECX bit 8,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel),
		cmocka_unit_test(test_amd),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_amx),
		cmocka_unit_test(test_tsc_deadline),
		cmocka_unit_test(test_host_only),
		cmocka_unit_test(test_restore_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
