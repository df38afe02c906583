#include "devices/irq.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "common/log.h"

static void kvm_line(struct irq_line *l, bool level)
{
	struct kvm_irq_level irq = { .irq = l->gsi, .level = level };

	if (l->vm_fd >= 0 && ioctl(l->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn("cannot set IRQ %u to %d", l->gsi, level);
}

void irq_line_init(struct irq_line *l, int vm_fd, unsigned gsi)
{
	l->vm_fd = vm_fd;
	l->gsi = gsi;
	l->level = false;
}

void irq_line_set(struct irq_line *l, bool level)
{
	if (l->level == level)
		return;
	l->level = level;
	kvm_line(l, level);
}
