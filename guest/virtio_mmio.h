/* virtio over MMIO (virtio 1.2, 4.2), Version 2 (modern) only. MMIO has no
 * discovery of its own: the devices are those the kernel command line
 * names as Linux reads them, one argument per device,
 *
 *     virtio_mmio.device=<size>@<base>:<irq>[:<id>]
 *
 * size: decimal or 0x hex with an optional K, M or G suffix (512, 4K,
 * 0x1000); base: 0x hex or decimal; irq: the IOAPIC pin (reported, not
 * used: the probe polls); id: Linux's platform device id, ignored. QEMU's
 * microvm (ACPI off) and Firecracker write such arguments. */
#ifndef PROBE_VIRTIO_MMIO_H
#define PROBE_VIRTIO_MMIO_H

#include "types.h"

#define VIRTIO_MMIO_MAGIC             0x74726976   /* "virt" */
#define VIRTIO_MMIO_VERSION_MODERN    2

/* Register offsets (4.2.2); every register 32 bits wide. InterruptStatus
 * (0x060) and InterruptACK (0x064) are not used: the probe polls the used
 * rings, as it does over PCI, runs with interrupts off and programs no
 * IOAPIC entry for the device's line. */
#define VIRTIO_MMIO_MAGIC_VALUE       0x000
#define VIRTIO_MMIO_VERSION           0x004
#define VIRTIO_MMIO_DEVICE_ID         0x008
#define VIRTIO_MMIO_DEVICE_FEATURES   0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES   0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL         0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX     0x034
#define VIRTIO_MMIO_QUEUE_NUM         0x038
#define VIRTIO_MMIO_QUEUE_READY       0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY      0x050
#define VIRTIO_MMIO_STATUS            0x070
#define VIRTIO_MMIO_QUEUE_DESC        0x080   /* low, high at +4 */
#define VIRTIO_MMIO_QUEUE_DRIVER      0x090
#define VIRTIO_MMIO_QUEUE_DEVICE      0x0a0
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG            0x100   /* device configuration */

#define VIRTIO_MMIO_MAX_DEVS          32

/* A device the command line names. */
struct virtio_mmio_window {
	u64 base, size;
	u32 irq;
};

/* Parses one virtio_mmio.device= value (len bytes at s, no NUL needed).
 * False if it is malformed or describes an unusable window (smaller than
 * the registers, misaligned, wrapping around). */
bool virtio_mmio_parse(const char *s, size_t len, struct virtio_mmio_window *w);
/* Whether the command line has any virtio_mmio.device= argument. */
bool virtio_mmio_described(void);

#endif
