/* MSI-X for an emulated PCI function: the capability, the vector table and
 * the pending-bit array (PCI Local Bus 3.0 §6.8.2), and the delivery of
 * interrupts raised through eventfds (irqfds) or by azote itself.
 *
 * A "source" is a non-blocking eventfd a backend signals (a virtqueue's
 * call fd). While
 * its vector is deliverable (MSI-X enabled, function and vector unmasked)
 * the source is attached to the vector's GSI as a KVM irqfd, so its
 * interrupts never pass through azote. While masked it is detached and
 * watched by the main loop instead, which sets the pending bit; unmasking
 * delivers what is pending and re-attaches it, as the spec requires. */
#ifndef AZOTE_DEVICES_MSIX_H
#define AZOTE_DEVICES_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "devices/pci.h"
#include "base/event_loop.h"
#include "base/state.h"

#define MSIX_MAX_VECTORS   64
#define MSIX_MAX_SOURCES   64
#define MSIX_NO_VECTOR     0xffff
#define MSIX_ENTRY_SIZE    16
#define PCI_CAP_ID_MSIX    0x11

/* What MSI-X needs from the hypervisor. All return 0 or -1. */
struct msix_host_ops {
	int (*alloc_gsi)(void *ctx);                   /* -1 on exhaustion */
	int (*route)(void *ctx, unsigned gsi, uint64_t addr, uint32_t data);
	int (*irqfd)(void *ctx, unsigned gsi, int fd, bool attach);
	int (*signal)(void *ctx, uint64_t addr, uint32_t data);
	/* Start or stop calling h->ready when h->fd is readable. */
	int (*watch)(void *ctx, struct event_handler *h, bool on);
};

/* The dwords of a table entry, in table order. */
enum { MSIX_ADDR_LO, MSIX_ADDR_HI, MSIX_DATA, MSIX_CTRL, MSIX_ENTRY_WORDS };

struct msix_vector {
	uint32_t entry[MSIX_ENTRY_WORDS];
	int gsi;              /* -1 until first needed */
	bool routed;          /* the GSI holds this entry's current message */
};

struct msix;

struct msix_source {
	struct msix *msix;
	struct event_handler watch;  /* fd, used while masked */
	uint16_t vector;             /* MSIX_NO_VECTOR: not connected */
	bool attached;               /* an irqfd on attached_gsi */
	unsigned attached_gsi;
	bool watched;
};

struct msix {
	pthread_mutex_t lock;
	struct pci_device *dev;
	uint8_t cap;                 /* capability offset in config space */
	unsigned nr_vectors;
	struct msix_vector vectors[MSIX_MAX_VECTORS];
	uint64_t pba;                /* pending bits, one per vector */
	struct msix_source sources[MSIX_MAX_SOURCES];
	unsigned nr_sources;
	const struct msix_host_ops *host;
	void *host_ctx;
};

/* Adds the capability to d; the table and PBA live in BAR bar at the given
 * offsets (8-byte aligned), where the device's BAR handler forwards
 * accesses to msix_table_access / msix_pba_read. */
int msix_init(struct msix *m, struct pci_device *d, unsigned nr_vectors,
	      int bar, uint32_t table_off, uint32_t pba_off,
	      const struct msix_host_ops *host, void *ctx, struct azerr *e);
void msix_destroy(struct msix *m);

/* Table accesses at offset off in the table (4 or 8 bytes, aligned). */
void msix_table_read(struct msix *m, uint64_t off, void *data, unsigned len);
void msix_table_write(struct msix *m, uint64_t off, const void *data, unsigned len);
void msix_pba_read(struct msix *m, uint64_t off, void *data, unsigned len);
/* The device's config_write hook calls this for writes that touch the
 * capability (enable and function-mask bits). */
void msix_config_write(struct msix *m, unsigned off, unsigned len);

/* Registers an eventfd as a source; returns its index or -1. */
int msix_add_source(struct msix *m, int fd, struct azerr *e);
/* Connects source idx to vector (MSIX_NO_VECTOR disconnects it): what the
 * source raised on its old vector while masked pends there, what it
 * raised with no vector is dropped, what it raises from now on is the
 * new vector's. */
void msix_source_set_vector(struct msix *m, unsigned idx, uint16_t vector);
/* Raises vector from azote itself (e.g. a configuration change). */
void msix_notify(struct msix *m, uint16_t vector);
/* Whether vector is a valid table index. */
bool msix_vector_valid(const struct msix *m, uint16_t vector);

/* The vector table and pending bits as section STATE_MSIX #index (the
 * enable and mask bits are in configuration space, pci_bus_save's); what
 * a masked vector's sources raised and the main loop has not collected
 * yet is saved as pending (save collects it first). Load
 * refuses a table of another size and reserved bits, then brings routes,
 * irqfds and watches in line with the loaded table and capability, as
 * after a guest write: call it after pci_bus_load. Sources keep their
 * vectors; whoever connected them sets them again
 * (msix_source_set_vector). */
int msix_save(struct msix *m, struct state_set *s, uint32_t index, struct azerr *e);
int msix_load(struct msix *m, const struct state_set *s, uint32_t index, struct azerr *e);

#endif
