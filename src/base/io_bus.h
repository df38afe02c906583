/* Address-range dispatch for guest port I/O and MMIO exits.
 *
 * Devices register [base, base+len) with a read and a write handler. The
 * vCPU threads look ranges up on every PIO/MMIO exit; PCI BAR moves may add
 * and remove MMIO ranges while the guest runs, hence the rwlock. Handlers are
 * called with the bus read-locked and must not register or unregister. */
#ifndef AZOTE_BASE_IO_BUS_H
#define AZOTE_BASE_IO_BUS_H

#include <pthread.h>
#include <stdint.h>

#include "common/err.h"

struct io_ops {
	/* offset is relative to the range base; len is 1, 2, 4 or 8 for
	 * ports, 1 to 8 for MMIO (KVM splits an access that crosses a page
	 * into pieces of any length). */
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned len);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned len);
};

struct io_range {
	uint64_t base, len;
	const struct io_ops *ops;
	void *opaque;
};

struct io_bus {
	const char *name;          /* "port" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct io_range *ranges;   /* sorted by base, non-overlapping */
	unsigned nr, cap;
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_destroy(struct io_bus *bus);

/* Fails (and says which ranges clash) if [base, base+len) overlaps a range
 * already registered, or if len is 0 or the range wraps. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *opaque, struct azerr *e);
/* Removes the range registered at exactly base for opaque; -1 if none. */
int io_bus_unregister(struct io_bus *bus, uint64_t base, void *opaque);

/* Dispatches an access. Returns 0 if a range covers [addr, addr+len),
 * -1 if not (the caller decides what an unclaimed access does). An access
 * straddling the end of a range is not claimed. */
int io_bus_read(struct io_bus *bus, uint64_t addr, void *data, unsigned len);
int io_bus_write(struct io_bus *bus, uint64_t addr, const void *data, unsigned len);

#endif
