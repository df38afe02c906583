/* A whole VM's machine state: see vm_state.h. */
#include "vmm/vm_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/state_check.h"
#include "arch/x86/vcpu_state.h"
#include "arch/x86/vm_state_x86.h"

static struct x86_vcpu_kvm vcpu_kvm(const struct vm *vm, const struct vcpu *v)
{
	return (struct x86_vcpu_kvm){
		.fd = v->fd, .msrs = vm->msr_list, .nr_msrs = vm->nr_msr_list,
		.xsave_size = vm->xsave_size, .tsc_control = vm->tsc_control,
		.supported = vm->supported_cpuid,
		.tsc_offset = vm->tsc_offset_attr && !vm->tsc_scaled,
	};
}

/* The set every vCPU thread adds its sections to, and each one's TSC
 * (tsc[index]) for x86_vm_state_save to pair with kvmclock. */
struct vcpu_save {
	struct state_set *s;
	pthread_mutex_t lock;
	struct x86_tsc_sample *tsc;
};

/* A vCPU parked after an I/O or MMIO exit has not finished that
 * instruction (an IN's value is still in kvm_run): KVM finishes it on the
 * next KVM_RUN, which immediate_exit turns back at once (EINTR). */
static int complete_exit(struct vcpu *v, struct azerr *e)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	int r = ioctl(v->fd, KVM_RUN, 0);
	int err = errno;
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (r < 0 && err != EINTR)
		return azerr_set(e, "vCPU %u: KVM_RUN to complete its last exit failed: %s",
				 v->index, strerror(err));
	return 0;
}

static int save_vcpu(struct vcpu *v, void *arg, struct azerr *e)
{
	struct vcpu_save *vs = arg;
	struct x86_vcpu_kvm k = vcpu_kvm(v->vm, v);
	struct state_set mine;
	int ret;

	struct x86_tsc_sample *tsc = &vs->tsc[v->index];

	if (v->thread_started && complete_exit(v, e) < 0)
		return -1;
	/* The TSC as the vCPU stopped for the pause, or, for a vCPU whose
	 * thread has not parked for one (never started), now. */
	if (v->thread_started && v->park_tsc_ok) {
		tsc->tsc = v->park_tsc;
		tsc->tsc_ns = v->park_ns;
	} else if (x86_vcpu_tsc_read(v->fd, &tsc->tsc, &tsc->tsc_ns) < 0) {
		return azerr_set(e, "vCPU %u: KVM_GET_MSRS(MSR_IA32_TSC) failed: %s", v->index,
				 strerror(errno));
	}
	state_set_init(&mine);
	ret = x86_vcpu_state_save(&k, v->index, &mine, tsc, e);
	pthread_mutex_lock(&vs->lock);
	for (size_t i = 0; i < mine.n && !ret; i++)
		ret = state_put(vs->s, mine.v[i].tag, mine.v[i].index, mine.v[i].data,
				mine.v[i].len, e);
	pthread_mutex_unlock(&vs->lock);
	state_set_free(&mine);
	return ret;
}

static int save_devices(struct vm *vm, struct state_set *s, struct azerr *e)
{
	if (uart_save(&vm->uart, s, 0, e) < 0 || i8042_save(&vm->i8042, s, 0, e) < 0 ||
	    rtc_save(&vm->rtc, s, 0, e) < 0 || pci_bus_save(&vm->pci, s, e) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct vhost_dev *d = &vm->devs[i];
		int r = d->transport == VM_TRANSPORT_MMIO ?
			virtio_mmio_save(&d->t.mmio, s, i, e) :
			virtio_pci_save(&d->t.pci, s, i, e);
		if (r < 0)
			return -1;
	}
	return 0;
}

int vm_state_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	struct vcpu_save vs = { .s = s, .tsc = calloc(vm->nr_vcpus, sizeof(*vs.tsc)) };
	int ret;

	if (!vs.tsc)
		return azerr_set(e, "out of memory for %u vCPUs' TSCs", vm->nr_vcpus);
	pthread_mutex_init(&vs.lock, NULL);
	ret = vm_run_on_vcpus(vm, save_vcpu, &vs, e);
	pthread_mutex_destroy(&vs.lock);
	if (!ret)
		ret = x86_vm_state_save(vm->vm_fd, &vm->mem, vs.tsc, vm->nr_vcpus, s, e);
	if (!ret)
		ret = x86_host_cpuid_save(vm->supported_cpuid, s, e);
	free(vs.tsc);
	if (ret < 0 || save_devices(vm, s, e) < 0)
		return -1;
	return 0;
}

/* Sections for vCPUs or devices this VM does not have mean another VM's
 * snapshot. */
static int check_shape(const struct vm *vm, const struct state_set *s, struct azerr *e)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct state_section *sec = &s->v[i];
		bool vcpu = sec->tag >= STATE_VCPU_REGS && sec->tag <= STATE_VCPU_TSC;
		bool dev = sec->tag == STATE_VIRTIO_DEV || sec->tag == STATE_VIRTIO_PCI ||
			   sec->tag == STATE_VIRTIO_MMIO || sec->tag == STATE_MSIX;
		if (vcpu && sec->index >= vm->nr_vcpus)
			return state_refuse(e, sec->tag, sec->index, "vCPU",
					    "%u: this VM has %u vCPUs", sec->index, vm->nr_vcpus);
		if (dev && sec->index >= vm->nr_devs)
			return state_refuse(e, sec->tag, sec->index, "device",
					    "%u: this VM has %u virtio devices", sec->index,
					    vm->nr_devs);
	}
	return 0;
}

static int load_devices(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	if (uart_load(&vm->uart, s, 0, e) < 0 || i8042_load(&vm->i8042, s, 0, e) < 0 ||
	    rtc_load(&vm->rtc, s, 0, e) < 0 || pci_bus_load(&vm->pci, s, e) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct vhost_dev *d = &vm->devs[i];
		int r = d->transport == VM_TRANSPORT_MMIO ?
			virtio_mmio_load(&d->t.mmio, s, i, &vm->mem, e) :
			virtio_pci_load(&d->t.pci, s, i, &vm->mem, e);
		if (r < 0)
			return -1;
	}
	return 0;
}

int vm_state_load(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	struct x86_clock_ref clock;
	/* Every vCPU's KVM sections checked before the devices or KVM take
	 * any: their checks need nothing but the host (k's fd is unused). */
	struct x86_vcpu_kvm k0 = vcpu_kvm(vm, &vm->vcpus[0]);

	if (check_shape(vm, s, e) < 0 ||
	    x86_state_check(&k0, vm->nr_vcpus, s, vm->clock_realtime, e) < 0 ||
	    load_devices(vm, s, e) < 0 || x86_vm_irqchip_load(vm->vm_fd, s, e) < 0 ||
	    x86_vm_clock_load(vm->vm_fd, s, vm->clock_realtime, &clock, e) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct x86_vcpu_kvm k = vcpu_kvm(vm, &vm->vcpus[i]);
		bool scaled;
		if (x86_vcpu_state_load(&k, i, s, &clock, &scaled, e) < 0)
			return -1;
		vm->tsc_scaled |= scaled;
	}
	return 0;
}
