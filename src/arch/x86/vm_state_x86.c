/* The VM-wide x86 state KVM keeps: see vm_state_x86.h. The sections are
 * KVM's own structs (fixed-layout ABI); KVM checks their contents. */
#include "arch/x86/vm_state_x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "arch/x86/state_check.h"
#include "arch/x86/tsc_pair.h"
#include "common/log.h"

static int fail(struct azerr *e, const char *what)
{
	return azerr_set(e, "KVM_%s failed: %s", what, strerror(errno));
}

/* A clock in ns: CLOCK_MONOTONIC_RAW, the rate kvmclock runs at, for the
 * instants; CLOCK_REALTIME for the wall clock a snapshot records. */
static int64_t ns_on(clockid_t which)
{
	struct timespec ts;

	clock_gettime(which, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	return ns_on(CLOCK_MONOTONIC_RAW);
}

/* KVM_GET_CLOCK and the CLOCK_MONOTONIC_RAW time of its middle. */
static int get_clock(int vm_fd, struct kvm_clock_data *c, int64_t *at_ns)
{
	memset(c, 0, sizeof(*c));
	int64_t before = now_ns();
	if (ioctl(vm_fd, KVM_GET_CLOCK, c) < 0)
		return -1;
	*at_ns = before + (now_ns() - before) / 2;
	return 0;
}

/* kvmclock and every vCPU's TSC at the pause (tsc_pair.h). The clock
 * section is KVM_GET_CLOCK's, its clock moved back to the pause, and its
 * realtime the host's wall clock then (KVM_CLOCK_REALTIME set, whatever
 * the host's KVM reports: a load with clock_realtime moves kvmclock on by
 * the time since); its other flags and host_tsc are the save's, for the
 * record. */
static int save_clock(int vm_fd, const struct guest_mem *mem, const struct x86_tsc_sample *tsc,
		      uint32_t nr_vcpus, struct state_set *s, struct azerr *e)
{
	struct kvm_clock_data clock;
	int64_t clock_ns, pause_ns;
	uint64_t at_pause;
	const char *how = "none";

	if (get_clock(vm_fd, &clock, &clock_ns) < 0)
		return fail(e, "GET_CLOCK");
	int64_t wall_ns = ns_on(CLOCK_REALTIME) - (now_ns() - clock_ns);
	pause_ns = clock_ns;
	for (uint32_t i = 0; i < nr_vcpus; i++)
		if (tsc[i].tsc_ns < pause_ns)
			pause_ns = tsc[i].tsc_ns;
	at_pause = kvmclock_at_pause(clock.clock, clock_ns, pause_ns);
	for (uint32_t i = 0; i < nr_vcpus; i++) {
		const struct x86_tsc_sample *t = &tsc[i];
		struct tsc_wire w = { .khz = t->khz, .source = TSC_FROM_OFFSET };
		const unsigned char *page = t->pvclock ?
			guest_mem_ptr(mem, t->pvclock & ~1ull, PVCLOCK_SIZE) : NULL;

		if ((clock.flags & KVM_CLOCK_HOST_TSC) && t->has_offset) {
			w.tsc = tsc_at_pause_from_offset(clock.host_tsc, t->offset, clock_ns,
							 pause_ns, t->khz);
			how = "KVM_CLOCK_HOST_TSC and KVM_VCPU_TSC_OFFSET";
		} else if (page && tsc_at_pause_from_pvclock(page, at_pause, t->khz, &w.tsc)) {
			w.source = TSC_FROM_PVCLOCK;
			how = "the guest's kvmclock page";
		} else {
			w.source = TSC_FROM_MSR;
			w.tsc = tsc_at_pause_from_msr(t->tsc, t->tsc_ns, pause_ns, t->khz);
			how = "MSR_IA32_TSC as the vCPU parked";
		}
		if (state_put(s, STATE_VCPU_TSC, i, &w, sizeof(w), e) < 0)
			return -1;
	}
	clock.clock = at_pause;
	clock.realtime = (uint64_t)(wall_ns - (clock_ns - pause_ns));
	clock.flags |= KVM_CLOCK_REALTIME;
	/* The last vCPU's way: all take the same unless their guest set
	 * kvmclock up on some vCPUs only. */
	log_info("snapshot clock: kvmclock %.3f s at the pause, %.3f s before the save; "
		 "TSCs by %s", at_pause / 1e9, (clock_ns - pause_ns) / 1e9, how);
	return state_put(s, STATE_KVMCLOCK, 0, &clock, sizeof(clock), e);
}

int x86_vm_state_save(int vm_fd, const struct guest_mem *mem, const struct x86_tsc_sample *tsc,
		      uint32_t nr_vcpus, struct state_set *s, struct azerr *e)
{
	struct kvm_pit_state2 pit;

	for (size_t i = 0; i < x86_nr_irqchip_sections; i++) {
		struct kvm_irqchip c = { .chip_id = x86_irqchip_sections[i].chip_id };
		if (ioctl(vm_fd, KVM_GET_IRQCHIP, &c) < 0)
			return fail(e, "GET_IRQCHIP");
		if (state_put(s, x86_irqchip_sections[i].tag, 0, &c, sizeof(c), e) < 0)
			return -1;
	}
	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm_fd, KVM_GET_PIT2, &pit) < 0)
		return fail(e, "GET_PIT2");
	if (state_put(s, STATE_PIT, 0, &pit, sizeof(pit), e) < 0)
		return -1;
	return save_clock(vm_fd, mem, tsc, nr_vcpus, s, e);
}

int x86_vm_irqchip_load(int vm_fd, const struct state_set *s, struct azerr *e)
{
	for (size_t i = 0; i < x86_nr_irqchip_sections; i++) {
		struct kvm_irqchip copy;
		memcpy(&copy, state_find(s, x86_irqchip_sections[i].tag, 0)->data, sizeof(copy));
		if (ioctl(vm_fd, KVM_SET_IRQCHIP, &copy) < 0)
			return fail(e, "SET_IRQCHIP");
	}
	struct kvm_pit_state2 p;
	memcpy(&p, state_find(s, STATE_PIT, 0)->data, sizeof(p));
	if (ioctl(vm_fd, KVM_SET_PIT2, &p) < 0)
		return fail(e, "SET_PIT2");
	return 0;
}

int x86_vm_clock_load(int vm_fd, const struct state_set *s, bool realtime,
		      struct x86_clock_ref *clock, struct azerr *e)
{
	struct kvm_clock_data now;
	uint64_t since = 0;

	const struct kvm_clock_data *c = (const void *)state_find(s, STATE_KVMCLOCK, 0)->data;
	/* The clock alone, moved on here rather than by KVM_CLOCK_REALTIME
	 * (which needs a host whose KVM reports it); the other flags describe
	 * the saving host. */
	if (realtime) {
		int64_t wall = ns_on(CLOCK_REALTIME);
		since = wall > (int64_t)c->realtime ? (uint64_t)wall - c->realtime : 0;
	}
	struct kvm_clock_data d = { .clock = c->clock + since };
	if (ioctl(vm_fd, KVM_SET_CLOCK, &d) < 0)
		return fail(e, "SET_CLOCK");
	if (get_clock(vm_fd, &now, &clock->clock_ns) < 0)
		return fail(e, "GET_CLOCK");
	/* The TSCs move on with it (tsc_pair.h: by clock - saved). */
	clock->saved = c->clock;
	clock->clock = now.clock;
	clock->has_host_tsc = now.flags & KVM_CLOCK_HOST_TSC;
	clock->host_tsc = now.host_tsc;
	log_info("snapshot clock: kvmclock set to %.3f s (%.3f s at the pause, moved on by "
		 "%.3f s: %s); the host %s KVM_CLOCK_HOST_TSC", d.clock / 1e9, c->clock / 1e9,
		 since / 1e9, realtime ? "clock_realtime" : "not asked",
		 clock->has_host_tsc ? "reports" : "does not report");
	return 0;
}
