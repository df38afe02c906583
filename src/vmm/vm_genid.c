#include "vmm/vm_genid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#include "arch/x86/irq_wiring.h"
#include "arch/x86/layout.h"
#include "common/log.h"

int vm_genid_new(struct guest_mem *m, struct azerr *e)
{
	unsigned char *p = guest_mem_ptr(m, GPA_VMGENID, GPA_VMGENID_SIZE);

	if (!p)
		return azerr_set(e, "the VM generation ID's address 0x%llx is not guest RAM",
				 (unsigned long long)GPA_VMGENID);
	if (getrandom(p, GPA_VMGENID_SIZE, 0) != GPA_VMGENID_SIZE)
		return azerr_set(e, "getrandom for the VM generation ID: %s", strerror(errno));
	return 0;
}

void vm_genid_notify(int vm_fd)
{
	for (int level = 1; level >= 0; level--) {
		struct kvm_irq_level irq = { .irq = GSI_GED, .level = (uint32_t)level };
		if (ioctl(vm_fd, KVM_IRQ_LINE, &irq) < 0) {
			log_warn("cannot tell the guest its new VM generation ID (GSI %u): %s",
				 GSI_GED, strerror(errno));
			return;
		}
	}
}
