/* virtio-pmem (virtio 1.3 §5.19), Firecracker's PUT /pmem/{id}: the
 * backing file is guest memory, mapped by azote (vmm/pmem_region.h); the
 * card, azote-card-pmem, serves the one ring, where the guest asks for
 * flushes. The device configuration (where the region is) is azote's. */
#include "vmm/device_kind.h"

#include <endian.h>
#include <string.h>

#include "iface/card.h"
#include "virtio/virtio.h"
#include "virtio/virtio_pmem.h"
#include "vmm/vhost_dev.h"
#include "vmm/vm.h"

/* "Other" (base class 0xff), as QEMU's virtio-pmem-pci: no class names a
 * paravirtual persistent memory. */
#define CLASS_OTHER 0xff0000
#define PMEM_RINGS  1

static void pmem_card_args(const void *dev, struct card_argv *a)
{
	const struct pmem_config *c = dev;

	card_argv_opt(a, CARD_PMEM_OPT_FILE, c->path);
	if (c->read_only)
		card_argv_flag(a, CARD_PMEM_OPT_RO);
	card_argv_limits(a, &c->rate_limiter, CARD_PMEM_OPT_BW_LIMIT, CARD_PMEM_OPT_OPS_LIMIT);
}

void pmem_config_set_region(uint8_t *config, uint64_t gpa, uint64_t size)
{
	uint64_t start = htole64(gpa), len = htole64(size);

	memcpy(config + VIRTIO_PMEM_CFG_START, &start, sizeof(start));
	memcpy(config + VIRTIO_PMEM_CFG_SIZE, &len, sizeof(len));
}

/* The requestq; where the device's region is into the configuration.
 * The region is vm->pmem[i], i the device's place among the pmem devices:
 * the devices of vm->devs are created in place, kind by kind, in
 * vm_config order (vm.c's create_devices), so the pmem devices before d
 * are its predecessors in the list. */
static unsigned pmem_layout(struct vhost_dev *d, const void *dev, unsigned nr_queues,
			    uint64_t *features)
{
	unsigned i = 0;

	(void)dev;
	(void)features;
	for (const struct vhost_dev *o = d->vm->devs; o < d; o++)
		i += o->kind == &device_kind_pmem;
	pmem_config_set_region(d->config, d->vm->pmem[i].gpa, d->vm->pmem[i].size);
	return nr_queues < PMEM_RINGS ? nr_queues : PMEM_RINGS;
}

static void pmem_collect(const struct card_stats *cs, struct metrics *m, unsigned idx)
{
	const struct card_pmem_stats *s = &cs->pmem;
	struct pmem_metrics *p = &m->pmem[idx];

	metric_store(&p->queue_event_count, card_stat_read(&s->flush_count));
	metric_store(&p->event_fails, card_stat_read(&s->event_fails));
	metric_store(&p->rate_limiter_throttled_events,
		     card_stat_read(&s->rate_limiter_throttled));
}

const struct device_kind device_kind_pmem = {
	.name = "pmem", .virtio_id = VIRTIO_ID_PMEM, .pci_class = CLASS_OTHER,
	.config_size = VIRTIO_PMEM_CONFIG_SIZE, .list = &vm_pmems,
	.config_fixed = "where its region is, from the RAM size and the backing files' sizes: "
			"has a pmem file changed size since the snapshot?",
	.card_args = pmem_card_args, .layout = pmem_layout, .collect = pmem_collect,
};
