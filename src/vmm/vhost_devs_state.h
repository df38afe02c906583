/* Snapshots of the cards' rings: stopping every vhost-user device's rings
 * at a request boundary, saving where each stopped (section
 * STATE_CARD_RINGS, vmm/card_rings.h), and starting them again, in the
 * same VM (resume) or in a new VM with new cards (restore).
 *
 * Snapshot of a running VM (Firecracker's create-snapshot, then resume):
 *
 *   vm_pause(vm);                      vCPUs parked: no new requests
 *   vhost_devs_save(vm, &set, &e);     rings stopped, sections added
 *   ... the other sections, then guest memory, written out ...
 *   vhost_devs_resume(vm, &e);         rings restarted where they stopped
 *   vm_resume(vm);
 *
 * Memory must be written after vhost_devs_save: until GET_VRING_BASE has
 * answered, a card may still complete requests into guest memory.
 *
 * Restore in a new process:
 *
 *   vm_create(vm, config, &e);         cards started and negotiated
 *   ... guest memory loaded; vCPUs, irqchip, platform devices, and the
 *       virtio transports (STATE_VIRTIO_DEV/PCI/MMIO, MSI-X) loaded,
 *       without starting any device ...
 *   vhost_devs_restore(vm, &set, &e);  cards take up the rings
 *   vm_start(vm, &e);  (or resume)
 *
 * vhost_devs_restore checks the snapshot's rings against the transport
 * the guest sees (features, queue sizes and addresses must agree) and
 * against guest memory (the saved avail index where the used ring
 * stands), so it runs after both are loaded. Nothing here runs while a
 * vCPU does. */
#ifndef AZOTE_VMM_VHOST_DEVS_STATE_H
#define AZOTE_VMM_VHOST_DEVS_STATE_H

#include "base/state.h"
#include "common/err.h"

struct vm;

/* With the vCPUs paused: for each device (index = its place in vm->devs),
 * stops its rings (GET_VRING_BASE per ring: the card completes every
 * request it took before it answers) and adds a STATE_CARD_RINGS section
 * (and STATE_CARD_CONFIG for a device with a configuration, and
 * STATE_CARD_NET_PAIRS, the pairs in use its card says, for a net device
 * whose driver negotiated multiqueue with the control queue). The rings
 * stay stopped until vhost_devs_resume. A card that is gone, or
 * that stopped a ring with requests taken but not completed, fails the
 * snapshot; rings stopped so far are restarted then, but for a device
 * whose ring did not stop (GET_VRING_BASE failed): it is marked as
 * needing reset. */
int vhost_devs_save(struct vm *vm, struct state_set *s, struct azerr *e);

/* Restarts the rings vhost_devs_save stopped, each at the avail index it
 * stopped at (SET_VRING_BASE), in this same VM. A device whose card cannot
 * take them back is marked as needing reset (the guest sees its I/O fail);
 * -1 with e naming the first such device. */
int vhost_devs_resume(struct vm *vm, struct azerr *e);

/* In a VM just built by vm_create from the same configuration, its
 * transports loaded from the same snapshot: hands each device's saved
 * rings to its new card (features, memory table, then per ring NUM, BASE =
 * the saved avail index, ADDR, CALL, KICK, ENABLE), as DRIVER_OK would
 * from the guest's registers, then tells a net card the pairs in use the
 * snapshot's had (without that section: one pair, as before it existed).
 * Devices whose driver had not started them are left as a fresh card is,
 * and so are those whose driver must reset them first (status NEEDS_RESET
 * or FAILED). Refuses, naming the device and field, a section that is
 * missing, malformed or disagrees with the device. */
int vhost_devs_restore(struct vm *vm, const struct state_set *s, struct azerr *e);

#endif
