#include "base/io_bus.h"

#include <stdlib.h>
#include <string.h>

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
}

void io_bus_destroy(struct io_bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose end is above addr. */
static unsigned lower_bound(const struct io_bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->ranges[mid];
		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *opaque, struct azerr *e)
{
	int ret = -1;

	if (len == 0 || base + len < base)
		return azerr_set(e, "%s range 0x%llx+0x%llx is empty or wraps",
				 bus->name, (unsigned long long)base,
				 (unsigned long long)len);
	pthread_rwlock_wrlock(&bus->lock);
	unsigned i = lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base < base + len) {
		azerr_set(e, "%s range 0x%llx+0x%llx overlaps 0x%llx+0x%llx",
			  bus->name, (unsigned long long)base,
			  (unsigned long long)len,
			  (unsigned long long)bus->ranges[i].base,
			  (unsigned long long)bus->ranges[i].len);
		goto out;
	}
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct io_range *n = realloc(bus->ranges, cap * sizeof(*n));
		if (!n) {
			azerr_set(e, "out of memory registering a %s range", bus->name);
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct io_range){ base, len, ops, opaque };
	bus->nr++;
	ret = 0;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base, void *opaque)
{
	int ret = -1;

	pthread_rwlock_wrlock(&bus->lock);
	unsigned i = lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base &&
	    bus->ranges[i].opaque == opaque) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static int dispatch(struct io_bus *bus, uint64_t addr, void *rdata,
		    const void *wdata, unsigned len)
{
	int ret = -1;

	pthread_rwlock_rdlock(&bus->lock);
	unsigned i = lower_bound(bus, addr);
	if (i < bus->nr) {
		const struct io_range *r = &bus->ranges[i];
		if (addr >= r->base && addr - r->base + len <= r->len) {
			if (rdata)
				r->ops->read(r->opaque, addr - r->base, rdata, len);
			else
				r->ops->write(r->opaque, addr - r->base, wdata, len);
			ret = 0;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int io_bus_read(struct io_bus *bus, uint64_t addr, void *data, unsigned len)
{
	return dispatch(bus, addr, data, NULL, len);
}

int io_bus_write(struct io_bus *bus, uint64_t addr, const void *data, unsigned len)
{
	return dispatch(bus, addr, NULL, data, len);
}
