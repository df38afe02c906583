/* arch/x86/state_check.c: a snapshot's vCPU and VM sections checked
 * against the loading host before any of them reaches KVM. A snapshot
 * the host could have saved passes; each section an edited file or
 * another host's snapshot can hold is refused, naming it. */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/state_check.h"
#include "arch/x86/tsc_pair.h"
#include "state_fixture.h"
#include "x86_state_fixture.h"

#define NR_VCPUS 2

static struct x86_state_host host;
static struct state_set snap;

static int setup(void **st)
{
	(void)st;
	x86_state_host_init(&host, 0);
	state_set_init(&snap);
	x86_state_snapshot(&host, NR_VCPUS, &snap);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	state_set_free(&snap);
	x86_state_host_free(&host);
	return 0;
}

static int check(const struct state_set *s, bool realtime, struct azerr *e)
{
	return x86_state_check(&host.k, NR_VCPUS, s, realtime, e);
}

static void check_ok(const struct state_set *s)
{
	struct azerr e = { "" };

	if (check(s, true, &e) < 0)
		fail_msg("refused: %s", e.msg);
}

/* Section (tag, index) made len bytes long (zero-extended), as in a file
 * whose section sizes were edited. */
static void resize(struct state_set *s, uint32_t tag, uint32_t index, size_t len)
{
	struct state_section *sec = (struct state_section *)state_find(s, tag, index);

	assert_non_null(sec);
	sec->data = realloc(sec->data, len ? len : 1);
	assert_non_null(sec->data);
	if (len > sec->len)
		memset(sec->data + sec->len, 0, len - sec->len);
	sec->len = len;
}

/* Each test changes a copy. */
static void copy(struct state_set *to)
{
	struct azerr e;

	state_set_init(to);
	for (size_t i = 0; i < snap.n; i++)
		assert_int_equal(state_put(to, snap.v[i].tag, snap.v[i].index, snap.v[i].data,
					   snap.v[i].len, &e), 0);
}

static void refused(struct state_set *s, bool realtime, const char *what)
{
	struct azerr e = { "" };

	assert_refused(check(s, realtime, &e), &e, what);
	state_set_free(s);
}

static void test_saved_passes(void **st)
{
	struct state_set s;
	(void)st;

	check_ok(&snap);
	/* A snapshot of azote before 2026-12 has no host-cpuid: its CPUID
	 * is not compared. */
	copy(&s);
	state_drop(&s, STATE_HOST_CPUID, 0);
	check_ok(&s);
	state_set_free(&s);
}

/* A copy of the snapshot with section (tag, index) made len bytes long,
 * edited to width-byte v at off, or taken out, must be refused naming
 * what. */
static void refused_resized(uint32_t tag, uint32_t index, size_t len, const char *what)
{
	struct state_set s;

	copy(&s);
	resize(&s, tag, index, len);
	refused(&s, true, what);
}

static void refused_poked(uint32_t tag, uint32_t index, size_t off, unsigned width,
			  uint64_t v, const char *what)
{
	struct state_set s;

	copy(&s);
	state_poke(&s, tag, index, off, width, v);
	refused(&s, true, what);
}

static void refused_dropped(uint32_t tag, uint32_t index, const char *what)
{
	struct state_set s;

	copy(&s);
	state_drop(&s, tag, index);
	refused(&s, true, what);
}

static void test_fixed_sections(void **st)
{
	(void)st;
	refused_resized(STATE_VCPU_LAPIC, 1, sizeof(struct kvm_lapic_state) - 1,
			"snapshot section vcpu-lapic #1 is 1023 bytes, expected 1024");
	refused_dropped(STATE_VCPU_REGS, 1, "snapshot has no vcpu-regs #1 section");
}

static void test_tsc(void **st)
{
	const size_t source = offsetof(struct tsc_wire, source);
	(void)st;

	refused_poked(STATE_VCPU_TSC, 0, source, 4, 0,
		      "snapshot section vcpu-tsc #0: source 0: not 1 to 3");
	refused_poked(STATE_VCPU_TSC, 1, source, 4, 4, "vcpu-tsc #1: source 4: not 1 to 3");
	refused_resized(STATE_VCPU_TSC, 0, 8, "vcpu-tsc #0 is 8 bytes, expected 16");
}

/* 4 KiB up to this host's size (AMX's larger area): a smaller one lacks
 * only components the saving host did not have. */
static void test_xsave(void **st)
{
	struct state_set s;
	struct azerr e = { "" };
	(void)st;

	refused_resized(STATE_VCPU_FPU_XSAVE, 0, 8192, "vcpu-xsave #0: size 8192 bytes: this "
			"host's XSAVE area takes 4096 to 4096");
	refused_resized(STATE_VCPU_FPU_XSAVE, 1, 4095, "vcpu-xsave #1: size 4095 bytes");
	copy(&s);
	resize(&s, STATE_VCPU_FPU_XSAVE, 0, 8192);
	host.k.xsave_size = 8192;
	assert_int_equal(check(&s, true, &e), 0);
	resize(&s, STATE_VCPU_FPU_XSAVE, 0, 8193);
	refused(&s, true, "takes 4096 to 8192");
	host.k.xsave_size = 0;
}

static void test_cpuid(void **st)
{
	const size_t ent = sizeof(struct kvm_cpuid_entry2);
	(void)st;

	refused_resized(STATE_VCPU_CPUID, 1, 0,
			"vcpu-cpuid #1: size 0 bytes: not 1 to 256 entries of 40");
	refused_resized(STATE_VCPU_CPUID, 0, 3 * ent + 1, "vcpu-cpuid #0: size 121 bytes");
	refused_resized(STATE_VCPU_CPUID, 0, (CPUID_MAX_ENTRIES + 1) * ent,
			"vcpu-cpuid #0: size 10280 bytes");
	refused_resized(STATE_HOST_CPUID, 0, 7, "host-cpuid #0: size 7 bytes");
	refused_dropped(STATE_VCPU_CPUID, 1, "snapshot has no vcpu-cpuid #1 section");
}

/* A feature the saving host offered and the guest saw, which this host's
 * KVM does not offer (leaf 7.0 EBX bit 0, FSGSBASE). */
static void test_cpuid_feature_gone(void **st)
{
	struct state_set s;
	struct kvm_cpuid_entry2 *leaf7 = (struct kvm_cpuid_entry2 *)x86_cpuid_entry(
		host.supported.entries, host.supported.head.nent, 7, 0);
	(void)st;

	assert_non_null(leaf7);
	leaf7->ebx &= ~1u;
	copy(&s);
	refused(&s, true, "vCPU 0: its guest has CPUID leaf 0x7.0 EBX bit 0");
	leaf7->ebx |= 1u;
}

static void test_msrs(void **st)
{
	struct state_set s;
	const size_t ent = sizeof(struct kvm_msr_entry);
	const struct state_section *sec = state_find(&snap, STATE_VCPU_MSRS, 0);
	size_t n = sec->len / ent;
	(void)st;

	refused_resized(STATE_VCPU_MSRS, 0, n * ent - 1, "vcpu-msrs #0: size");
	refused_resized(STATE_VCPU_MSRS, 1, (X86_MAX_MSRS + 1) * ent,
			"vcpu-msrs #1: size 65552 bytes: not up to 4096 entries of 16");
	/* None is fine: KVM keeps its reset values. */
	copy(&s);
	resize(&s, STATE_VCPU_MSRS, 1, 0);
	check_ok(&s);
	state_set_free(&s);
	/* One this host's KVM does not list: KVM_SET_MSRS would stop at it,
	 * the vCPU half set. */
	refused_poked(STATE_VCPU_MSRS, 1, (n - 1) * ent, 4, 0xc0010117,
		      "vcpu-msrs #1: MSR 0xc0010117: this host's KVM does not list it");
	/* The TSC, which the load sets from vcpu-tsc, need not be listed. */
	copy(&s);
	state_poke(&s, STATE_VCPU_MSRS, 1, (n - 1) * ent, 4, X86_MSR_IA32_TSC);
	uint32_t *tsc = NULL;
	for (uint32_t i = 0; i < host.nr_msrs; i++)
		if (host.msrs[i] == X86_MSR_IA32_TSC)
			tsc = &host.msrs[i];
	assert_non_null(tsc);
	*tsc = 0x174;
	check_ok(&s);
	*tsc = X86_MSR_IA32_TSC;
	state_set_free(&s);
}

static void test_vm_sections(void **st)
{
	const size_t flags = offsetof(struct kvm_clock_data, flags);
	struct state_set s;
	struct azerr e = { "" };
	(void)st;

	refused_poked(STATE_IRQCHIP_IOAPIC, 0, 0, 4, KVM_IRQCHIP_PIC_MASTER,
		      "ioapic #0: chip_id 0, expected 2");
	refused_resized(STATE_PIT, 0, 4, "snapshot section pit #0 is 4 bytes");
	refused_dropped(STATE_KVMCLOCK, 0, "snapshot has no kvmclock #0 section");
	/* clock_realtime needs the wall-clock time of the pause. */
	refused_poked(STATE_KVMCLOCK, 0, flags, 4, 0,
		      "clock_realtime: the snapshot holds no wall-clock time");
	copy(&s);
	state_poke(&s, STATE_KVMCLOCK, 0, flags, 4, 0);
	assert_int_equal(check(&s, false, &e), 0);
	state_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saved_passes),
		cmocka_unit_test(test_fixed_sections),
		cmocka_unit_test(test_tsc),
		cmocka_unit_test(test_xsave),
		cmocka_unit_test(test_cpuid),
		cmocka_unit_test(test_cpuid_feature_gone),
		cmocka_unit_test(test_msrs),
		cmocka_unit_test(test_vm_sections),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
