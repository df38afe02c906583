#include "vmm/kvm.h"

#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
};

int kvm_open(const char *path, struct azerr *e)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		if (err == ENOENT)
			return azerr_set(e, "%s does not exist: KVM is not available "
					 "(load kvm_intel or kvm_amd, or enable virtualization "
					 "in the firmware)", path);
		if (err == EACCES || err == EPERM)
			return azerr_set(e, "no permission to open %s: run as a user "
					 "in the 'kvm' group or as root", path);
		return azerr_set(e, "cannot open %s: %s", path, strerror(err));
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		close(fd);
		return azerr_set(e, "%s speaks KVM API version %d, azote needs %d",
				 path, version, KVM_API_VERSION);
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			close(fd);
			return azerr_set(e, "this host's KVM lacks %s, which azote needs",
					 required_caps[i].name);
		}
	}
	return fd;
}

unsigned kvm_max_vcpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	/* The API doc: without KVM_CAP_MAX_VCPUS, use KVM_CAP_NR_VCPUS; if
	 * that too is absent, assume 4. */
	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned)n : 4;
}

/* AMX's tile data (XSAVE component 18) is one the kernel lets a process's
 * guests use only once asked (Documentation/arch/x86/xstate.rst,
 * ARCH_REQ_XCOMP_GUEST_PERM); KVM_GET_SUPPORTED_CPUID reports AMX only
 * then, and the ask must come before any vCPU exists. Firecracker asks
 * too. A host without AMX, or a kernel before 5.16 (no such arch_prctl),
 * leaves the guest without it. Runs on the main thread before its seccomp
 * list, which has no arch_prctl. */
#define XFEATURE_XTILEDATA 18

static void ask_for_guest_amx(void)
{
	uint64_t supported = 0;

	if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_SUPP, &supported) < 0 ||
	    !(supported & (1ull << XFEATURE_XTILEDATA)))
		return;
	if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_GUEST_PERM, XFEATURE_XTILEDATA) < 0)
		log_warn("the host has AMX, but the kernel refused it to guests "
			 "(ARCH_REQ_XCOMP_GUEST_PERM: %s): the guest goes without", strerror(errno));
}

int kvm_supported_cpuid(int kvm_fd, struct cpuid_table *t, struct azerr *e)
{
	ask_for_guest_amx();
	memset(t, 0, sizeof(*t));
	t->head.nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &t->head) < 0)
		return azerr_set(e, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		x86_cpuid_add_tsc_deadline(t);
	return 0;
}

int kvm_msr_index_list(int kvm_fd, uint32_t **list, uint32_t *n, struct azerr *e)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };

	/* The first call fails with E2BIG and tells the count. */
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return azerr_set(e, "KVM_GET_MSR_INDEX_LIST failed: %s", strerror(errno));
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
	if (!l)
		return azerr_set(e, "out of memory for the MSR list");
	l->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		free(l);
		return azerr_set(e, "KVM_GET_MSR_INDEX_LIST failed: %s", strerror(errno));
	}
	*list = malloc(l->nmsrs * sizeof(uint32_t) + 1);
	if (!*list) {
		free(l);
		return azerr_set(e, "out of memory for the MSR list");
	}
	memcpy(*list, l->indices, l->nmsrs * sizeof(uint32_t));
	*n = l->nmsrs;
	free(l);
	return 0;
}
