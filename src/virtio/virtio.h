/* Virtio 1.2 constants shared by the transports (azote) and the devices
 * (cards): feature bits and device status bits. Only what azote uses. */
#ifndef AZOTE_VIRTIO_VIRTIO_H
#define AZOTE_VIRTIO_VIRTIO_H

/* Device-independent feature bits (virtio 1.2 §6). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35
#define VIRTIO_F_ORDER_PLATFORM     36
#define VIRTIO_F_SR_IOV             37
#define VIRTIO_F_NOTIFICATION_DATA  38
#define VIRTIO_F_RING_RESET         40

#define VIRTIO_BIT(b) (1ULL << (b))

/* Device status (virtio 1.2 §2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* Device IDs (virtio 1.2 §5). PCI device ID is 0x1040 + ID. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_PMEM 27

#endif
