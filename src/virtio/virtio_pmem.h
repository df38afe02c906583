/* virtio-pmem constants (virtio 1.3 §5.19) shared by azote, which maps the
 * backing file into guest physical space and shows where in the device
 * configuration, and azote-card-pmem, which serves the request ring.
 * Macros only. */
#ifndef AZOTE_VIRTIO_VIRTIO_PMEM_H
#define AZOTE_VIRTIO_VIRTIO_PMEM_H

/* The configuration (§5.19.4), little-endian: the guest physical address
 * of the persistent memory region and its length in bytes. */
#define VIRTIO_PMEM_CFG_START   0
#define VIRTIO_PMEM_CFG_SIZE    8
#define VIRTIO_PMEM_CONFIG_SIZE 16

/* One ring, the requestq (§5.19.2). A request is a device-readable le32
 * type, answered in a device-writable le32 status (§5.19.6): FLUSH asks
 * that every write to the region so far be persistent. */
#define VIRTIO_PMEM_REQ_TYPE_FLUSH 0
#define VIRTIO_PMEM_REQ_SIZE       4
#define VIRTIO_PMEM_RESP_SIZE      4
#define VIRTIO_PMEM_RESP_TYPE_OK   0
#define VIRTIO_PMEM_RESP_TYPE_EIO  1

/* Where azote places the region: start and length 2 MiB aligned, as
 * Linux's memremap of it and Firecracker both need. */
#define VIRTIO_PMEM_ALIGN (2ULL << 20)

#endif
