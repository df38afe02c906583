/* PCI bus 0 behind a host bridge, reached through configuration mechanism
 * #1 (ports 0xcf8 address, 0xcfc-0xcff data). Devices join with
 * pci_register(); the bus owns their configuration space semantics:
 * read-only and write-1-to-clear bits, BAR sizing and placement, memory
 * decode (COMMAND bit 1) mapping and unmapping BARs on the MMIO bus, and the
 * capability list. A device adds behaviour through its optional hooks.
 *
 * The same 4-byte port range carries the chipset's reset control register
 * at 0xcf9 (byte access), as on PIIX/ICH chipsets; Linux's reboot=pci and
 * reboot=cf9 use it. */
#ifndef AZOTE_DEVICES_PCI_H
#define AZOTE_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "base/io_bus.h"
#include "base/state.h"

#define PCI_CONFIG_ADDR_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_MAX_SLOTS        32
#define PCI_CFG_SIZE         256
#define PCI_NR_BARS          6

/* Standard configuration header offsets and bits (PCI Local Bus 3.0). */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define  PCI_COMMAND_IO      0x0001
#define  PCI_COMMAND_MEMORY  0x0002
#define  PCI_COMMAND_MASTER  0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS           0x06
#define  PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_CLASS_DEVICE     0x0a
#define PCI_HEADER_TYPE      0x0e
#define PCI_BAR0             0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID     0x2e
#define PCI_CAPABILITY_LIST  0x34
#define PCI_INTERRUPT_LINE   0x3c
#define PCI_INTERRUPT_PIN    0x3d
#define PCI_BAR_MEM_64       0x04

struct pci_device;

struct pci_device_ops {
	/* Called before the guest reads [off, off+len) of configuration
	 * space, for registers whose value the device computes. Optional. */
	void (*config_read)(struct pci_device *d, unsigned off, unsigned len);
	/* Called after the guest wrote [off, off+len) of configuration space
	 * (already applied with the write masks). Optional. */
	void (*config_write)(struct pci_device *d, unsigned off, unsigned len);
	/* BAR bar now decodes at addr (mapped) or stopped decoding. Called
	 * after the bus (un)registered the BAR's MMIO range. Optional. */
	void (*bar_mapped)(struct pci_device *d, int bar, uint64_t addr, bool mapped);
};

struct pci_bar {
	uint64_t size;              /* 0: BAR unused */
	bool is_64;
	const struct io_ops *ops;   /* MMIO handlers for the whole BAR */
	void *opaque;
	uint64_t mapped_addr;       /* where it is registered, if mapped */
	bool mapped;
};

struct pci_device {
	const char *name;           /* for messages */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits the guest clears by writing 1 */
	struct pci_bar bars[PCI_NR_BARS];
	const struct pci_device_ops *ops;
	void *opaque;
	struct pci_bus *bus;
	unsigned slot;
	uint8_t cap_end;            /* next free config offset for capabilities */
};

struct pci_bus {
	pthread_mutex_t lock;       /* serialises config cycles */
	struct io_bus *mmio;
	uint32_t config_address;
	uint8_t reset_control;
	void (*reset)(void *ctx);
	void *reset_ctx;
	struct pci_device *slots[PCI_MAX_SLOTS];
	struct pci_device host_bridge;
	uint64_t mmio_next, mmio_end;  /* BAR window allocator */
};

extern const struct io_ops pci_config_io_ops;  /* register at 0xcf8, len 8 */

/* mmio: the bus BARs decode on; [mmio_start, mmio_end) the window BARs are
 * allocated from; reset: called when the guest writes the reset bit of
 * 0xcf9. Puts the host bridge at slot 0. */
void pci_bus_init(struct pci_bus *bus, struct io_bus *mmio, uint64_t mmio_start,
		  uint64_t mmio_end, void (*reset)(void *), void *ctx);
void pci_bus_destroy(struct pci_bus *bus);

/* Fills the header of a type-0 function: ids, class (base << 16 | sub << 8 |
 * prog_if), no BARs, no capabilities. */
void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint16_t subsys_vendor,
		     uint16_t subsys_id);

/* Declares memory BAR bar of size bytes (a power of two >= 4 KiB) decoded
 * by ops. A 64-bit BAR also takes bar + 1. */
int pci_device_add_bar(struct pci_device *d, int bar, uint64_t size, bool is_64,
		       const struct io_ops *ops, void *opaque, struct azerr *e);

/* Appends a capability of len bytes (id and next pointer included) to the
 * list; returns its offset, or 0 if configuration space is full. */
uint8_t pci_device_add_capability(struct pci_device *d, uint8_t id, uint8_t len);

/* Puts d in the first free slot (or the given slot if >= 0) and assigns
 * its BARs addresses from the bus window. Memory decode stays off until
 * the guest turns it on, as after a firmware that only assigns
 * resources. */
int pci_register(struct pci_bus *bus, struct pci_device *d, int slot, struct azerr *e);

/* The current BAR address as programmed by the guest (or the bus). */
uint64_t pci_bar_address(const struct pci_device *d, int bar);

/* The bus (STATE_PCI_BUS #0: configuration address, reset control) and
 * every function's configuration space (STATE_PCI_CONFIG #slot). Load
 * expects the same functions in the same slots (the VM was built from
 * the same configuration): a section for an empty slot, or read-only bits
 * that differ from this function's, are refused. It then decodes the BARs
 * where the loaded registers place them, as a guest write would (the
 * devices' bar_mapped hooks run; config_write hooks do not: a device
 * restores what it derives from configuration space in its own load);
 * a BAR the guest put over another range stays off, as the write that
 * put it there left it. */
int pci_bus_save(struct pci_bus *bus, struct state_set *s, struct azerr *e);
int pci_bus_load(struct pci_bus *bus, const struct state_set *s, struct azerr *e);

/* Little-endian config space accessors for devices and tests. */
uint32_t pci_cfg_read(const struct pci_device *d, unsigned off, unsigned len);
void pci_cfg_set(struct pci_device *d, unsigned off, unsigned len, uint32_t v);

#endif
