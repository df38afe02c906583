/* Building, running and tearing down one microVM. */
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/cpu_template.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "common/clock.h"
#include "common/log.h"
#include "vmm/kvm.h"
#include "vmm/snapshot_mem.h"
#include "vmm/vm_genid.h"

/* APIC IDs are 8 bits in the MP table and 0xff is broadcast; the IOAPIC
 * takes the ID after the last CPU. */
#define AZOTE_MAX_VCPUS 254
#define MIN_MEM         (2ULL << 20)

static time_t wall_clock(void)
{
	return time(NULL);
}

static void guest_reset(void *ctx)
{
	struct vm *vm = ctx;

	log_info("the guest reset the machine");
	vm_request_stop(vm, AZOTE_EXIT_OK);
}

/* ACPI S5 (devices/acpi_sleep.c logs it): the guest ends as a reset does. */
static void guest_poweroff(void *ctx)
{
	vm_request_stop(ctx, AZOTE_EXIT_OK);
}

/* Guest physical addresses this host's CPUs can reach (CPUID 0x80000008
 * EAX[7:0] as KVM reports it). */
static unsigned phys_addr_bits(const struct cpuid_table *t)
{
	for (uint32_t i = 0; i < t->head.nent; i++)
		if (t->entries[i].function == 0x80000008)
			return t->entries[i].eax & 0xff;
	return 36;
}

static int check_config(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	unsigned max = kvm_max_vcpus(vm->kvm_fd);

	if (max > AZOTE_MAX_VCPUS)
		max = AZOTE_MAX_VCPUS;
	if (c->nr_cpus < 1 || c->nr_cpus > max)
		return azerr_set(e, "--cpus %u: this host allows 1 to %u vCPUs per VM",
				 c->nr_cpus, max);
	if (c->mem_bytes < MIN_MEM || c->mem_bytes % 4096)
		return azerr_set(e, "--memory %llu bytes: need a multiple of 4 KiB, at least %llu MiB",
				 (unsigned long long)c->mem_bytes,
				 (unsigned long long)(MIN_MEM >> 20));
	struct guest_mem layout;
	e820_ram_layout(&layout, c->mem_bytes);
	const struct guest_mem_region *last = &layout.regions[layout.nr_regions - 1];
	unsigned bits = phys_addr_bits(vm->supported_cpuid);
	if (last->gpa + last->size > (1ULL << bits))
		return azerr_set(e, "--memory %llu MiB: RAM would end at 0x%llx, beyond this "
				 "host's %u-bit guest physical address space",
				 (unsigned long long)(c->mem_bytes >> 20),
				 (unsigned long long)(last->gpa + last->size), bits);
	return 0;
}

static int create_kvm_vm(struct vm *vm, struct azerr *e)
{
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return azerr_set(e, "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
	vm->run_size = (size_t)size;

	/* The API doc allows KVM_CREATE_VM to fail with EINTR. */
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return azerr_set(e, "KVM_CREATE_VM failed: %s", strerror(errno));

	/* Intel needs three pages for the real-mode TSS and, before vCPUs
	 * exist, one for the EPT identity map; both live in the PCI hole
	 * above every BAR. Harmless on AMD. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)GPA_KVM_TSS) < 0)
		return azerr_set(e, "KVM_SET_TSS_ADDR failed: %s", strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t addr = GPA_KVM_IDENTITY_MAP;
		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
			return azerr_set(e, "KVM_SET_IDENTITY_MAP_ADDR failed: %s", strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return azerr_set(e, "KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
	/* The dummy speaker lets KVM answer port 0x61 (PIT channel 2 gate),
	 * which Linux uses to calibrate the TSC. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return azerr_set(e, "KVM_CREATE_PIT2 failed: %s", strerror(errno));
	int gsis = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	irq_routing_init(&vm->routing, vm->vm_fd, gsis > 0 ? (unsigned)gsis : 0);
	vm->routing_ready = true;
	vm->ioeventfd_any_length =
		ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0;
	/* For snapshots, asked now: the threads that save and load run under
	 * seccomp lists without these queries. XSAVE2's size is the VM's. */
	int xsave = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	vm->xsave_size = xsave > 0 ? (uint32_t)xsave : 0;
	vm->tsc_control = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0;
	return 0;
}

/* Whether azote starts the card of every device c has: only such a card
 * can be handed the memory file to serve its own faults on a lazy load. */
static bool cards_ours(const struct vm_config *c)
{
	for (unsigned k = 0; k < DEVICE_NR_KINDS; k++) {
		const struct vm_device_list *l = device_kinds[k]->list;
		for (unsigned i = 0; i < vm_device_count(c, l); i++)
			if (vm_device_socket(l, vm_device_const(c, l, i)))
				return false;
	}
	return true;
}

/* Guest memory at gpa..gpa+size, azote's at hva, as KVM memory slot
 * `slot` with `flags`; `what` names it in the error (RAM, a pmem id). */
static int set_memory_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
			   uint64_t size, void *hva, const char *what, struct azerr *e)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return azerr_set(e, "%s: KVM_SET_USER_MEMORY_REGION for %llu MiB at 0x%llx failed: %s",
				 what, (unsigned long long)(size >> 20),
				 (unsigned long long)gpa, strerror(errno));
	return 0;
}

/* c's RAM, zeroed, or filled from a snapshot's memory file (lazily where
 * it can: vmm/lazy_mem.h) or, with mem_uffd, by the page-fault handler
 * listening at mem_path. With
 * track_dirty_pages, the record of what changes (vmm/dirty_log.h): made
 * before the devices, whose back-ends are given its log, and KVM logs the
 * vCPUs' writes to every RAM slot. At boot everything counts as changed
 * (azote's own writes of the kernel and tables are not logged); a restore
 * starts from the memory file, so nothing has changed yet. */
static int create_memory(struct vm *vm, const struct vm_config *c, const char *mem_path,
			 bool mem_uffd, struct azerr *e)
{
	int (*load)(struct lazy_mem *l, struct guest_mem *m, const char *path,
		    bool cards_ours, struct azerr *e) = mem_uffd ? lazy_mem_handoff : lazy_mem_load;

	e820_ram_layout(&vm->mem, c->mem_bytes);
	vm->mem.huge = c->huge_pages;
	if (guest_mem_create(&vm->mem, e) < 0 ||
	    (mem_path && load(&vm->lazy, &vm->mem, mem_path, cards_ours(c), e) < 0) ||
	    (c->track_dirty_pages && dirty_log_create(&vm->dirty, &vm->mem, !mem_path, e) < 0))
		return -1;
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];

		if (set_memory_slot(vm, (uint32_t)i,
				    c->track_dirty_pages ? KVM_MEM_LOG_DIRTY_PAGES : 0,
				    r->gpa, r->size, r->hva, "RAM", e) < 0)
			return -1;
	}
	return 0;
}

/* Each pmem device's file, in a memory slot of its own after RAM's
 * (vmm/pmem_region.h), read-only for KVM too with read_only: the guest's
 * writes then exit to azote, which has nothing there and drops them. */
static int create_pmem(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	const struct guest_mem_region *last = &vm->mem.regions[vm->mem.nr_regions - 1];
	uint64_t next = pmem_regions_base(last->gpa + last->size);
	/* As for RAM (check_config): the guest must be able to address it. */
	uint64_t limit = 1ULL << phys_addr_bits(vm->supported_cpuid);

	for (unsigned i = 0; i < c->nr_pmems; i++) {
		const struct pmem_config *p = &c->pmems[i];
		struct pmem_region *r = &vm->pmem[i];

		if (p->read_only && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
			return azerr_set(e, "pmem %s: read_only needs KVM_CAP_READONLY_MEM, which "
					 "this host's KVM lacks", p->id);
		if (pmem_region_map(r, p->path, p->read_only, &next, limit, e) < 0)
			return -1;
		vm->nr_pmem++;
		char what[VM_ID_MAX + sizeof("pmem ")];
		snprintf(what, sizeof(what), "pmem %s", p->id);
		if (set_memory_slot(vm, GUEST_MEM_MAX_REGIONS + i,
				    p->read_only ? KVM_MEM_READONLY : 0,
				    r->gpa, r->size, r->hva, what, e) < 0)
			return -1;
	}
	return 0;
}

/* The legacy platform: COM1, the i8042, the CMOS clock, PCI config
 * mechanism #1 and the ACPI sleep registers (power-off). The PIC, PIT,
 * IOAPIC and LAPIC are KVM's. */
static int create_platform(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	vm->platform_created = true;
	uart_init(&vm->uart, vm->vm_fd, UART_COM1_IRQ, STDOUT_FILENO, vm->uart_space_evfd);
	if (serial_out_open(&vm->serial, &c->serial, e) < 0)
		return -1;
	uart_set_output(&vm->uart, vm->serial.fd >= 0 ? vm->serial.fd : STDOUT_FILENO,
			vm->serial.limited ? serial_out_allow : NULL, &vm->serial);
	i8042_init(&vm->i8042, vm->vm_fd, guest_reset, vm);
	rtc_init(&vm->rtc, wall_clock);
	acpi_sleep_init(&vm->acpi_sleep, ACPI_SLEEP_TYPE_S5, guest_poweroff, vm);
	pci_bus_init(&vm->pci, &vm->mmio, GPA_PCI_MMIO_START, GPA_PCI_MMIO_END,
		     guest_reset, vm);
	if (io_bus_register(&vm->pio, UART_COM1_BASE, UART_NR_REGS, &uart_io_ops, &vm->uart, e) ||
	    io_bus_register(&vm->pio, I8042_DATA_PORT, I8042_PORT_LEN, &i8042_io_ops, &vm->i8042, e) ||
	    io_bus_register(&vm->pio, RTC_PORT, RTC_PORT_LEN, &rtc_io_ops, &vm->rtc, e) ||
	    io_bus_register(&vm->pio, PORT_ACPI_SLEEP_CONTROL, ACPI_SLEEP_PORT_LEN,
			    &acpi_sleep_io_ops, &vm->acpi_sleep, e) ||
	    io_bus_register(&vm->pio, PCI_CONFIG_ADDR_PORT, 8, &pci_config_io_ops, &vm->pci, e))
		return -1;
	return 0;
}

/* Firecracker's boot timer, with --boot-timer, on a boot only: its start
 * was taken as build() began. A restore has none, as in Firecracker: the
 * boot it would time happened in another process, and the snapshot's
 * guest may have a BAR on its page (azote's PCI window once started at
 * 0xc0000000). */
static int create_boot_timer(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	if (!c->boot_timer)
		return 0;
	return io_bus_register(&vm->mmio, GPA_BOOT_TIMER, GPA_BOOT_TIMER_END - GPA_BOOT_TIMER,
			       &boot_timer_io_ops, &vm->boot_timer, e);
}

/* The interrupt lines virtio-mmio devices get, in order: the ISA lines no
 * platform device uses (0 PIT, 1 keyboard, 2 cascade, 3 and 4 the serial
 * ports, 8 the RTC, 12 the PS/2 mouse, 13 the FPU's on a PC and the
 * GED's here, GSI_GED), then IOAPIC pins 16-23 (the MP table declares
 * every pin). */
static const uint8_t mmio_gsis[] = { 5, 6, 7, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 };
#define MMIO_DEVICES (sizeof(mmio_gsis) / sizeof(mmio_gsis[0]))
_Static_assert(MMIO_DEVICES * VIRTIO_MMIO_SIZE <= GPA_VIRTIO_MMIO_END - GPA_VIRTIO_MMIO,
	       "every virtio-mmio window fits its area");

/* Where device n goes on c's transport. */
static int device_place(const struct vm_config *c, unsigned n, struct vhost_dev_place *at,
			struct azerr *e)
{
	*at = (struct vhost_dev_place){ .transport = c->transport };
	if (c->transport != VM_TRANSPORT_MMIO)
		return 0;
	if (n >= MMIO_DEVICES)
		return azerr_set(e, "virtio-mmio has room for %zu devices (an interrupt line "
				 "each); for more use virtio-pci (--transport pci, or "
				 "Firecracker's --enable-pci)", MMIO_DEVICES);
	at->mmio_base = GPA_VIRTIO_MMIO + n * VIRTIO_MMIO_SIZE;
	at->gsi = mmio_gsis[n];
	return 0;
}

/* Every kind's devices, in device_kinds[] order and, within a kind, in
 * vm_config order (the order the metrics list them in). */
static int create_devices(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	unsigned n = 0;

	for (unsigned k = 0; k < DEVICE_NR_KINDS; k++)
		n += vm_device_count(c, device_kinds[k]->list);
	if (!n)
		return 0;
	vm->devs = calloc(n, sizeof(*vm->devs));
	if (!vm->devs)
		return azerr_set(e, "out of memory for %u devices", n);
	for (unsigned k = 0; k < DEVICE_NR_KINDS; k++) {
		const struct device_kind *kind = device_kinds[k];
		for (unsigned i = 0; i < vm_device_count(c, kind->list); i++) {
			struct vhost_dev_place at;
			if (device_place(c, vm->nr_devs, &at, e) < 0 ||
			    vhost_dev_create(&vm->devs[vm->nr_devs], vm, kind,
					     vm_device_const(c, kind->list, i), &at, e) < 0)
				return -1;
			vm->nr_devs++;
		}
	}
	return 0;
}

/* The kernel's command line: the configured one with Firecracker's root=
 * (vm_config_boot_cmdline) and, for virtio-mmio, each device as Linux's
 * virtio_mmio.device= describes it (as Firecracker passes them; ACPI
 * describes them too, for kernels without VIRTIO_MMIO_CMDLINE_DEVICES). */
static char *boot_cmdline(const struct vm *vm, const struct vm_config *c)
{
	char *s = vm_config_boot_cmdline(c);

	for (unsigned i = 0; s && i < vm->nr_devs; i++) {
		const struct vhost_dev *d = &vm->devs[i];
		char arg[64], *next;
		if (d->transport != VM_TRANSPORT_MMIO ||
		    virtio_mmio_cmdline_arg(d->t.mmio.p.base, d->t.mmio.p.gsi, arg,
					    sizeof(arg)) < 0)
			continue;
		next = cmdline_add(s, arg);
		free(s);
		s = next;
	}
	return s;
}

/* The virtio-mmio devices for the DSDT: Debian's kernel, built without
 * VIRTIO_MMIO_CMDLINE_DEVICES, finds them only there. */
_Static_assert(MMIO_DEVICES <= ACPI_MAX_MMIO_DEVICES, "the DSDT declares every mmio device");
static size_t acpi_mmio_devices(const struct vm *vm, struct acpi_mmio_device *out)
{
	size_t n = 0;

	for (unsigned i = 0; i < vm->nr_devs && n < MMIO_DEVICES; i++)
		if (vm->devs[i].transport == VM_TRANSPORT_MMIO)
			out[n++] = (struct acpi_mmio_device){
				.base = vm->devs[i].t.mmio.p.base, .size = VIRTIO_MMIO_SIZE,
				.gsi = vm->devs[i].t.mmio.p.gsi,
			};
	return n;
}

static void vm_zero(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->stop_evfd = vm->uart_space_evfd = -1;
	vm->mem.fd = -1;
	vm->serial.fd = -1;
	lazy_mem_init(&vm->lazy);
	dirty_log_none(&vm->dirty);
	vm->loop.epfd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
}

/* The guest's kernel, initrd, command line and boot tables into RAM. */
static int load_kernel(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	char *cmdline = boot_cmdline(vm, c);
	if (!cmdline)
		return azerr_set(e, "out of memory for the kernel command line");
	struct acpi_mmio_device mmio[MMIO_DEVICES];
	struct boot_request req = {
		.kernel_path = c->kernel_path,
		.initrd_path = c->initrd_path,
		.cmdline = cmdline,
		.nr_cpus = (int)c->nr_cpus,
		.entry_pref = c->entry_pref,
		.has_pci = true,           /* create_platform's host bridge */
		.mmio_devices = mmio,
		.nr_mmio_devices = acpi_mmio_devices(vm, mmio),
	};
	int loaded = x86_boot_load(&vm->mem, &req, &vm->boot, e);
	free(cmdline);
	return loaded < 0 ? -1 : vm_genid_new(&vm->mem, e);
}

/* vm_create, or with mem_path the same machine for a snapshot's restore:
 * RAM from the memory file (which holds the kernel and boot tables the
 * guest was booted with) or its handler (mem_uffd), nothing loaded. */
static int build(struct vm *vm, const struct vm_config *c, const char *mem_path,
		 bool mem_uffd, struct azerr *e)
{
	vm_zero(vm);
	/* The boot timer counts from here, where the boot was requested
	 * (InstanceStart, a config file's boot or the command line's), as
	 * Firecracker's from the start of its build_microvm_for_boot. */
	if (c->boot_timer && !mem_path)
		boot_timer_init(&vm->boot_timer, clock_us);
	if (event_loop_init(&vm->loop, e) < 0)
		goto fail;
	vm->kvm_fd = kvm_open("/dev/kvm", e);
	if (vm->kvm_fd < 0)
		goto fail;
	if (c->cpu_template) {
		vm->cpu_template = malloc(sizeof(*vm->cpu_template));
		if (!vm->cpu_template) {
			azerr_set(e, "out of memory for the CPU template");
			goto fail;
		}
		*vm->cpu_template = *c->cpu_template;
	}
	vm->supported_cpuid = malloc(sizeof(*vm->supported_cpuid));
	if (!vm->supported_cpuid) {
		azerr_set(e, "out of memory for the CPUID table");
		goto fail;
	}
	if (kvm_supported_cpuid(vm->kvm_fd, vm->supported_cpuid, e) ||
	    check_config(vm, c, e) || x86_boot_msrs_init(vm, e) ||
	    create_kvm_vm(vm, e))
		goto fail;
	vm->stop_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->uart_space_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_evfd < 0 || vm->uart_space_evfd < 0) {
		azerr_set(e, "cannot create eventfds: %s", strerror(errno));
		goto fail;
	}
	if (create_memory(vm, c, mem_path, mem_uffd, e) || create_pmem(vm, c, e) ||
	    create_platform(vm, c, e) ||
	    (!mem_path && create_boot_timer(vm, c, e) < 0) ||
	    create_devices(vm, c, e) || (!mem_path && load_kernel(vm, c, e) < 0))
		goto fail;

	vm->vcpus = calloc(c->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		azerr_set(e, "out of memory for %u vCPUs", c->nr_cpus);
		goto fail;
	}
	for (unsigned i = 0; i < c->nr_cpus; i++)
		vm->vcpus[i].fd = -1;
	vm->nr_vcpus = c->nr_cpus;
	for (unsigned i = 0; i < c->nr_cpus; i++)
		if (vcpu_create(vm, i, e) < 0)
			goto fail;
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

int vm_create(struct vm *vm, const struct vm_config *c, struct azerr *e)
{
	return build(vm, c, NULL, false, e);
}

int vm_create_restored(struct vm *vm, const struct vm_config *c, const char *mem_path,
		       bool mem_uffd, struct azerr *e)
{
	return build(vm, c, mem_path, mem_uffd, e);
}

int vm_start(struct vm *vm, struct azerr *e)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu_start(&vm->vcpus[i], e) < 0) {
			vm_request_stop(vm, AZOTE_EXIT_ERROR);
			return -1;
		}
	}
	return 0;
}

void vm_request_stop(struct vm *vm, int code)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_STOPPING) {
		vm->exit_code = code;
		atomic_store(&vm->state, VM_STOPPING);
		pthread_cond_broadcast(&vm->cond);
		uint64_t one = 1;
		if (vm->stop_evfd >= 0 && write(vm->stop_evfd, &one, sizeof(one)) < 0)
			log_warn("cannot wake the main loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].run)
			vcpu_kick(&vm->vcpus[i]);
}

static unsigned running_vcpus(const struct vm *vm)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		n += vm->vcpus[i].thread_started;
	return n;
}

bool vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_RUNNING) {
		bool paused = vm->state == VM_PAUSED;

		pthread_mutex_unlock(&vm->lock);
		return paused;
	}
	atomic_store(&vm->state, VM_PAUSED);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->lock);
	while (vm->state == VM_PAUSED && vm->nr_parked < running_vcpus(vm))
		pthread_cond_wait(&vm->cond, &vm->lock);
	bool paused = vm->state == VM_PAUSED;
	pthread_mutex_unlock(&vm->lock);
	return paused;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_PAUSED) {
		atomic_store(&vm->state, VM_RUNNING);
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

static bool jobs_done(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started && vm->vcpus[i].job_gen != vm->job_gen)
			return false;
	return true;
}

int vm_run_on_vcpus(struct vm *vm, vcpu_job_fn *fn, void *arg, struct azerr *e)
{
	int ret = 0;

	for (unsigned i = 0; i < vm->nr_vcpus && !ret; i++)
		if (!vm->vcpus[i].thread_started)
			ret = fn(&vm->vcpus[i], arg, e);
	if (ret || !running_vcpus(vm))
		return ret;
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_PAUSED || vm->job) {
		pthread_mutex_unlock(&vm->lock);
		return azerr_set(e, "the vCPUs are not paused");
	}
	vm->job = fn;
	vm->job_arg = arg;
	vm->job_gen++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->state == VM_PAUSED && !jobs_done(vm))
		pthread_cond_wait(&vm->cond, &vm->lock);
	if (!jobs_done(vm))
		ret = azerr_set(e, "the VM stopped while its vCPUs were being saved or loaded");
	for (unsigned i = 0; i < vm->nr_vcpus && !ret; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->thread_started && v->job_ret < 0) {
			*e = v->job_err;
			ret = -1;
		}
	}
	vm->job = NULL;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

int vm_destroy(struct vm *vm)
{
	if (running_vcpus(vm))
		vm_request_stop(vm, AZOTE_EXIT_OK);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = false;
	}
	for (unsigned i = 0; i < vm->nr_devs; i++)
		vhost_dev_destroy(&vm->devs[i]);
	free(vm->devs);
	vm->devs = NULL;
	vm->nr_devs = 0;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_release(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	if (vm->platform_created) {
		pci_bus_destroy(&vm->pci);
		rtc_destroy(&vm->rtc);
		i8042_destroy(&vm->i8042);
		uart_destroy(&vm->uart);
		serial_out_close(&vm->serial);
		vm->platform_created = false;
	}
	if (vm->routing_ready)
		irq_routing_destroy(&vm->routing);
	vm->routing_ready = false;
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	dirty_log_destroy(&vm->dirty);
	/* The cards and vCPUs are gone: nothing faults any more. */
	lazy_mem_stop(&vm->lazy);
	guest_mem_destroy(&vm->mem);
	for (unsigned i = 0; i < vm->nr_pmem; i++)
		pmem_region_unmap(&vm->pmem[i]);
	vm->nr_pmem = 0;
	free(vm->supported_cpuid);
	free(vm->cpu_template);
	free(vm->boot_msrs);
	free(vm->msr_list);
	vm->msr_list = NULL;
	vm->supported_cpuid = NULL;
	vm->cpu_template = NULL;
	vm->boot_msrs = NULL;
	int fds[] = { vm->vm_fd, vm->kvm_fd, vm->stop_evfd, vm->uart_space_evfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	vm->vm_fd = vm->kvm_fd = vm->stop_evfd = vm->uart_space_evfd = -1;
	event_loop_fini(&vm->loop);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	return vm->exit_code;
}

struct vhost_dev *vm_kind_dev(struct vm *vm, const struct device_kind *k, unsigned index)
{
	for (unsigned i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].kind == k && index-- == 0)
			return &vm->devs[i];
	return NULL;
}
