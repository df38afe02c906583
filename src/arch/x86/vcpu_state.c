/* One x86 vCPU's KVM state to and from snapshot sections: see
 * vcpu_state.h. Orders and caveats are from the KVM API document
 * (Documentation/virt/kvm/api.rst) and the KVM code paths it describes. */
#include "arch/x86/vcpu_state.h"

#include <errno.h>
#include <stddef.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/state_check.h"
#include "arch/x86/tsc_pair.h"
#include "common/log.h"

#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_KVM_SYSTEM_TIME       0x12
#define MSR_KVM_SYSTEM_TIME_NEW   0x4b564d01
/* TSC frequencies within this many parts per million count as equal: a
 * host's calibration varies that much from boot to boot. */
#define TSC_TOLERANCE_PPM     250

/* Room for the largest of them. */
union fixed_buf {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs dregs;
};

static const struct x86_fixed_section *fixed_of(uint32_t tag)
{
	for (size_t i = 0; i < x86_nr_fixed_sections; i++)
		if (x86_fixed_sections[i].tag == tag)
			return &x86_fixed_sections[i];
	return NULL;
}

static int ioctl_fail(struct azerr *e, uint32_t index, const char *what)
{
	return azerr_set(e, "vCPU %u: KVM_%s failed: %s", index, what, strerror(errno));
}

/* struct kvm_msrs with room for one entry, as KVM_GET_MSRS and
 * KVM_SET_MSRS take it. */
struct one_msr {
	uint32_t nmsrs, pad;
	struct kvm_msr_entry e;
};
_Static_assert(offsetof(struct one_msr, e) == offsetof(struct kvm_msrs, entries),
	       "struct one_msr is a struct kvm_msrs");

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int x86_vcpu_msr_read(int fd, uint32_t index, uint64_t *value)
{
	struct one_msr q = { .nmsrs = 1, .e.index = index };

	if (ioctl(fd, KVM_GET_MSRS, &q) != 1)
		return -1;
	*value = q.e.data;
	return 0;
}

int x86_vcpu_tsc_read(int fd, uint64_t *tsc, int64_t *at_ns)
{
	int64_t before = now_ns();

	if (x86_vcpu_msr_read(fd, X86_MSR_IA32_TSC, tsc) < 0)
		return -1;
	int64_t after = now_ns();
	*at_ns = before + (after - before) / 2;
	return 0;
}

/* ---- save ---- */

static int save_fixed(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
		      struct azerr *e)
{
	for (size_t i = 0; i < x86_nr_fixed_sections; i++) {
		const struct x86_fixed_section *fixed = &x86_fixed_sections[i];
		union fixed_buf b;
		memset(&b, 0, sizeof(b));
		if (ioctl(k->fd, fixed->get, &b) < 0) {
			char what[32] = "GET_";
			strncat(what, fixed->name, sizeof(what) - 5);
			return ioctl_fail(e, index, what);
		}
		if (state_put(s, fixed->tag, index, &b, fixed->size, e) < 0)
			return -1;
	}
	return 0;
}

/* KVM_GET_XSAVE2 when the area is larger than the legacy 4 KiB (AMX), as
 * KVM_CAP_XSAVE2 says. */
static int save_xsave(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
		      struct azerr *e)
{
	size_t size = k->xsave_size > X86_XSAVE_LEGACY_SIZE ? k->xsave_size :
		      X86_XSAVE_LEGACY_SIZE;
	void *buf = calloc(1, size);
	int ret;

	if (!buf)
		return azerr_set(e, "vCPU %u: out of memory for the XSAVE area", index);
	if (ioctl(k->fd, size > X86_XSAVE_LEGACY_SIZE ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, buf) < 0)
		ret = ioctl_fail(e, index, size > X86_XSAVE_LEGACY_SIZE ? "GET_XSAVE2" : "GET_XSAVE");
	else
		ret = state_put(s, STATE_VCPU_FPU_XSAVE, index, buf, size, e);
	free(buf);
	return ret;
}

static struct kvm_msrs *msrs_alloc(uint32_t n)
{
	return calloc(1, sizeof(struct kvm_msrs) + (size_t)n * sizeof(struct kvm_msr_entry));
}

/* A TSC deadline of 0 is a timer that was never armed, or one that fired
 * and whose interrupt KVM may still hold outside the LAPIC's registers
 * (a pending timer it injects at the next entry), which no ioctl saves.
 * Saved as the TSC's value at the pause (what the load gives the TSC
 * back, tsc_pair.h), the timer fires as soon as the vCPU runs again: a
 * lost interrupt becomes at worst a spurious one, which guests take
 * (Firecracker met the lost one and does the same). A LAPIC not in
 * TSC-deadline mode ignores the MSR. */
static void rearm_fired_deadline(struct kvm_msr_entry *m, uint32_t n, uint64_t tsc)
{
	for (uint32_t i = 0; i < n; i++)
		if (m[i].index == MSR_IA32_TSC_DEADLINE && !m[i].data)
			m[i].data = tsc;
}

/* Where the guest's kvmclock page is, if it has one (tsc_pair.h): Linux
 * uses the new MSR where KVM offers it, the old one elsewhere. */
static uint64_t pvclock_msr(const struct kvm_msr_entry *m, uint32_t n)
{
	uint64_t old = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (m[i].index == MSR_KVM_SYSTEM_TIME_NEW && (m[i].data & 1))
			return m[i].data;
		if (m[i].index == MSR_KVM_SYSTEM_TIME && (m[i].data & 1))
			old = m[i].data;
	}
	return old;
}

/* Every MSR of KVM's list that this vCPU can read. KVM_GET_MSRS stops at
 * the first MSR it cannot read (one the vCPU's CPUID does not give it,
 * e.g. another vendor's) and returns how many it read; that one is left
 * out and the rest asked again. */
static int save_msrs(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
		     struct x86_tsc_sample *tsc, struct azerr *e)
{
	struct kvm_msrs *q = msrs_alloc(k->nr_msrs);
	struct kvm_msr_entry *out = calloc(k->nr_msrs + 1, sizeof(*out));
	uint32_t pos = 0, n = 0;
	int ret = 0;

	if (!q || !out) {
		ret = azerr_set(e, "vCPU %u: out of memory for %u MSRs", index, k->nr_msrs);
		goto done;
	}
	while (pos < k->nr_msrs) {
		q->nmsrs = k->nr_msrs - pos;
		for (uint32_t i = 0; i < q->nmsrs; i++)
			q->entries[i] = (struct kvm_msr_entry){ .index = k->msrs[pos + i] };
		int got = ioctl(k->fd, KVM_GET_MSRS, q);
		if (got < 0) {
			ret = ioctl_fail(e, index, "GET_MSRS");
			goto done;
		}
		memcpy(&out[n], q->entries, (size_t)got * sizeof(*out));
		n += (uint32_t)got;
		pos += (uint32_t)got + 1; /* past the one it could not read */
	}
	rearm_fired_deadline(out, n, tsc->tsc);
	tsc->pvclock = pvclock_msr(out, n);
	ret = state_put(s, STATE_VCPU_MSRS, index, out, n * sizeof(*out), e);
done:
	free(q);
	free(out);
	return ret;
}

static int save_cpuid(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
		      struct azerr *e)
{
	struct cpuid_table *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return azerr_set(e, "vCPU %u: out of memory for CPUID", index);
	t->head.nent = CPUID_MAX_ENTRIES;
	if (ioctl(k->fd, KVM_GET_CPUID2, &t->head) < 0)
		ret = ioctl_fail(e, index, "GET_CPUID2");
	else
		ret = state_put(s, STATE_VCPU_CPUID, index, t->entries,
				t->head.nent * sizeof(t->entries[0]), e);
	free(t);
	return ret;
}

/* The frequency, and the offset where KVM_VCPU_TSC_OFFSET is usable: a
 * KVM that fails to give it (a --seccomp-filter without
 * KVM_GET_DEVICE_ATTR) leaves the MSR reading to pair instead. */
static void sample_tsc(const struct x86_vcpu_kvm *k, uint32_t index,
		       struct x86_tsc_sample *t)
{
	int khz = ioctl(k->fd, KVM_GET_TSC_KHZ, 0);

	t->khz = khz > 0 ? (uint32_t)khz : 0;
	if (khz <= 0)
		log_warn("vCPU %u: KVM does not tell the TSC frequency (%s); the snapshot "
			 "cannot check it on load", index, strerror(errno));
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)&t->offset,
	};
	t->has_offset = k->tsc_offset && ioctl(k->fd, KVM_GET_DEVICE_ATTR, &a) == 0;
}

int x86_vcpu_state_save(const struct x86_vcpu_kvm *k, uint32_t index, struct state_set *s,
			struct x86_tsc_sample *tsc, struct azerr *e)
{
	if (save_fixed(k, index, s, e) < 0 || save_xsave(k, index, s, e) < 0 ||
	    save_msrs(k, index, s, tsc, e) < 0 || save_cpuid(k, index, s, e) < 0)
		return -1;
	sample_tsc(k, index, tsc);
	return 0;
}

/* ---- load ---- */

static int set_fixed(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		     uint32_t tag, struct azerr *e)
{
	const struct x86_fixed_section *f = fixed_of(tag);
	union fixed_buf b;

	memcpy(&b, state_find(s, tag, index)->data, f->size);
	if (tag == STATE_VCPU_EVENTS) {
		/* GET leaves NMI_PENDING and SIPI_VECTOR out of flags though
		 * it fills both; SET takes them only when flagged. Flags for
		 * capabilities this VM has not enabled are refused by SET. */
		b.events.flags &= KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
		b.events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	}
	if (ioctl(k->fd, f->set, &b) < 0) {
		/* KVM refuses special registers it finds inconsistent
		 * (kvm_is_valid_sregs, the APIC base): name what it checks. */
		if (tag == STATE_VCPU_SREGS)
			return azerr_set(e, "vCPU %u: KVM_SET_SREGS failed: %s (cr0 0x%llx cr4 "
					 "0x%llx efer 0x%llx cs.l %u apic_base 0x%llx)", index,
					 strerror(errno), (unsigned long long)b.sregs.cr0,
					 (unsigned long long)b.sregs.cr4,
					 (unsigned long long)b.sregs.efer, b.sregs.cs.l,
					 (unsigned long long)b.sregs.apic_base);
		char what[32] = "SET_";
		strncat(what, f->name, sizeof(what) - 5);
		return ioctl_fail(e, index, what);
	}
	return 0;
}

/* The TSC runs at the snapshot's frequency, or the load is refused: the
 * guest calibrated its clocks against it. 1 when KVM now scales it. */
static int set_tsc_khz(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		       struct azerr *e)
{
	const struct tsc_wire *w = (const void *)state_find(s, STATE_VCPU_TSC, index)->data;
	int here = ioctl(k->fd, KVM_GET_TSC_KHZ, 0);

	if (!w->khz || here <= 0)
		return 0; /* nothing to compare: the save warned */
	uint64_t diff = here > (int)w->khz ? (uint64_t)here - w->khz : w->khz - (uint64_t)here;
	if (diff * 1000000 <= (uint64_t)w->khz * TSC_TOLERANCE_PPM)
		return 0;
	if (k->tsc_control && ioctl(k->fd, KVM_SET_TSC_KHZ, (unsigned long)w->khz) == 0)
		return 1;
	return state_refuse(e, STATE_VCPU_TSC, index, "frequency",
			    "%u kHz: this host's TSC runs at %d kHz and KVM cannot scale it (%s)",
			    w->khz, here, k->tsc_control ? strerror(errno) : "no KVM_CAP_TSC_CONTROL");
}

static int set_xsave(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		     struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_VCPU_FPU_XSAVE, index);
	size_t size = k->xsave_size > X86_XSAVE_LEGACY_SIZE ? k->xsave_size :
		      X86_XSAVE_LEGACY_SIZE;
	/* A shorter area than this host's lacks only components the saving
	 * host did not have; XSTATE_BV says they are in their initial state. */
	unsigned char *buf = calloc(1, size);
	int ret = 0;

	if (!buf)
		return azerr_set(e, "vCPU %u: out of memory for the XSAVE area", index);
	memcpy(buf, sec->data, sec->len);
	if (ioctl(k->fd, KVM_SET_XSAVE, buf) < 0)
		ret = ioctl_fail(e, index, "SET_XSAVE");
	free(buf);
	return ret;
}

static int set_cpuid(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		     struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_VCPU_CPUID, index);
	struct cpuid_table *t = calloc(1, sizeof(*t));
	int ret = 0;

	if (!t)
		return azerr_set(e, "vCPU %u: out of memory for CPUID", index);
	/* A vCPU that has run takes no KVM_SET_CPUID2 (EINVAL on the kernels
	 * that refuse it outright, e.g. 6.1); it needs none when its table is
	 * already the snapshot's (a load into the VM that saved). */
	t->head.nent = CPUID_MAX_ENTRIES;
	if (ioctl(k->fd, KVM_GET_CPUID2, &t->head) == 0 &&
	    t->head.nent * sizeof(t->entries[0]) == sec->len &&
	    !memcmp(t->entries, sec->data, sec->len)) {
		free(t);
		return 0;
	}
	t->head.nent = (uint32_t)(sec->len / sizeof(t->entries[0]));
	memset(t->entries, 0, sizeof(t->entries));
	memcpy(t->entries, sec->data, sec->len);
	if (ioctl(k->fd, KVM_SET_CPUID2, &t->head) < 0)
		ret = ioctl_fail(e, index, "SET_CPUID2");
	free(t);
	return ret;
}

/* The saved MSRs but MSR_IA32_TSC, in two rounds (deadline false, then
 * true): MSR_IA32_TSC_DEADLINE after the others and after the TSC
 * (set_tsc), so that KVM arms the LAPIC timer against the restored TSC
 * (and the LAPIC, set before, already in TSC-deadline mode). The TSC the
 * MSRs hold was read at the save, not paired with kvmclock; and a host
 * write of it after set_tsc's would be taken by KVM as the same value
 * raced (within a second: kvm_synchronize_tsc) and keep the old offset.
 * first, if any, goes before the others in the same call: the TSC, when
 * set as an MSR, with the deadline, since on a host whose TSC is unstable
 * KVM puts a vCPU's TSC back to its value at the last guest exit (0 for
 * a new vCPU) on every vCPU call, until it catches it up at the next
 * entry: a deadline written in a call of its own would be armed against
 * that TSC, seconds to days late. */
static int set_msrs(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		    bool deadline, const struct kvm_msr_entry *first, struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_VCPU_MSRS, index);
	uint32_t n = (uint32_t)(sec->len / sizeof(struct kvm_msr_entry));
	const struct kvm_msr_entry *in = (const void *)sec->data;
	struct kvm_msrs *q = msrs_alloc(n + 1);
	int ret = 0;

	if (!q)
		return azerr_set(e, "vCPU %u: out of memory for %u MSRs", index, n);
	if (first)
		q->entries[q->nmsrs++] = *first;
	for (uint32_t i = 0; i < n; i++) {
		if ((in[i].index == MSR_IA32_TSC_DEADLINE) != deadline ||
		    in[i].index == X86_MSR_IA32_TSC)
			continue;
		q->entries[q->nmsrs++] = in[i];
	}
	if (!ret && q->nmsrs) {
		int set = ioctl(k->fd, KVM_SET_MSRS, q);
		if (set < 0)
			ret = ioctl_fail(e, index, "SET_MSRS");
		else if ((uint32_t)set < q->nmsrs)
			ret = state_refuse(e, STATE_VCPU_MSRS, index, "MSR",
					   "0x%x = 0x%llx: KVM refused it", q->entries[set].index,
					   (unsigned long long)q->entries[set].data);
	}
	free(q);
	return ret;
}

/* The TSC paired with kvmclock (tsc_pair.h), then the TSC deadline: by
 * KVM_VCPU_TSC_OFFSET where the host reports KVM_CLOCK_HOST_TSC and the
 * TSC is not scaled (vcpu.rst's steps 6 and 7); else as MSR_IA32_TSC,
 * computed from the time now and written at once, with the deadline. */
static int set_tsc(const struct x86_vcpu_kvm *k, uint32_t index, const struct state_set *s,
		   const struct x86_clock_ref *c, bool scaled, struct azerr *e)
{
	const struct tsc_wire *w = (const void *)state_find(s, STATE_VCPU_TSC, index)->data;
	int here = ioctl(k->fd, KVM_GET_TSC_KHZ, 0);
	uint32_t khz = w->khz ? w->khz : here > 0 ? (uint32_t)here : 0;

	if (c->has_host_tsc && k->tsc_offset && !scaled) {
		uint64_t offset = tsc_offset_for_load(w->tsc, c->saved, c->clock, c->host_tsc, khz);
		struct kvm_device_attr a = {
			.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
			.addr = (uintptr_t)&offset,
		};
		if (ioctl(k->fd, KVM_SET_DEVICE_ATTR, &a) < 0)
			return ioctl_fail(e, index, "SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)");
		return set_msrs(k, index, s, true, NULL, e);
	}
	struct kvm_msr_entry tsc = { .index = X86_MSR_IA32_TSC };
	tsc.data = tsc_value_for_load(w->tsc, c->saved, c->clock, c->clock_ns, now_ns(), khz);
	return set_msrs(k, index, s, true, &tsc, e);
}

/* The order (api.rst and the KVM code behind it):
 * - CPUID first: what the vCPU may have decides which MSRs, XSAVE
 *   components and SREGS bits KVM takes;
 * - the TSC frequency before anything reads the TSC;
 * - REGS before VCPU_EVENTS: SET_REGS drops a pending exception, which
 *   the events restore;
 * - SREGS before LAPIC: SREGS carries the APIC base MSR, and the LAPIC's
 *   registers are taken as the base says (enabled, x2APIC);
 * - LAPIC before the MSRs: the TSC deadline MSR is only taken by a LAPIC
 *   in TSC-deadline mode;
 * - the TSC after the other MSRs (MSR_IA32_TSC_ADJUST among them: a host
 *   write of the TSC leaves it alone) and before the deadline;
 * - MP state after the LAPIC, and VCPU_EVENTS last: they carry the
 *   pending INIT/SIPI, NMI, interrupt shadow and exception, which the
 *   other calls may reset. */
int x86_vcpu_state_load(const struct x86_vcpu_kvm *k, uint32_t index,
			const struct state_set *s, const struct x86_clock_ref *clock,
			bool *scaled, struct azerr *e)
{
	int khz;

	if (set_cpuid(k, index, s, e) < 0 ||
	    (khz = set_tsc_khz(k, index, s, e)) < 0)
		return -1;
	*scaled = khz == 1;
	if (set_fixed(k, index, s, STATE_VCPU_REGS, e) < 0 ||
	    set_fixed(k, index, s, STATE_VCPU_SREGS, e) < 0 || set_xsave(k, index, s, e) < 0 ||
	    set_fixed(k, index, s, STATE_VCPU_XCRS, e) < 0 ||
	    set_fixed(k, index, s, STATE_VCPU_DEBUGREGS, e) < 0 ||
	    set_fixed(k, index, s, STATE_VCPU_LAPIC, e) < 0 ||
	    set_msrs(k, index, s, false, NULL, e) < 0 ||
	    set_tsc(k, index, s, clock, *scaled, e) < 0 ||
	    set_fixed(k, index, s, STATE_VCPU_MP_STATE, e) < 0 ||
	    set_fixed(k, index, s, STATE_VCPU_EVENTS, e) < 0)
		return -1;
	return 0;
}
