/* One microVM: the KVM VM, its RAM, buses and platform devices, its vCPU
 * threads, and its run state (running, paused, stopping).
 *
 * Threads: one per vCPU runs KVM_RUN and handles the exits it gets; the main
 * thread runs the event loop (console input, signals, and later the cards
 * and the API). Any thread may ask the VM to stop; the main thread then
 * kicks and joins the vCPUs. */
#ifndef AZOTE_VMM_VM_H
#define AZOTE_VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/metrics.h"
#include "arch/x86/boot.h"
#include "arch/x86/cpuid.h"
#include "common/err.h"
#include "devices/acpi_sleep.h"
#include "devices/boot_timer.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "vmm/serial_out.h"
#include "base/event_loop.h"
#include "base/guest_mem.h"
#include "base/io_bus.h"
#include "vmm/dirty_log.h"
#include "vmm/irq_routing.h"
#include "vmm/lazy_mem.h"
#include "vmm/pmem_region.h"
#include "vmm/vhost_dev.h"
#include "vmm/vm_config.h"

/* Exit status of azote. */
#define AZOTE_EXIT_OK          0   /* the guest shut down or reset */
#define AZOTE_EXIT_ERROR       1   /* azote could not start the VM */
#define AZOTE_EXIT_GUEST_FAULT 2   /* triple fault, KVM error, unhandled exit */

enum vm_state { VM_RUNNING, VM_PAUSED, VM_STOPPING };

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	/* MSR_IA32_TSC as the thread parked for the last pause, and when
	 * (CLOCK_MONOTONIC_RAW): a snapshot's clocks are the pause's
	 * (arch/x86/tsc_pair.h). Read and written by the thread only. */
	bool park_tsc_ok;
	uint64_t park_tsc;
	int64_t park_ns;
	unsigned job_gen;           /* the last vm->job this thread ran */
	int job_ret;
	struct azerr job_err;
};

/* Work for each parked vCPU thread (vm_run_on_vcpus). */
typedef int vcpu_job_fn(struct vcpu *v, void *arg, struct azerr *e);

struct vm {
	int kvm_fd, vm_fd;
	size_t run_size;            /* KVM_GET_VCPU_MMAP_SIZE */
	struct guest_mem mem;
	struct dirty_log dirty;    /* track_dirty_pages: what changed since the last snapshot */
	struct lazy_mem lazy;      /* a restore's RAM loaded on fault (file_fd >= 0) */
	struct pmem_region pmem[VM_MAX_PMEMS];  /* vm_config's pmems[], mapped */
	unsigned nr_pmem;
	struct event_loop loop;     /* the main thread's reactor */
	struct io_bus pio, mmio;
	struct irq_routing routing;
	bool routing_ready;
	bool ioeventfd_any_length;  /* KVM_CAP_IOEVENTFD_ANY_LENGTH */
	bool platform_created;      /* the devices below are initialised */
	struct pci_bus pci;
	struct uart uart;
	struct serial_out serial;   /* where COM1's output goes (PUT /serial) */
	struct i8042 i8042;
	struct rtc rtc;
	struct acpi_sleep acpi_sleep;
	struct boot_timer boot_timer;  /* on the bus with vm_config.boot_timer */
	struct vhost_dev *devs;     /* virtio devices, kind by kind (device_kind.h) */
	unsigned nr_devs;
	struct boot_info boot;
	struct cpuid_table *supported_cpuid;  /* KVM_GET_SUPPORTED_CPUID */
	struct cpu_template *cpu_template;    /* the user's, copied; or NULL */
	struct kvm_msrs *boot_msrs; /* set on every vCPU at creation */
	uint32_t *msr_list;         /* KVM_GET_MSR_INDEX_LIST, for snapshots */
	uint32_t nr_msr_list;
	uint32_t xsave_size;        /* KVM_CAP_XSAVE2 on the VM (0: 4 KiB) */
	bool tsc_control;           /* KVM_CAP_TSC_CONTROL */
	bool tsc_offset_attr;       /* KVM_VCPU_TSC_CTRL/KVM_VCPU_TSC_OFFSET on the vCPUs */
	bool tsc_scaled;            /* a load had KVM scale the TSC (KVM_SET_TSC_KHZ) */
	bool clock_realtime;        /* a load moves kvmclock on by the time since the pause */

	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct vcpu_metrics *metrics; /* exit counters; NULL: not counted */

	pthread_mutex_t lock;       /* guards the fields below */
	pthread_cond_t cond;
	_Atomic enum vm_state state;
	unsigned nr_parked;         /* vCPU threads waiting while paused */
	int exit_code;              /* set when state becomes VM_STOPPING */
	int stop_evfd;              /* tells the main loop the VM is stopping */
	int uart_space_evfd;        /* the UART has room for input again */
	vcpu_job_fn *job;           /* for the parked vCPU threads, or NULL */
	void *job_arg;
	unsigned job_gen;
};

/* Builds the whole VM from c (nothing runs yet). On failure everything made
 * so far is released and e says why. */
int vm_create(struct vm *vm, const struct vm_config *c, struct azerr *e);
/* The same machine with its RAM read from a snapshot's memory file
 * (vmm/snapshot_mem.h), or with mem_uffd served by the page-fault handler
 * listening at mem_path (vmm/lazy_mem.h), and no kernel loaded: its state
 * is restored next (vmm/snapshot.h), before vm_start. */
int vm_create_restored(struct vm *vm, const struct vm_config *c, const char *mem_path,
		       bool mem_uffd, struct azerr *e);
/* Starts the vCPU threads. */
int vm_start(struct vm *vm, struct azerr *e);
/* Serves the main loop (after vm_start), with in_fd as console input, until
 * the VM stops: guest exit, fault, or a signal read from sig_fd (a signalfd
 * for SIGINT/SIGTERM/SIGHUP), which stops it with status 128 + signal. */
int vm_serve(struct vm *vm, int in_fd, int sig_fd, struct azerr *e);
/* Asks the VM to stop with exit code code (first caller wins). Callable
 * from any thread, including vCPU threads. */
void vm_request_stop(struct vm *vm, int code);
/* Pauses every vCPU and returns true once all are parked (false: the VM
 * is stopping, nothing to pause); resumes them. */
bool vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* Runs fn on every vCPU, on the vCPU's own thread while the VM is paused
 * (the KVM API wants vCPU ioctls from the vCPU's thread, and only that
 * thread may complete an exit with KVM_RUN), or on the caller for a vCPU
 * whose thread has not started. Returns once all have run it: 0, or -1
 * with the first vCPU's error in e. */
int vm_run_on_vcpus(struct vm *vm, vcpu_job_fn *fn, void *arg, struct azerr *e);
/* Kicks and joins the vCPU threads (after vm_request_stop), then releases
 * everything. Returns the exit code. */
int vm_destroy(struct vm *vm);
/* The device of kind k that is element index of k's list in the VM's
 * configuration, or NULL. */
struct vhost_dev *vm_kind_dev(struct vm *vm, const struct device_kind *k, unsigned index);

/* vCPUs (vcpu.c): creation and set-up, the thread, and its kick out of
 * KVM_RUN. */
int vcpu_create(struct vm *vm, unsigned index, struct azerr *e);
int vcpu_start(struct vcpu *v, struct azerr *e);
void vcpu_kick(struct vcpu *v);
void vcpu_release(struct vcpu *v);

/* x86 vCPU set-up through KVM: CPUID, MSRs, FPU, LAPIC LINT pins, and for
 * the boot vCPU the entry registers (x86_vcpu.c). */
int x86_boot_msrs_init(struct vm *vm, struct azerr *e);
int x86_vcpu_setup(struct vm *vm, struct vcpu *v, struct azerr *e);
/* A one-screen register dump to stderr, after why. */
void x86_vcpu_dump(struct vcpu *v, const char *why);

#endif
