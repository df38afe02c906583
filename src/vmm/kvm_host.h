/* The hypervisor services emulated devices call on: MSI routes, irqfds,
 * direct MSI injection, ioeventfds, and the main loop's fd watches. They
 * are the KVM side of the msix_host_ops, virtio_pci_host_ops and
 * virtio_mmio_host_ops tables. */
#ifndef AZOTE_VMM_KVM_HOST_H
#define AZOTE_VMM_KVM_HOST_H

#include "devices/msix.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_pci.h"

/* ctx for both tables is the struct vm. */
extern const struct msix_host_ops kvm_msix_host_ops;
extern const struct virtio_pci_host_ops kvm_virtio_pci_host_ops;
extern const struct virtio_mmio_host_ops kvm_virtio_mmio_host_ops;

#endif
