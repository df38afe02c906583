#include "vmm/kvm_host.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vmm/vm.h"

static int alloc_gsi(void *ctx)
{
	struct vm *vm = ctx;
	struct azerr e;
	int gsi = irq_routing_alloc_gsi(&vm->routing, &e);

	if (gsi < 0)
		log_warn("%s", e.msg);
	return gsi;
}

static int route(void *ctx, unsigned gsi, uint64_t addr, uint32_t data)
{
	struct vm *vm = ctx;
	struct azerr e;

	if (irq_routing_set_msi(&vm->routing, gsi, addr, data, &e) < 0) {
		log_warn("%s", e.msg);
		return -1;
	}
	return 0;
}

static int irqfd(void *ctx, unsigned gsi, int fd, bool attach)
{
	struct vm *vm = ctx;
	struct kvm_irqfd req = {
		.fd = (uint32_t)fd, .gsi = gsi,
		.flags = attach ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0) {
		log_warn("KVM_IRQFD %s fd %d on GSI %u: %s", attach ? "assign" : "deassign",
			 fd, gsi, strerror(errno));
		return -1;
	}
	return 0;
}

static int signal_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vm *vm = ctx;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* 0 means the guest blocked it (e.g. its LAPIC is disabled). */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

static int watch(void *ctx, struct event_handler *h, bool on)
{
	struct vm *vm = ctx;

	if (!on) {
		event_loop_del(&vm->loop, h);
		return 0;
	}
	return event_loop_add(&vm->loop, h, EPOLLIN);
}

static int ioeventfd(void *ctx, uint64_t addr, int fd, bool assign)
{
	struct vm *vm = ctx;
	/* Length 0 matches a notify of any width (Linux writes 16 bits, the
	 * spec allows 32 with notification data) and lets KVM take a faster
	 * exit path; without the capability, match the 16-bit write. */
	struct kvm_ioeventfd req = {
		.addr = addr, .fd = fd,
		.len = vm->ioeventfd_any_length ? 0 : 2,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0)
		return -1;
	return 0;
}

/* virtio-mmio has one QueueNotify register for every queue: the driver
 * writes the queue's index there, 32 bits wide (§4.2.2), and KVM tells the
 * queues apart by that value. */
static int ioeventfd_match(void *ctx, uint64_t addr, uint32_t match, int fd, bool assign)
{
	struct vm *vm = ctx;
	struct kvm_ioeventfd req = {
		.datamatch = match, .addr = addr, .len = 4, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0 ? -1 : 0;
}

const struct msix_host_ops kvm_msix_host_ops = {
	.alloc_gsi = alloc_gsi, .route = route, .irqfd = irqfd,
	.signal = signal_msi, .watch = watch,
};

const struct virtio_pci_host_ops kvm_virtio_pci_host_ops = { .ioeventfd = ioeventfd };
const struct virtio_mmio_host_ops kvm_virtio_mmio_host_ops = {
	.ioeventfd = ioeventfd_match, .irqfd = irqfd,
};
