/* The VM's GSI routing table. KVM_SET_GSI_ROUTING replaces the whole table,
 * so azote keeps its own copy: the ISA/IOAPIC routes KVM_CREATE_IRQCHIP
 * installs by default (GSI n -> PIC pin n for n < 16, IOAPIC pin n for
 * n < 24, which the MP table describes), plus one MSI route per MSI-X
 * vector in use, each on a GSI of its own from 24 up. */
#ifndef AZOTE_VMM_IRQ_ROUTING_H
#define AZOTE_VMM_IRQ_ROUTING_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define IRQ_ROUTING_MAX 1024

struct irq_routing {
	int vm_fd;                 /* -1: keep the table, skip KVM (tests) */
	pthread_mutex_t lock;
	unsigned nr;
	unsigned next_gsi;
	unsigned max_gsi;          /* KVM_CAP_IRQ_ROUTING: GSIs this VM has */
	struct kvm_irq_routing_entry entries[IRQ_ROUTING_MAX];
};

/* Fills the default ISA/IOAPIC routes (does not commit: KVM already has
 * them). max_gsi: from KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING). */
void irq_routing_init(struct irq_routing *r, int vm_fd, unsigned max_gsi);
void irq_routing_destroy(struct irq_routing *r);
/* A fresh GSI for an MSI route, or -1 when none is left. */
int irq_routing_alloc_gsi(struct irq_routing *r, struct azerr *e);
/* Points gsi at MSI message (addr, data) and commits the table. */
int irq_routing_set_msi(struct irq_routing *r, unsigned gsi, uint64_t addr,
			uint32_t data, struct azerr *e);

#endif
