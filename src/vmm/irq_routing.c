#include "vmm/irq_routing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define ISA_IRQS     16
#define IOAPIC_PINS  24

static void add_irqchip(struct irq_routing *r, unsigned gsi, unsigned chip, unsigned pin)
{
	r->entries[r->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

void irq_routing_init(struct irq_routing *r, int vm_fd, unsigned max_gsi)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->vm_fd = vm_fd;
	r->max_gsi = max_gsi;
	/* What KVM_CREATE_IRQCHIP installs: the master PIC takes IRQs 0-7,
	 * the slave 8-15, and the IOAPIC every GSI below 24 on the same pin. */
	for (unsigned gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi < ISA_IRQS)
			add_irqchip(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
				    KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
		add_irqchip(r, gsi, KVM_IRQCHIP_IOAPIC, gsi);
	}
	r->next_gsi = IOAPIC_PINS;
}

void irq_routing_destroy(struct irq_routing *r)
{
	pthread_mutex_destroy(&r->lock);
}

int irq_routing_alloc_gsi(struct irq_routing *r, struct azerr *e)
{
	int gsi = -1;

	pthread_mutex_lock(&r->lock);
	if (r->next_gsi < r->max_gsi && r->nr < IRQ_ROUTING_MAX)
		gsi = (int)r->next_gsi++;
	pthread_mutex_unlock(&r->lock);
	if (gsi < 0)
		azerr_set(e, "out of interrupt routes (%u GSIs)", r->max_gsi);
	return gsi;
}

static struct kvm_irq_routing_entry *find_msi(struct irq_routing *r, unsigned gsi)
{
	for (unsigned i = 0; i < r->nr; i++)
		if (r->entries[i].gsi == gsi && r->entries[i].type == KVM_IRQ_ROUTING_MSI)
			return &r->entries[i];
	return NULL;
}

static int commit(struct irq_routing *r, struct azerr *e)
{
	if (r->vm_fd < 0)
		return 0;
	struct kvm_irq_routing *t = malloc(sizeof(*t) + r->nr * sizeof(t->entries[0]));
	if (!t)
		return azerr_set(e, "out of memory for the interrupt routing table");
	memset(t, 0, sizeof(*t));
	t->nr = r->nr;
	memcpy(t->entries, r->entries, r->nr * sizeof(t->entries[0]));
	int ret = ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t);
	int err = errno;
	free(t);
	if (ret < 0)
		return azerr_set(e, "KVM_SET_GSI_ROUTING with %u routes failed: %s",
				 r->nr, strerror(err));
	return 0;
}

int irq_routing_set_msi(struct irq_routing *r, unsigned gsi, uint64_t addr,
			uint32_t data, struct azerr *e)
{
	int ret = -1;

	pthread_mutex_lock(&r->lock);
	struct kvm_irq_routing_entry *ent = find_msi(r, gsi);
	if (!ent) {
		if (gsi < IOAPIC_PINS || gsi >= r->next_gsi || r->nr == IRQ_ROUTING_MAX) {
			azerr_set(e, "GSI %u was not allocated for MSI", gsi);
			goto out;
		}
		ent = &r->entries[r->nr++];
		ent->gsi = gsi;
		ent->type = KVM_IRQ_ROUTING_MSI;
	}
	ent->u.msi.address_lo = (uint32_t)addr;
	ent->u.msi.address_hi = (uint32_t)(addr >> 32);
	ent->u.msi.data = data;
	ret = commit(r, e);
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

