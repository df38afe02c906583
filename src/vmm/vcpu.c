/* vCPU threads: KVM_RUN and the exits that come back to userspace. With the
 * in-kernel irqchip, HLT, the LAPIC, IOAPIC, PIC and PIT never exit; what
 * does is port I/O and MMIO to azote's own devices, and the events that end
 * the VM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86/vcpu_state.h"
#include "common/log.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

/* The signal that knocks a vCPU thread out of KVM_RUN. Its handler does
 * nothing: the point is the EINTR, and kvm_run.immediate_exit covers a kick
 * that lands before the thread enters KVM_RUN (see the KVM API doc). */
#define SIG_VCPU_KICK SIGUSR1

int vcpu_create(struct vm *vm, unsigned index, struct azerr *e)
{
	struct vcpu *v = &vm->vcpus[index];

	v->vm = vm;
	v->index = index;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0)
		return azerr_set(e, "cannot create vCPU %u: %s", index, strerror(errno));
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return azerr_set(e, "cannot map vCPU %u's kvm_run: %s", index, strerror(errno));
	}
	return x86_vcpu_setup(vm, v, e);
}

void vcpu_release(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->thread_started)
		pthread_kill(v->thread, SIG_VCPU_KICK);
}

/* Bumps one of the VM's exit counters, when someone collects them. */
#define COUNT(v, name) do {						\
		if ((v)->vm->metrics)					\
			metric_inc(&(v)->vm->metrics->name);		\
	} while (0)

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	/* A string instruction (rep ins/outs) arrives as count items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (io_bus_write(&v->vm->pio, run->io.port, data, size) < 0)
				log_debug("vCPU %u: write to unclaimed port 0x%x ignored",
					  v->index, run->io.port);
		} else if (io_bus_read(&v->vm->pio, run->io.port, data, size) < 0) {
			/* Nothing decodes the port: the bus floats high. */
			memset(data, 0xff, size);
		}
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (run->mmio.is_write) {
		if (io_bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len) < 0)
			log_debug("vCPU %u: write to unclaimed MMIO 0x%llx ignored",
				  v->index, (unsigned long long)run->mmio.phys_addr);
	} else if (io_bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len) < 0) {
		memset(run->mmio.data, 0xff, len);
	}
}

/* Handles one exit. Returns false when this vCPU must stop running. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[128];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.direction == KVM_EXIT_IO_OUT)
			COUNT(v, exit_io_out);
		else
			COUNT(v, exit_io_in);
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		if (run->mmio.is_write)
			COUNT(v, exit_mmio_write);
		else
			COUNT(v, exit_mmio_read);
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		COUNT(v, exit_system_event);
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ||
		    run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			log_info("vCPU %u: guest %s", v->index,
				 run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
				 "reset" : "shut down");
			vm_request_stop(v->vm, AZOTE_EXIT_OK);
			return false;
		}
		snprintf(why, sizeof(why), "system event %u (guest crash)",
			 run->system_event.type);
		break;
	case KVM_EXIT_SHUTDOWN:
		snprintf(why, sizeof(why), "triple fault (KVM_EXIT_SHUTDOWN)");
		break;
	case KVM_EXIT_INTERNAL_ERROR: {
		int n = snprintf(why, sizeof(why), "KVM internal error, suberror %u",
				 run->internal.suberror);
		for (uint32_t i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(why); i++)
			n += snprintf(why + n, sizeof(why) - (size_t)n, " data[%u]=0x%llx", i,
				      (unsigned long long)run->internal.data[i]);
		break;
	}
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "VM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		snprintf(why, sizeof(why), "unhandled exit reason %u", run->exit_reason);
		break;
	}
	COUNT(v, failures);
	x86_vcpu_dump(v, why);
	vm_request_stop(v->vm, AZOTE_EXIT_GUEST_FAULT);
	return false;
}

/* Waits while the VM is paused. Returns false when the VM is stopping. */
static bool vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool go_on;

	/* Before anything else, so that the reading is the pause's. */
	if (atomic_load(&vm->state) == VM_PAUSED)
		v->park_tsc_ok = x86_vcpu_tsc_read(v->fd, &v->park_tsc, &v->park_ns) == 0;
	pthread_mutex_lock(&vm->lock);
	while (vm->state == VM_PAUSED) {
		if (vm->job && v->job_gen != vm->job_gen) {
			vcpu_job_fn *fn = vm->job;
			void *arg = vm->job_arg;
			unsigned gen = vm->job_gen;
			pthread_mutex_unlock(&vm->lock);
			int ret = fn(v, arg, &v->job_err);
			pthread_mutex_lock(&vm->lock);
			v->job_ret = ret;
			v->job_gen = gen;
			pthread_cond_broadcast(&vm->cond);
			continue;
		}
		vm->nr_parked++;
		pthread_cond_broadcast(&vm->cond);
		pthread_cond_wait(&vm->cond, &vm->lock);
		vm->nr_parked--;
	}
	go_on = vm->state == VM_RUNNING;
	pthread_mutex_unlock(&vm->lock);
	return go_on;
}

static void kick_handler(int sig)
{
	(void)sig;
}

/* Before the first KVM_RUN: every exit the guest causes is handled on this
 * thread, under the vCPU role's seccomp list (vmm/sandbox.h). */
static bool enter_sandbox(struct vcpu *v)
{
	struct azerr e;
	unsigned rules;

	if (vmm_sandbox_enter(VMM_ROLE_VCPU, &rules, &e) < 0) {
		log_error("vCPU %u: %s", v->index, e.msg);
		vm_request_stop(v->vm, AZOTE_EXIT_ERROR);
		return false;
	}
	if (v->index == 0)
		log_info("vCPU threads: seccomp %s, %u rules",
			 vmm_sandbox_name(), rules);
	return true;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	if (!enter_sandbox(v))
		return NULL;
	for (;;) {
		if (atomic_load(&vm->state) != VM_RUNNING && !vcpu_park(v))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick: clear it, then look at the state
				 * (both sequentially consistent, see vcpu_kick). */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			char why[96];
			snprintf(why, sizeof(why), "KVM_RUN failed: %s", strerror(errno));
			COUNT(v, failures);
			x86_vcpu_dump(v, why);
			vm_request_stop(vm, AZOTE_EXIT_GUEST_FAULT);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

static void install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: KVM_RUN must return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_VCPU_KICK, &sa, NULL);
}

int vcpu_start(struct vcpu *v, struct azerr *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int err;

	pthread_once(&once, install_kick_handler);
	err = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (err)
		return azerr_set(e, "cannot start vCPU %u's thread: %s", v->index, strerror(err));
	v->thread_started = true;
	return 0;
}
