/* An interrupt line into the in-kernel irqchip (PIC + IOAPIC). Devices hold
 * one and drive its level; only level changes reach KVM. */
#ifndef AZOTE_DEVICES_IRQ_H
#define AZOTE_DEVICES_IRQ_H

#include <stdbool.h>

struct irq_line {
	int vm_fd;     /* KVM VM fd; -1 in unit tests (level is only recorded) */
	unsigned gsi;
	bool level;
};

void irq_line_init(struct irq_line *l, int vm_fd, unsigned gsi);
/* Sets the line's level, telling KVM only when it changes. Callers hold the
 * device lock, so changes on one line are serialised. */
void irq_line_set(struct irq_line *l, bool level);

#endif
