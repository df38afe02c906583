/* Per-vCPU CPUID. The table starts as exactly what KVM supports; azote then
 * only writes topology fields (APIC IDs, counts, shifts, cache sharing) and
 * the two bits that describe the machine rather than the CPU's features:
 * HTT (leaf 1 EBX[23:16] is valid) and the hypervisor bit. No feature bit
 * is ever set that KVM did not report (the TSC deadline timer, which KVM
 * reports by a capability, is added to the table by x86_cpuid_add_tsc_deadline).
 * AMX is taken out unless KVM reports its whole state (sanitize_amx); so
 * are the performance counters and user-mode waits (hide_host_only).
 *
 * Topology: one package of nr_cpus cores with one thread each, APIC ID =
 * vCPU index. The core field of the APIC ID is order(nr_cpus) bits wide
 * (smallest n with 2^n >= nr_cpus), the SMT field 0 bits. */
#include "arch/x86/cpuid.h"
#include "arch/x86/cpu_template.h"

#include <string.h>

#include "arch/x86/boot.h"

enum vendor { VENDOR_INTEL, VENDOR_AMD, VENDOR_OTHER };

#define LEAF_VENDOR        0x0
#define LEAF_FEATURES      0x1
#define LEAF_CACHE         0x4
#define LEAF_EXT_FEATURES  0x7
#define LEAF_PERFMON       0xa
#define LEAF_XSAVE         0xd
#define LEAF_TOPO          0xb
#define LEAF_TOPO_V2       0x1f
#define LEAF_AMD_SIZES     0x80000008
#define LEAF_AMD_CACHE     0x8000001d
#define LEAF_AMD_TOPO      0x8000001e

#define F1_EDX_HTT         (1u << 28)
#define F1_ECX_TSC_DEADLINE (1u << 24)
#define F1_ECX_HYPERVISOR  (1u << 31)
#define F1_ECX_PDCM        (1u << 15)
#define F7_0_ECX_WAITPKG   (1u << 5)

/* AMX: its two XSAVE components (leaf 0xd.0 EAX) and feature bits (leaf
 * 7.0 EDX: AMX-BF16, AMX-TILE, AMX-INT8; 7.1 EAX: AMX-FP16; 7.1 EDX:
 * AMX-COMPLEX). */
#define XFEATURE_XTILECFG  (1u << 17)
#define XFEATURE_XTILEDATA (1u << 18)
#define F7_0_EDX_AMX       ((1u << 22) | (1u << 24) | (1u << 25))
#define F7_1_EAX_AMX       (1u << 21)
#define F7_1_EDX_AMX       (1u << 8)

#define TOPO_TYPE_SMT      1
#define TOPO_TYPE_CORE     2

struct topo {
	uint32_t apic_id;
	uint32_t nr_cpus;
	uint32_t core_shift;   /* APIC ID bits that number the cores */
};

static uint32_t order(uint32_t n)
{
	uint32_t s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static void set_bits(uint32_t *reg, int lo, int width, uint32_t val)
{
	uint32_t mask = (width == 32 ? ~0u : ((1u << width) - 1)) << lo;

	*reg = (*reg & ~mask) | ((val << lo) & mask);
}

const struct kvm_cpuid_entry2 *x86_cpuid_entry(const struct kvm_cpuid_entry2 *v, uint32_t n,
					       uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].function == fn && v[i].index == idx)
			return &v[i];
	return NULL;
}

static struct kvm_cpuid_entry2 *find(struct cpuid_table *t, uint32_t fn, uint32_t idx)
{
	return (struct kvm_cpuid_entry2 *)x86_cpuid_entry(t->entries, t->head.nent, fn, idx);
}

void x86_cpuid_add_tsc_deadline(struct cpuid_table *t)
{
	struct kvm_cpuid_entry2 *leaf = find(t, LEAF_FEATURES, 0);

	if (leaf)
		leaf->ecx |= F1_ECX_TSC_DEADLINE;
}

/* AMX needs both its XSAVE components. A process that has not been given
 * the tile data's permission (arch_prctl ARCH_REQ_XCOMP_GUEST_PERM, which
 * azote asks for: vmm/kvm.c) gets XTILECFG without XTILEDATA from kernels before 6.4
 * (KVM's fix 55cd57b596e8), and a guest that enables one without the other
 * in XCR0 takes a #GP at boot; even with neither, the feature bits of
 * leaf 7 would promise AMX. Unless both are there, none of it is. */
static void sanitize_amx(struct cpuid_table *t)
{
	struct kvm_cpuid_entry2 *xsave = find(t, LEAF_XSAVE, 0);
	struct kvm_cpuid_entry2 *f70 = find(t, LEAF_EXT_FEATURES, 0);
	struct kvm_cpuid_entry2 *f71 = find(t, LEAF_EXT_FEATURES, 1);
	const uint32_t both = XFEATURE_XTILECFG | XFEATURE_XTILEDATA;

	if (xsave && (xsave->eax & both) == both)
		return;
	if (xsave)
		xsave->eax &= ~both;
	if (f70)
		f70->edx &= ~F7_0_EDX_AMX;
	if (f71) {
		f71->eax &= ~F7_1_EAX_AMX;
		f71->edx &= ~F7_1_EDX_AMX;
	}
}

/* What a guest of a shared host should not have, as Firecracker and QEMU's
 * defaults decide:
 * - Intel's architectural performance counters (leaf 0xa, whose version 0
 *   gives the guest no vPMU: KVM derives it from this leaf) and
 *   IA32_PERF_CAPABILITIES (PDCM): every guest kernel would otherwise
 *   keep a counter running for its NMI watchdog, and KVM switch the
 *   counters on each entry and exit (AMD's legacy counters have no CPUID
 *   bit, and stay);
 * - WAITPKG (UMONITOR, UMWAIT, TPAUSE): they put the physical core into
 *   an idle state from the guest, at any privilege level, and the host
 *   pays to wake it (KVM has reported them since Linux 5.8). */
static void hide_host_only(struct cpuid_table *t)
{
	struct kvm_cpuid_entry2 *perfmon = find(t, LEAF_PERFMON, 0);
	struct kvm_cpuid_entry2 *f1 = find(t, LEAF_FEATURES, 0);
	struct kvm_cpuid_entry2 *f70 = find(t, LEAF_EXT_FEATURES, 0);

	if (perfmon)
		perfmon->eax = perfmon->ebx = perfmon->ecx = perfmon->edx = 0;
	if (f1)
		f1->ecx &= ~F1_ECX_PDCM;
	if (f70)
		f70->ecx &= ~F7_0_ECX_WAITPKG;
}

static enum vendor vendor_of(const struct kvm_cpuid_entry2 *leaf0)
{
	char v[12];

	memcpy(v, &leaf0->ebx, 4);
	memcpy(v + 4, &leaf0->edx, 4);
	memcpy(v + 8, &leaf0->ecx, 4);
	if (!memcmp(v, "GenuineIntel", 12))
		return VENDOR_INTEL;
	if (!memcmp(v, "AuthenticAMD", 12) || !memcmp(v, "HygonGenuine", 12))
		return VENDOR_AMD;
	return VENDOR_OTHER;
}

static void leaf1(struct kvm_cpuid_entry2 *ent, const struct topo *t)
{
	/* Addressable logical processor IDs in the package: a power of two
	 * that covers every APIC ID, clipped to the 8-bit field. */
	uint32_t ids = min_u32(1u << t->core_shift, 0xff);

	set_bits(&ent->ebx, 24, 8, t->apic_id);
	set_bits(&ent->ebx, 16, 8, ids);
	if (t->nr_cpus > 1)
		ent->edx |= F1_EDX_HTT;
	else
		ent->edx &= ~F1_EDX_HTT;
	ent->ecx |= F1_ECX_HYPERVISOR;
}

/* Cache sharing: L1 and L2 per core, L3 by the whole package. */
static uint32_t sharing(uint32_t cache_eax, const struct topo *t)
{
	uint32_t level = (cache_eax >> 5) & 7;

	return level >= 3 ? (1u << t->core_shift) - 1 : 0;
}

/* Intel deterministic cache parameters, one subleaf per cache. */
static void leaf4(struct kvm_cpuid_entry2 *ent, const struct topo *t)
{
	if ((ent->eax & 0x1f) == 0)     /* no more caches */
		return;
	set_bits(&ent->eax, 26, 6, min_u32((1u << t->core_shift) - 1, 63));
	set_bits(&ent->eax, 14, 12, min_u32(sharing(ent->eax, t), 0xfff));
}

static void amd_cache(struct kvm_cpuid_entry2 *ent, const struct topo *t)
{
	if ((ent->eax & 0x1f) == 0)
		return;
	set_bits(&ent->eax, 14, 12, min_u32(sharing(ent->eax, t), 0xfff));
}

static void amd_sizes(struct kvm_cpuid_entry2 *ent, const struct topo *t)
{
	set_bits(&ent->ecx, 0, 8, t->nr_cpus - 1);      /* NC */
	set_bits(&ent->ecx, 12, 4, t->core_shift);      /* ApicIdSize */
}

static void amd_topo(struct kvm_cpuid_entry2 *ent, const struct topo *t)
{
	ent->eax = t->apic_id;     /* extended APIC ID */
	ent->ebx = t->apic_id;     /* core ID; ThreadsPerCore - 1 = 0 */
	ent->ecx = 0;              /* node 0, one node per package */
	ent->edx = 0;
}

static void fix_leaf(struct kvm_cpuid_entry2 *ent, enum vendor v,
		     const struct topo *t)
{
	switch (ent->function) {
	case LEAF_FEATURES:
		leaf1(ent, t);
		break;
	case LEAF_CACHE:
		if (v != VENDOR_AMD)
			leaf4(ent, t);
		break;
	case LEAF_AMD_SIZES:
		if (v == VENDOR_AMD)
			amd_sizes(ent, t);
		break;
	case LEAF_AMD_CACHE:
		if (v == VENDOR_AMD)
			amd_cache(ent, t);
		break;
	case LEAF_AMD_TOPO:
		if (v == VENDOR_AMD)
			amd_topo(ent, t);
		break;
	}
}

static int append(struct cpuid_table *out, const struct kvm_cpuid_entry2 *ent,
		  struct azerr *e)
{
	if (out->head.nent >= CPUID_MAX_ENTRIES)
		return azerr_set(e, "CPUID table needs more than %d entries",
				 CPUID_MAX_ENTRIES);
	out->entries[out->head.nent++] = *ent;
	return 0;
}

/* Leaves 0xb and 0x1f: an SMT level of one thread, a core level that
 * covers every vCPU, then the invalid level that ends the list. */
static int extended_topology(struct cpuid_table *out, uint32_t fn,
			     const struct topo *t, struct azerr *e)
{
	const struct { uint32_t shift, count, type; } level[] = {
		{ 0, 1, TOPO_TYPE_SMT },
		{ t->core_shift, t->nr_cpus, TOPO_TYPE_CORE },
		{ 0, 0, 0 },
	};

	for (uint32_t i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 ent = {
			.function = fn, .index = i,
			.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			.eax = level[i].shift, .ebx = level[i].count,
			.ecx = (level[i].type << 8) | i, .edx = t->apic_id,
		};
		if (append(out, &ent, e) < 0)
			return -1;
	}
	return 0;
}

int x86_cpuid_build(const struct cpuid_table *supported, uint32_t cpu_index,
		    uint32_t nr_cpus, const struct cpu_template *tmpl,
		    struct cpuid_table *out, struct azerr *e)
{
	bool has_topo = false, has_topo_v2 = false;

	if (supported->head.nent > CPUID_MAX_ENTRIES)
		return azerr_set(e, "supported CPUID has %u entries, more than %d",
				 supported->head.nent, CPUID_MAX_ENTRIES);
	if (nr_cpus < 1 || nr_cpus > BOOT_MAX_CPUS || cpu_index >= nr_cpus)
		return azerr_set(e, "CPUID: vCPU %u of %u is out of range (1..%d vCPUs)",
				 cpu_index, nr_cpus, BOOT_MAX_CPUS);
	memset(&out->head, 0, sizeof(out->head));
	/* Copy what KVM supports, minus the extended topology leaves, which
	 * describe the host's topology and are rebuilt whole below. */
	for (uint32_t i = 0; i < supported->head.nent; i++) {
		const struct kvm_cpuid_entry2 *ent = &supported->entries[i];
		if (ent->function == LEAF_TOPO || ent->function == LEAF_TOPO_V2) {
			has_topo |= ent->function == LEAF_TOPO;
			has_topo_v2 |= ent->function == LEAF_TOPO_V2;
			continue;
		}
		out->entries[out->head.nent++] = *ent;
	}
	struct kvm_cpuid_entry2 *leaf0 = find(out, LEAF_VENDOR, 0);
	if (!leaf0 || !find(out, LEAF_FEATURES, 0))
		return azerr_set(e, "supported CPUID lacks leaf 0x%x",
				 leaf0 ? LEAF_FEATURES : LEAF_VENDOR);

	sanitize_amx(out);
	hide_host_only(out);
	/* The user's template, before topology: the topology fields are
	 * azote's to set whatever a template says; and after the features
	 * taken out above, which it may give back. */
	if (cpu_template_apply(tmpl, out, e) < 0)
		return -1;
	const struct topo t = {
		.apic_id = cpu_index, .nr_cpus = nr_cpus,
		.core_shift = order(nr_cpus),
	};
	enum vendor v = vendor_of(leaf0);
	for (uint32_t i = 0; i < out->head.nent; i++)
		fix_leaf(&out->entries[i], v, &t);
	if (has_topo && extended_topology(out, LEAF_TOPO, &t, e) < 0)
		return -1;
	if (has_topo_v2 && extended_topology(out, LEAF_TOPO_V2, &t, e) < 0)
		return -1;
	return 0;
}

/* The words of flags, one bit a feature, that KVM_GET_SUPPORTED_CPUID
 * reports as what it can give a guest. */
static const struct feature_word {
	uint32_t fn, idx;
	enum cpuid_reg reg;
} feature_words[] = {
	{ 0x1, 0, CPUID_ECX }, { 0x1, 0, CPUID_EDX },
	{ 0x6, 0, CPUID_EAX },                              /* ARAT */
	{ 0x7, 0, CPUID_EBX }, { 0x7, 0, CPUID_ECX }, { 0x7, 0, CPUID_EDX },
	{ 0x7, 1, CPUID_EAX }, { 0x7, 1, CPUID_EDX }, { 0x7, 2, CPUID_EDX },
	{ 0xd, 0, CPUID_EAX }, { 0xd, 0, CPUID_EDX },        /* XCR0 components */
	{ 0xd, 1, CPUID_EAX }, { 0xd, 1, CPUID_ECX }, { 0xd, 1, CPUID_EDX },
	{ 0x40000001, 0, CPUID_EAX },                       /* KVM's paravirt features */
	{ 0x80000001, 0, CPUID_ECX }, { 0x80000001, 0, CPUID_EDX },
	{ 0x80000007, 0, CPUID_EDX },                       /* invariant TSC */
	{ 0x80000008, 0, CPUID_EBX },
	{ 0x8000000a, 0, CPUID_EDX },                       /* nested SVM */
	{ 0x80000021, 0, CPUID_EAX },
};

static uint32_t word_of(const struct kvm_cpuid_entry2 *v, uint32_t n,
			const struct feature_word *w)
{
	const struct kvm_cpuid_entry2 *ent = x86_cpuid_entry(v, n, w->fn, w->idx);

	if (!ent)
		return 0;
	const uint32_t regs[] = { ent->eax, ent->ebx, ent->ecx, ent->edx };
	return regs[w->reg];
}

int x86_cpuid_check_restore(const struct kvm_cpuid_entry2 *saved, uint32_t n,
			    const struct kvm_cpuid_entry2 *was, uint32_t m,
			    const struct cpuid_table *here, uint32_t vcpu, struct azerr *e)
{
	static const char reg_name[][4] = { "EAX", "EBX", "ECX", "EDX" };

	for (size_t i = 0; i < sizeof(feature_words) / sizeof(feature_words[0]); i++) {
		const struct feature_word *w = &feature_words[i];
		uint32_t missing = word_of(saved, n, w) & word_of(was, m, w) &
				   ~word_of(here->entries, here->head.nent, w);
		if (missing)
			return azerr_set(e, "vCPU %u: its guest has CPUID leaf 0x%x.%u %s bit %d, "
					 "a feature KVM offered on the host that saved it and does "
					 "not offer on this one: the guest would fault on it; restore "
					 "on a host (CPU, microcode, kernel, boot options) that has it",
					 vcpu, w->fn, w->idx, reg_name[w->reg],
					 __builtin_ctz(missing));
	}
	return 0;
}
