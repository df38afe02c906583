/* PCI bus 0, configuration mechanism #1. Runs at CPL 3 (port I/O through
 * the TSS bitmap): each access is two VM exits, fine at set-up time. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "pci.h"
#include "x86.h"

#define CONF_ADDR     0xcf8
#define CONF_DATA     0xcfc
#define PCI_COMMAND   0x04
#define CMD_MEM       0x0002
#define CMD_MASTER    0x0004
#define CMD_INTX_OFF  0x0400
#define PCI_HDR_TYPE  0x0e
#define PCI_BAR0      0x10
#define MMIO_WIN_END  0xfec00000ULL   /* IOAPIC, LAPIC and ROM above */

static u32 cfg_addr(const struct pci_dev *d, u16 off)
{
	return 0x80000000u | (u32)d->slot << 11 | (u32)d->fn << 8 | (off & 0xfc);
}

u32 pci_read32(const struct pci_dev *d, u16 off)
{
	outl(CONF_ADDR, cfg_addr(d, off));
	return inl(CONF_DATA);
}

u16 pci_read16(const struct pci_dev *d, u16 off)
{
	outl(CONF_ADDR, cfg_addr(d, off));
	return inw(CONF_DATA + (off & 2));
}

u8 pci_read8(const struct pci_dev *d, u16 off)
{
	outl(CONF_ADDR, cfg_addr(d, off));
	return inb(CONF_DATA + (off & 3));
}

void pci_write32(const struct pci_dev *d, u16 off, u32 v)
{
	outl(CONF_ADDR, cfg_addr(d, off));
	outl(CONF_DATA, v);
}

void pci_write16(const struct pci_dev *d, u16 off, u16 v)
{
	outl(CONF_ADDR, cfg_addr(d, off));
	outw(CONF_DATA + (off & 2), v);
}

/* Sizes each BAR with decode off (a BAR briefly all-ones must not claim
 * addresses), as the PCI spec asks. */
static void size_bars(struct pci_dev *d)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd & ~(CMD_MEM | 1));
	for (unsigned i = 0; i < 6; i++) {
		u16 off = (u16)(PCI_BAR0 + 4 * i);
		u32 lo = pci_read32(d, off), szlo, hi = 0, szhi = 0xffffffff;
		u64 mask;

		if (lo & 1)
			continue;   /* I/O BAR: virtio-pci modern does not use them */
		d->bar_mem[i] = true;
		d->bar_64[i] = (lo & 6) == 4 && i < 5;
		pci_write32(d, off, 0xffffffff);
		szlo = pci_read32(d, off);
		pci_write32(d, off, lo);
		if (d->bar_64[i]) {
			hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xffffffff);
			szhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
		}
		mask = ((u64)szhi << 32 | (szlo & ~0xfu));
		if (!d->bar_64[i])
			mask |= 0xffffffff00000000ULL;
		d->bar_size[i] = (szlo & ~0xfu) ? ~mask + 1 : 0;
		d->bar_addr[i] = ((u64)hi << 32 | (lo & ~0xfu));
		if (d->bar_64[i])
			i++;   /* the upper half is not a BAR of its own */
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

unsigned pci_bars_assigned;
static struct pci_dev *scanned;
static unsigned nr_scanned;

unsigned pci_scan(struct pci_dev *out, unsigned max)
{
	unsigned n = 0;

	for (u8 slot = 0; slot < 32; slot++) {
		for (u8 fn = 0; fn < 8 && n < max; fn++) {
			struct pci_dev *d = &out[n];
			u32 id;

			memset(d, 0, sizeof(*d));
			d->slot = slot;
			d->fn = fn;
			id = pci_read32(d, 0);
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			d->vendor = (u16)id;
			d->device = (u16)(id >> 16);
			size_bars(d);
			n++;
			if (fn == 0 && !(pci_read8(d, PCI_HDR_TYPE) & 0x80))
				break;   /* not multi-function */
		}
	}
	scanned = out;
	nr_scanned = n;
	return n;
}

/* Where to put BARs the VMM left unassigned: above low RAM and above every
 * BAR already assigned below 4 GiB, under the IOAPIC. */
static u64 mmio_next;

static u64 alloc_mmio(u64 size, const struct pci_dev *all, unsigned n)
{
	u64 a;

	if (!mmio_next) {
		mmio_next = ALIGN_UP(bootinfo_ram_end(4 * GIB), 256 * MIB);
		for (unsigned i = 0; i < n; i++)
			for (unsigned b = 0; b < 6; b++) {
				u64 end = all[i].bar_addr[b] + all[i].bar_size[b];

				if (all[i].bar_addr[b] && end <= MMIO_WIN_END)
					mmio_next = MAX(mmio_next, end);
			}
	}
	a = ALIGN_UP(mmio_next, size);
	if (a + size > MMIO_WIN_END)
		return 0;
	mmio_next = a + size;
	return a;
}

bool pci_enable_bar(struct pci_dev *d, unsigned bar, const char **why)
{
	u16 off = (u16)(PCI_BAR0 + 4 * bar);

	if (bar >= 6 || !d->bar_mem[bar] || !d->bar_size[bar]) {
		*why = "reason=cap_names_missing_bar";
		return false;
	}
	if (d->bar_ready[bar])
		return true;
	if (!d->bar_addr[bar]) {
		u64 a = alloc_mmio(d->bar_size[bar], scanned, nr_scanned);

		if (!a) {
			*why = "reason=no_mmio_window_for_bar";
			return false;
		}
		pci_bars_assigned++;
		pci_write32(d, off, (u32)a);
		if (d->bar_64[bar])
			pci_write32(d, off + 4, (u32)(a >> 32));
		d->bar_addr[bar] = a;
	}
	if (syscall2(SYS_MAP_MMIO, d->bar_addr[bar], d->bar_size[bar])) {
		*why = "reason=bar_unmappable";
		return false;
	}
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | CMD_MEM |
		    CMD_MASTER | CMD_INTX_OFF);
	d->bar_ready[bar] = true;
	return true;
}
