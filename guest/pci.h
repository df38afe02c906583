/* PCI bus 0 through configuration mechanism #1 (ports 0xcf8/0xcfc). */
#ifndef PROBE_PCI_H
#define PROBE_PCI_H

#include "types.h"

#define PCI_MAX_DEVS 32

struct pci_dev {
	u8 slot, fn;
	u16 vendor, device;
	u64 bar_addr[6], bar_size[6];
	bool bar_mem[6], bar_64[6], bar_ready[6];
};

u8 pci_read8(const struct pci_dev *d, u16 off);
u16 pci_read16(const struct pci_dev *d, u16 off);
u32 pci_read32(const struct pci_dev *d, u16 off);
void pci_write16(const struct pci_dev *d, u16 off, u16 v);
void pci_write32(const struct pci_dev *d, u16 off, u32 v);

/* BARs the probe had to assign itself (the VMM left them at 0). */
extern unsigned pci_bars_assigned;

/* Lists every function on bus 0 (BARs sized, not yet enabled). */
unsigned pci_scan(struct pci_dev *out, unsigned max);
/* Makes memory BAR `bar` usable: assigns it from a free MMIO window if
 * the VMM left it unassigned, maps it, and turns on memory decode and bus
 * mastering. False with *why set if it cannot. */
bool pci_enable_bar(struct pci_dev *d, unsigned bar, const char **why);

#endif
