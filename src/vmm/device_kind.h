/* The kinds of virtio device azote puts on the guest's bus, as data: one
 * entry per kind (virtio-blk, virtio-net, virtio-vsock, virtio-rng,
 * virtio-balloon, virtio-pmem) says what the guest sees (virtio
 * device ID, PCI class, configuration size), where vm_config keeps the
 * devices of that kind and how they are named (vm_config.h's
 * vm_device_list), which card serves them and with which options, how
 * their rings are laid out, and where their counters go. The command line,
 * vm_create, vhost_dev and the metrics walk this table instead of asking
 * "drive or NIC?".
 *
 * Adding a kind: its entry (a kind_<name>.c like kind_blk.c, listed in
 * device_kinds[]), its config struct and vm_device_list in vm_config, its
 * card (src/cards/<name>/), and its tests. */
#ifndef AZOTE_VMM_DEVICE_KIND_H
#define AZOTE_VMM_DEVICE_KIND_H

#include <stdint.h>

#include "api/metrics.h"
#include "iface/card_stats.h"
#include "common/err.h"
#include "vmm/card_argv.h"
#include "vmm/vm_config.h"

struct vhost_dev;

struct device_kind {
	const char *name;        /* "blk": "virtio-blk drive0", azote-card-blk */
	uint16_t virtio_id;      /* VIRTIO_ID_* */
	uint32_t pci_class;      /* class, subclass, programming interface */
	unsigned config_size;    /* bytes of device configuration shown */
	/* Non-NULL: the configuration is azote's, computed from the VM's
	 * make-up, and a snapshot's must be the same; what would have changed
	 * it, for the message. */
	const char *config_fixed;
	const struct vm_device_list *list;  /* where vm_config keeps them */

	/* The card's own options for dev (after its program path; the
	 * options every card takes are added by vhost_dev). */
	void (*card_args)(const void *dev, struct card_argv *a);
	/* The rings the guest gets, from the count the back-end offers and
	 * what dev asks for; may adjust the offered features and the
	 * configuration space in d. */
	unsigned (*layout)(struct vhost_dev *d, const void *dev, unsigned nr_queues,
			   uint64_t *features);
	/* Copies a card's counters into the metrics group of device idx. */
	void (*collect)(const struct card_stats *s, struct metrics *m, unsigned idx);
	/* How many queue pairs the driver of d may switch among through the
	 * card, which alone knows how many are in use (a snapshot carries
	 * them); 0: none. NULL: the kind has no such choice. */
	unsigned (*switched_pairs)(const struct vhost_dev *d);
};

extern const struct device_kind device_kind_blk, device_kind_net, device_kind_vsock,
	device_kind_rng, device_kind_balloon, device_kind_pmem;

/* Every kind, in the order their devices are put on the bus. */
#define DEVICE_NR_KINDS 6
extern const struct device_kind *const device_kinds[DEVICE_NR_KINDS];

/* The balloon's target, amount_mib, as num_pages into its device
 * configuration (virtio/virtio_balloon.h's layout; kind_balloon.c). */
void balloon_config_set_target(uint8_t *config, uint32_t amount_mib);
/* A pmem device's region, gpa and size, into its device configuration
 * (virtio/virtio_pmem.h's layout; kind_pmem.c). */
void pmem_config_set_region(uint8_t *config, uint64_t gpa, uint64_t size);

#endif
