#include "devices/pci.h"

#include <string.h>

#include "common/log.h"

#define CONFIG_ENABLE     0x80000000u
#define CONFIG_ADDR_MASK  0x80fffffcu  /* enable, bus, dev, fn, dword reg */
#define RCR_SYS_RST       0x02
#define RCR_RST_CPU       0x04
#define RCR_FULL_RST      0x08
#define RCR_MASK          (RCR_SYS_RST | RCR_RST_CPU | RCR_FULL_RST)

/* An ID pair commonly used for a virtual PCI host bridge; Linux only looks
 * at the class (host bridge) before trusting mechanism #1. */
#define HOST_BRIDGE_VENDOR 0x8086
#define HOST_BRIDGE_DEVICE 0x0d57
#define CLASS_HOST_BRIDGE  0x060000

uint32_t pci_cfg_read(const struct pci_device *d, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

void pci_cfg_set(struct pci_device *d, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		d->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void mask_set(uint8_t *mask, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		mask[off + i] = (uint8_t)(v >> (8 * i));
}

void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint16_t subsys_vendor,
		     uint16_t subsys_id)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	pci_cfg_set(d, PCI_VENDOR_ID, 2, vendor);
	pci_cfg_set(d, PCI_DEVICE_ID, 2, device);
	pci_cfg_set(d, PCI_REVISION_ID, 1, 1);
	pci_cfg_set(d, PCI_CLASS_PROG, 1, class_code & 0xff);
	pci_cfg_set(d, PCI_CLASS_DEVICE, 2, class_code >> 8);
	pci_cfg_set(d, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	pci_cfg_set(d, PCI_SUBSYSTEM_ID, 2, subsys_id);
	/* IO, memory, bus master, parity, SERR, INTx disable. */
	mask_set(d->wmask, PCI_COMMAND, 2, 0x0547);
	/* Error bits of STATUS clear on writing 1. */
	mask_set(d->w1cmask, PCI_STATUS, 2, 0xf900);
	/* Cache line size, latency timer, interrupt line: OS scratch. */
	d->wmask[0x0c] = 0xff;
	d->wmask[0x0d] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_end = 0x40;
}

int pci_device_add_bar(struct pci_device *d, int bar, uint64_t size, bool is_64,
		       const struct io_ops *ops, void *opaque, struct azerr *e)
{
	if (bar < 0 || bar + (is_64 ? 1 : 0) >= PCI_NR_BARS)
		return azerr_set(e, "%s: BAR %d out of range", d->name, bar);
	if (size < 4096 || (size & (size - 1)) || (!is_64 && size > (1ULL << 31)))
		return azerr_set(e, "%s: BAR %d size 0x%llx is not a power of two in range",
				 d->name, bar, (unsigned long long)size);
	if (d->bars[bar].size || (bar > 0 && d->bars[bar - 1].is_64))
		return azerr_set(e, "%s: BAR %d declared twice", d->name, bar);
	d->bars[bar] = (struct pci_bar){
		.size = size, .is_64 = is_64, .ops = ops, .opaque = opaque,
	};
	unsigned off = PCI_BAR0 + 4 * (unsigned)bar;
	pci_cfg_set(d, off, 4, is_64 ? PCI_BAR_MEM_64 : 0);
	/* The address bits above the size are writable; sizing reads back
	 * ~(size - 1) with the read-only type bits. */
	mask_set(d->wmask, off, 4, (uint32_t)~(size - 1) & ~0xfu);
	if (is_64)
		mask_set(d->wmask, off + 4, 4, (uint32_t)(~(size - 1) >> 32));
	return 0;
}

uint8_t pci_device_add_capability(struct pci_device *d, uint8_t id, uint8_t len)
{
	unsigned off = (d->cap_end + 3u) & ~3u;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return 0;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	/* Link at the tail so the list reads in the order caps were added. */
	uint8_t *link = &d->cfg[PCI_CAPABILITY_LIST];
	while (*link)
		link = &d->cfg[*link + 1];
	*link = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_end = (uint8_t)(off + len > 0xff ? 0xff : off + len);
	return (uint8_t)off;
}

uint64_t pci_bar_address(const struct pci_device *d, int bar)
{
	uint64_t addr = pci_cfg_read(d, PCI_BAR0 + 4 * (unsigned)bar, 4) & ~0xfULL;

	if (d->bars[bar].is_64)
		addr |= (uint64_t)pci_cfg_read(d, PCI_BAR0 + 4 * (unsigned)bar + 4, 4) << 32;
	return addr;
}

/* Brings the MMIO bus in line with the BAR registers and memory decode.
 * A BAR that cannot be decoded where it is (it overlaps another range)
 * stays off; the first such failure is reported in e. */
static int pci_update_bars(struct pci_device *d, struct azerr *e)
{
	int ret = 0;

	bool decode = pci_cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;

	for (int i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		if (!b->size)
			continue;
		uint64_t addr = pci_bar_address(d, i);
		bool want = decode && addr && addr + b->size > addr;

		if (b->mapped && (!want || addr != b->mapped_addr)) {
			io_bus_unregister(d->bus->mmio, b->mapped_addr, b->opaque);
			b->mapped = false;
			if (d->ops && d->ops->bar_mapped)
				d->ops->bar_mapped(d, i, b->mapped_addr, false);
		}
		if (want && !b->mapped) {
			struct azerr why;
			if (io_bus_register(d->bus->mmio, addr, b->size, b->ops,
					    b->opaque, &why) < 0) {
				if (!ret)
					azerr_set(e, "%s: BAR %d at 0x%llx not decoded: %s",
						  d->name, i, (unsigned long long)addr, why.msg);
				ret = -1;
				continue;
			}
			b->mapped = true;
			b->mapped_addr = addr;
			if (d->ops && d->ops->bar_mapped)
				d->ops->bar_mapped(d, i, addr, true);
		}
	}
	return ret;
}

static void pci_config_write(struct pci_device *d, unsigned off, unsigned len,
			     uint32_t v)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(v >> (8 * i));
		uint8_t cur = d->cfg[o];
		cur = (uint8_t)((cur & ~d->wmask[o]) | (b & d->wmask[o]));
		cur = (uint8_t)(cur & ~(b & d->w1cmask[o]));
		d->cfg[o] = cur;
	}
	bool touches_cmd = off < PCI_COMMAND + 2 && off + len > PCI_COMMAND;
	bool touches_bar = off < PCI_BAR0 + 4 * PCI_NR_BARS && off + len > PCI_BAR0;
	struct azerr e;
	if ((touches_cmd || touches_bar) && pci_update_bars(d, &e) < 0)
		log_warn("%s", e.msg);
	if (d->ops && d->ops->config_write)
		d->ops->config_write(d, off, len);
}

static struct pci_device *selected_device(struct pci_bus *bus, unsigned *reg)
{
	uint32_t a = bus->config_address;
	unsigned busnr = (a >> 16) & 0xff, dev = (a >> 11) & 0x1f, fn = (a >> 8) & 7;

	if (!(a & CONFIG_ENABLE) || busnr != 0 || fn != 0)
		return NULL;
	*reg = a & 0xfc;
	return bus->slots[dev];
}

static void pci_io_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct pci_bus *bus = opaque;
	uint32_t v = 0xffffffff;
	unsigned reg;

	pthread_mutex_lock(&bus->lock);
	if (off == 0 && len == 4) {
		v = bus->config_address;
	} else if (off == 1 && len == 1) {
		v = bus->reset_control;
	} else if (off >= 4 && off - 4 + len <= 4) {
		struct pci_device *d = selected_device(bus, &reg);
		if (d) {
			unsigned o = reg + (unsigned)(off - 4);
			if (d->ops && d->ops->config_read)
				d->ops->config_read(d, o, len);
			v = pci_cfg_read(d, o, len);
		}
	}
	pthread_mutex_unlock(&bus->lock);
	memcpy(data, &v, len > 4 ? 4 : len);
}

static void pci_io_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct pci_bus *bus = opaque;
	uint32_t v = 0;
	unsigned reg;
	bool reset = false;

	memcpy(&v, data, len > 4 ? 4 : len);
	pthread_mutex_lock(&bus->lock);
	if (off == 0 && len == 4) {
		bus->config_address = v & CONFIG_ADDR_MASK;
	} else if (off == 1 && len == 1) {
		/* A reset happens when RST_CPU goes from 0 to 1. */
		reset = (v & RCR_RST_CPU) && !(bus->reset_control & RCR_RST_CPU);
		bus->reset_control = (uint8_t)(v & RCR_MASK);
	} else if (off >= 4 && off - 4 + len <= 4) {
		struct pci_device *d = selected_device(bus, &reg);
		if (d)
			pci_config_write(d, reg + (unsigned)(off - 4), len, v);
	}
	pthread_mutex_unlock(&bus->lock);
	if (reset && bus->reset)
		bus->reset(bus->reset_ctx);
}

const struct io_ops pci_config_io_ops = { .read = pci_io_read, .write = pci_io_write };

void pci_bus_init(struct pci_bus *bus, struct io_bus *mmio, uint64_t mmio_start,
		  uint64_t mmio_end, void (*reset)(void *), void *ctx)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	bus->mmio = mmio;
	bus->mmio_next = mmio_start;
	bus->mmio_end = mmio_end;
	bus->reset = reset;
	bus->reset_ctx = ctx;
	pci_device_init(&bus->host_bridge, "host bridge", HOST_BRIDGE_VENDOR,
			HOST_BRIDGE_DEVICE, CLASS_HOST_BRIDGE, 0, 0);
	bus->host_bridge.bus = bus;
	bus->slots[0] = &bus->host_bridge;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_mutex_destroy(&bus->lock);
}

int pci_register(struct pci_bus *bus, struct pci_device *d, int slot, struct azerr *e)
{
	if (slot < 0) {
		for (slot = 0; slot < PCI_MAX_SLOTS && bus->slots[slot]; slot++)
			;
		if (slot == PCI_MAX_SLOTS)
			return azerr_set(e, "%s: no free PCI slot (bus 0 has %d)",
					 d->name, PCI_MAX_SLOTS);
	} else if (slot >= PCI_MAX_SLOTS || bus->slots[slot]) {
		return azerr_set(e, "%s: PCI slot %d is taken or invalid", d->name, slot);
	}

	uint64_t next = bus->mmio_next;
	for (int i = 0; i < PCI_NR_BARS; i++) {
		uint64_t size = d->bars[i].size;
		if (!size)
			continue;
		uint64_t addr = (next + size - 1) & ~(size - 1);
		if (addr + size > bus->mmio_end)
			return azerr_set(e, "%s: PCI MMIO window exhausted placing BAR %d (0x%llx bytes)",
					 d->name, i, (unsigned long long)size);
		pci_cfg_set(d, PCI_BAR0 + 4 * (unsigned)i, 4,
			    (uint32_t)addr | (d->bars[i].is_64 ? PCI_BAR_MEM_64 : 0));
		if (d->bars[i].is_64)
			pci_cfg_set(d, PCI_BAR0 + 4 * (unsigned)i + 4, 4, (uint32_t)(addr >> 32));
		next = addr + size;
	}
	bus->mmio_next = next;
	d->bus = bus;
	d->slot = (unsigned)slot;
	pthread_mutex_lock(&bus->lock);
	bus->slots[slot] = d;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

/* STATE_PCI_BUS's layout. */
struct pci_bus_wire {
	uint32_t config_address;
	uint8_t reset_control, pad[3];
};

int pci_bus_save(struct pci_bus *bus, struct state_set *s, struct azerr *e)
{
	int ret = 0;

	pthread_mutex_lock(&bus->lock);
	struct pci_bus_wire w = {
		.config_address = bus->config_address, .reset_control = bus->reset_control,
	};
	ret = state_put(s, STATE_PCI_BUS, 0, &w, sizeof(w), e);
	for (unsigned i = 0; i < PCI_MAX_SLOTS && !ret; i++)
		if (bus->slots[i])
			ret = state_put(s, STATE_PCI_CONFIG, i, bus->slots[i]->cfg,
					PCI_CFG_SIZE, e);
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

/* Bits the guest can neither set nor clear are the function's identity and
 * layout (IDs, class, capabilities, BAR types, table sizes): they must be
 * this function's. */
static int check_config(const struct pci_device *d, const uint8_t *cfg, unsigned slot,
			struct azerr *e)
{
	for (unsigned o = 0; o < PCI_CFG_SIZE; o++) {
		uint8_t fixed = (uint8_t)~(d->wmask[o] | d->w1cmask[o]);
		if ((cfg[o] ^ d->cfg[o]) & fixed)
			return state_refuse(e, STATE_PCI_CONFIG, slot, "configuration space",
					    "byte 0x%02x is 0x%02x where %s has read-only bits "
					    "0x%02x: not the same function", o, cfg[o], d->name,
					    d->cfg[o] & fixed);
	}
	return 0;
}

static int load_bus_regs(struct pci_bus *bus, const struct state_set *s, struct azerr *e)
{
	const struct pci_bus_wire *w = state_get(s, STATE_PCI_BUS, 0, sizeof(*w), e);

	if (!w)
		return -1;
	if (w->config_address & ~CONFIG_ADDR_MASK)
		return state_refuse(e, STATE_PCI_BUS, 0, "config_address",
				    "0x%08x has reserved bits", w->config_address);
	if (w->reset_control & ~RCR_MASK)
		return state_refuse(e, STATE_PCI_BUS, 0, "reset_control",
				    "0x%02x has reserved bits", w->reset_control);
	bus->config_address = w->config_address;
	bus->reset_control = w->reset_control;
	return 0;
}

int pci_bus_load(struct pci_bus *bus, const struct state_set *s, struct azerr *e)
{
	int ret;

	pthread_mutex_lock(&bus->lock);
	ret = load_bus_regs(bus, s, e);
	/* Everything is checked before anything is changed. */
	for (unsigned i = 0; i < PCI_MAX_SLOTS && !ret; i++) {
		struct pci_device *d = bus->slots[i];
		const uint8_t *cfg;
		if (!d) {
			if (state_find(s, STATE_PCI_CONFIG, i))
				ret = state_refuse(e, STATE_PCI_CONFIG, i, "slot",
						   "%u is empty in this VM", i);
		} else if (!(cfg = state_get(s, STATE_PCI_CONFIG, i, PCI_CFG_SIZE, e)) ||
			   check_config(d, cfg, i, e) < 0) {
			ret = -1;
		}
	}
	for (unsigned i = 0; i < PCI_MAX_SLOTS && !ret; i++) {
		struct pci_device *d = bus->slots[i];
		struct azerr why;
		if (!d)
			continue;
		memcpy(d->cfg, state_find(s, STATE_PCI_CONFIG, i)->data, PCI_CFG_SIZE);
		/* A guest may put a BAR over another range; it stayed off in the
		 * VM that was saved, and stays off here, as a config write
		 * leaves it: the snapshot loads. */
		if (pci_update_bars(d, &why) < 0)
			log_warn("%s", why.msg);
	}
	pthread_mutex_unlock(&bus->lock);
	return ret;
}
