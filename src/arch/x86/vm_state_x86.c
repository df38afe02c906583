/* The VM-wide x86 state KVM keeps: see vm_state_x86.h. The sections are
 * KVM's own structs (fixed-layout ABI); KVM checks their contents. */
#include "arch/x86/vm_state_x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

static const struct {
	uint32_t tag, chip_id;
} chips[] = {
	{ STATE_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_MASTER },
	{ STATE_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_PIC_SLAVE },
	{ STATE_IRQCHIP_IOAPIC, KVM_IRQCHIP_IOAPIC },
};
#define NR_CHIPS (sizeof(chips) / sizeof(chips[0]))

static int fail(struct azerr *e, const char *what)
{
	return azerr_set(e, "KVM_%s failed: %s", what, strerror(errno));
}

int x86_vm_state_save(int vm_fd, struct state_set *s, struct azerr *e)
{
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;

	for (size_t i = 0; i < NR_CHIPS; i++) {
		struct kvm_irqchip c = { .chip_id = chips[i].chip_id };
		if (ioctl(vm_fd, KVM_GET_IRQCHIP, &c) < 0)
			return fail(e, "GET_IRQCHIP");
		if (state_put(s, chips[i].tag, 0, &c, sizeof(c), e) < 0)
			return -1;
	}
	memset(&pit, 0, sizeof(pit));
	memset(&clock, 0, sizeof(clock));
	if (ioctl(vm_fd, KVM_GET_PIT2, &pit) < 0)
		return fail(e, "GET_PIT2");
	if (ioctl(vm_fd, KVM_GET_CLOCK, &clock) < 0)
		return fail(e, "GET_CLOCK");
	if (state_put(s, STATE_PIT, 0, &pit, sizeof(pit), e) < 0 ||
	    state_put(s, STATE_KVMCLOCK, 0, &clock, sizeof(clock), e) < 0)
		return -1;
	return 0;
}

int x86_vm_irqchip_load(int vm_fd, const struct state_set *s, struct azerr *e)
{
	const struct kvm_irqchip *c[NR_CHIPS];
	const struct kvm_pit_state2 *pit;

	for (size_t i = 0; i < NR_CHIPS; i++) {
		if (!(c[i] = state_get(s, chips[i].tag, 0, sizeof(*c[i]), e)))
			return -1;
		if (c[i]->chip_id != chips[i].chip_id)
			return state_refuse(e, chips[i].tag, 0, "chip_id", "%u, expected %u",
					    c[i]->chip_id, chips[i].chip_id);
	}
	if (!(pit = state_get(s, STATE_PIT, 0, sizeof(*pit), e)))
		return -1;
	for (size_t i = 0; i < NR_CHIPS; i++) {
		struct kvm_irqchip copy = *c[i];
		if (ioctl(vm_fd, KVM_SET_IRQCHIP, &copy) < 0)
			return fail(e, "SET_IRQCHIP");
	}
	struct kvm_pit_state2 p = *pit;
	if (ioctl(vm_fd, KVM_SET_PIT2, &p) < 0)
		return fail(e, "SET_PIT2");
	return 0;
}

int x86_vm_clock_load(int vm_fd, const struct state_set *s, struct azerr *e)
{
	const struct kvm_clock_data *c = state_get(s, STATE_KVMCLOCK, 0, sizeof(*c), e);

	if (!c)
		return -1;
	/* KVM_CLOCK_TSC_STABLE and KVM_CLOCK_HOST_TSC describe the saving
	 * host; only KVM_CLOCK_REALTIME (with the realtime field) means
	 * something to SET. */
	struct kvm_clock_data d = *c;
	d.flags &= KVM_CLOCK_REALTIME;
	if (ioctl(vm_fd, KVM_SET_CLOCK, &d) < 0)
		return fail(e, "SET_CLOCK");
	return 0;
}
