/* The guest's TSC and kvmclock as one pair: the arithmetic of a snapshot's
 * clock, kept apart from the KVM calls (arch/x86/vm_state_x86.c,
 * vcpu_state.c) so that it can be tested.
 *
 * A guest reads two clocks that must agree: each vCPU's TSC and kvmclock
 * (which the guest computes from the TSC and what KVM tells it; Linux's
 * clocksource watchdog compares them). A snapshot records both for one
 * instant, the pause: kvmclock K (ns) and each vCPU's TSC G[i] (cycles)
 * as they were when the vCPUs stopped. A load sets kvmclock to K and each
 * TSC to G[i] plus what kvmclock has moved since it was set, so that the
 * guest sees both clocks stand still from the pause to the load and then
 * go on together. Neither moves by the time the VM spent saved: a guest
 * whose clocks all jump by seconds at once logs it (Linux: "Long readout
 * interval, skipping watchdog check"), and its wall clock is its own to
 * correct (NTP), as after any pause.
 *
 * The pair is taken the way Documentation/virt/kvm/devices/vcpu.rst
 * (KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET) says, where the host offers it:
 * KVM_GET_CLOCK with KVM_CLOCK_HOST_TSC gives the host's TSC at the
 * instant kvmclock was read, each vCPU's KVM_VCPU_TSC_OFFSET turns it into
 * that vCPU's TSC (guest TSC = host TSC + offset, with no TSC scaling);
 * on load, KVM_SET_CLOCK, then KVM_GET_CLOCK again and each offset
 * computed from it (step 6 of the document's algorithm). Elsewhere (no
 * KVM_CLOCK_HOST_TSC: a host whose clocksource is not the TSC; kernels
 * before 5.16 without the attribute; a scaled TSC) the save takes the
 * pair KVM last wrote on the guest's kvmclock page, or for a guest
 * without one the TSC as read when the vCPU parked, and the load writes
 * MSR_IA32_TSC; host CLOCK_MONOTONIC_RAW times, the rate kvmclock runs
 * at, place the readings on one time line. All values wrap as the TSC
 * does (modulo 2^64). */
#ifndef AZOTE_ARCH_X86_TSC_PAIR_H
#define AZOTE_ARCH_X86_TSC_PAIR_H

#include <stdbool.h>
#include <stdint.h>

/* The vcpu-tsc section (STATE_VCPU_TSC, one per vCPU): little-endian. */
struct tsc_wire {
	uint32_t khz;             /* the guest TSC's frequency; 0: KVM could not say */
	uint32_t source;          /* enum tsc_source: how tsc was taken */
	uint64_t tsc;             /* the guest TSC at the pause, paired with kvmclock's clock */
};
_Static_assert(sizeof(struct tsc_wire) == 16, "no padding in the vcpu-tsc section");

enum tsc_source {
	TSC_FROM_OFFSET = 1,      /* KVM_CLOCK_HOST_TSC + KVM_VCPU_TSC_OFFSET: exact */
	TSC_FROM_MSR = 2,         /* MSR_IA32_TSC at a host time: within microseconds */
	TSC_FROM_PVCLOCK = 3,     /* the guest's kvmclock page: KVM's own pair */
};

/* struct pvclock_vcpu_time_info, the page where KVM tells a guest that
 * uses kvmclock what kvmclock read (system_time) at which TSC
 * (tsc_timestamp); at MSR_KVM_SYSTEM_TIME_NEW's address (bit 0: on). */
#define PVCLOCK_SIZE 32

/* ns of a clock that runs at the TSC's rate as TSC cycles at khz kHz,
 * rounded toward zero (negative for negative ns). 0 when khz is 0. */
int64_t tsc_cycles(int64_t ns, uint32_t khz);

/* Save, where the host reports KVM_CLOCK_HOST_TSC: the vCPU's TSC at
 * pause_ns, from host_tsc (KVM_GET_CLOCK's, read at clock_ns) and the
 * vCPU's KVM_VCPU_TSC_OFFSET: host_tsc + offset is its TSC at clock_ns,
 * exactly; the pause was clock_ns - pause_ns earlier. */
uint64_t tsc_at_pause_from_offset(uint64_t host_tsc, uint64_t offset, int64_t clock_ns,
				  int64_t pause_ns, uint32_t khz);

/* Save, elsewhere: the vCPU's TSC at pause_ns from its MSR_IA32_TSC, read
 * at read_ns (the vCPU thread reads it when it parks: read_ns is a few
 * microseconds after that vCPU stopped). */
uint64_t tsc_at_pause_from_msr(uint64_t tsc, int64_t read_ns, int64_t pause_ns,
			       uint32_t khz);

/* Save, elsewhere, for a vCPU whose guest has its kvmclock page (page:
 * PVCLOCK_SIZE bytes of guest memory, as the guest may have written
 * them): the TSC that goes with kvmclock at the pause (clock), from the
 * pair KVM wrote there at the vCPU's last entry. On a host whose TSC is
 * unstable KVM stops a vCPU's TSC whenever it is outside the guest,
 * halted included, and catches it up at the next entry: the TSC read at
 * the pause can then be far behind kvmclock (270 ms seen in the box),
 * where the page's pair is the one the guest itself goes by. False when
 * the page is mid-update (odd version). */
bool tsc_at_pause_from_pvclock(const unsigned char *page, uint64_t clock, uint32_t khz,
			       uint64_t *tsc);

/* Save: kvmclock at pause_ns, from its value at clock_ns (kvmclock counts
 * ns); 0 if that would be before it started. */
uint64_t kvmclock_at_pause(uint64_t clock, int64_t clock_ns, int64_t pause_ns);

/* Load, where the host reports KVM_CLOCK_HOST_TSC (vcpu.rst, step 6): the
 * KVM_VCPU_TSC_OFFSET that makes the vCPU's TSC read tsc (the snapshot's,
 * paired with kvmclock at saved_clock) when kvmclock reads saved_clock,
 * given KVM_GET_CLOCK's clock and host_tsc of the same instant, after
 * KVM_SET_CLOCK(saved_clock). Independent of when it is set. */
uint64_t tsc_offset_for_load(uint64_t tsc, uint64_t saved_clock, uint64_t clock,
			     uint64_t host_tsc, uint32_t khz);

/* Load, elsewhere: the value to write to MSR_IA32_TSC at host time now_ns,
 * kvmclock having read clock at clock_ns (after KVM_SET_CLOCK(saved_clock)):
 * tsc plus the cycles kvmclock has moved since saved_clock. */
uint64_t tsc_value_for_load(uint64_t tsc, uint64_t saved_clock, uint64_t clock,
			    int64_t clock_ns, int64_t now_ns, uint32_t khz);

#endif
