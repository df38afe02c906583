#include "arch/x86/mptable.h"

#include <stdint.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/irq_wiring.h"
#include "arch/x86/layout.h"

/* Field layouts from the MP spec 1.4, chapter 4. */
struct mpf_intel {            /* floating pointer structure */
	char signature[4];    /* "_MP_" */
	uint32_t physptr;     /* configuration table */
	uint8_t length;       /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];   /* 0: a configuration table is present */
} __attribute__((packed));

struct mpc_table {            /* configuration table header */
	char signature[4];    /* "PCMP" */
	uint16_t length;      /* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;       /* base table entries */
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;  /* CPUID.1 EAX */
	uint32_t featureflag; /* CPUID.1 EDX */
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {           /* I/O and local interrupt assignments */
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;     /* 0: polarity and trigger conform to the bus */
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mpc_table) == 44, "MP config header");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry");
_Static_assert(sizeof(struct mpc_bus) == 8, "MP bus entry");
_Static_assert(sizeof(struct mpc_ioapic) == 8, "MP IOAPIC entry");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry");

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

#define MP_SPEC_REV        4      /* 1.4 */
#define CPU_ENABLED        0x01
#define CPU_BOOTPROCESSOR  0x02
#define IOAPIC_ENABLED     0x01
#define APIC_ALL           0xff
/* A processor signature for family 6 with an on-chip FPU and APIC; Linux
 * reads only the APIC ID and flags, the real values come from CPUID. */
#define CPU_SIGNATURE      0x600
#define CPU_FEATURES       ((1u << 0) | (1u << 9))

#define BUS_PCI            0
#define BUS_ISA            1

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

static unsigned nr_entries(int nr_cpus)
{
	/* processors, 2 buses, 1 IOAPIC, IOAPIC pins, LINT0 and LINT1 */
	return (unsigned)nr_cpus + 2 + 1 + IOAPIC_PINS + 2;
}

size_t mptable_config_size(int nr_cpus)
{
	return sizeof(struct mpc_table) + (size_t)nr_cpus * sizeof(struct mpc_cpu) +
	       2 * sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       (IOAPIC_PINS + 2) * sizeof(struct mpc_intsrc);
}

/* Appends one entry at *pos and advances it. */
#define EMIT(pos, entry) do {				\
	memcpy((pos), &(entry), sizeof(entry));		\
	(pos) += sizeof(entry);				\
} while (0)

static void write_entries(uint8_t *p, int nr_cpus)
{
	uint8_t ioapic_apicid = (uint8_t)ioapic_id(nr_cpus);

	for (int i = 0; i < nr_cpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR, .apicid = (uint8_t)i,
			.apicver = LAPIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = CPU_SIGNATURE, .featureflag = CPU_FEATURES,
		};
		EMIT(p, cpu);
	}
	struct mpc_bus pci = { .type = MP_BUS, .busid = BUS_PCI };
	struct mpc_bus isa = { .type = MP_BUS, .busid = BUS_ISA };
	memcpy(pci.bustype, "PCI   ", 6);
	memcpy(isa.bustype, "ISA   ", 6);
	EMIT(p, pci);
	EMIT(p, isa);
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC, .apicid = ioapic_apicid, .apicver = IOAPIC_VERSION,
		.flags = IOAPIC_ENABLED, .apicaddr = (uint32_t)GPA_IOAPIC,
	};
	EMIT(p, ioapic);
	/* The wiring irq_wiring.h describes, which the MADT declares too;
	 * irqflag 0: ISA's own polarity and trigger (edge, active high).
	 * Every IOAPIC pin, 16-23 included, is named as an ISA-bus
	 * interrupt: virtio-mmio devices are wired to pins above 15 too, and
	 * Linux only maps the pins its table names. */
	for (unsigned irq = 0; irq < IOAPIC_PINS; irq++) {
		struct mpc_intsrc src = {
			.type = MP_INTSRC, .irqtype = MP_INT, .srcbus = BUS_ISA,
			.srcbusirq = (uint8_t)irq, .dstapic = ioapic_apicid,
			.dstirq = (uint8_t)isa_irq_gsi(irq),
		};
		EMIT(p, src);
	}
	/* Virtual wire mode: the PIC reaches the CPUs through LINT0. */
	struct mpc_intsrc lint0 = {
		.type = MP_LINTSRC, .irqtype = MP_EXTINT, .srcbus = BUS_ISA,
		.dstapic = APIC_ALL, .dstirq = 0,
	};
	struct mpc_intsrc lint1 = {
		.type = MP_LINTSRC, .irqtype = MP_NMI, .srcbus = BUS_ISA,
		.dstapic = APIC_ALL, .dstirq = 1,
	};
	EMIT(p, lint0);
	EMIT(p, lint1);
}

/* The BIOS data area fields a firmware leaves and MP-spec scanners read
 * first: the EBDA's segment, whose first KiB holds the floating pointer,
 * and the base memory size in KiB (which ends where the EBDA starts). */
static int write_bda(struct guest_mem *m, struct azerr *e)
{
	uint8_t *seg = guest_mem_ptr(m, GPA_BDA_EBDA_SEG, 2);
	uint8_t *kb = guest_mem_ptr(m, GPA_BDA_BASE_KB, 2);
	uint16_t seg_v = (uint16_t)(GPA_EBDA >> 4), kb_v = (uint16_t)(GPA_EBDA >> 10);

	if (!seg || !kb)
		return azerr_set(e, "BIOS data area: 0x400 is not guest RAM");
	memcpy(seg, &seg_v, 2);
	memcpy(kb, &kb_v, 2);
	return 0;
}

int mptable_write(struct guest_mem *m, int nr_cpus, struct azerr *e)
{
	if (nr_cpus < 1 || nr_cpus > BOOT_MAX_CPUS)
		return azerr_set(e, "MP table: %d CPUs is out of range 1..%d",
				 nr_cpus, BOOT_MAX_CPUS);
	size_t size = mptable_config_size(nr_cpus);
	if (GPA_MP_CONFIG + size > GPA_HIGH_MEM)
		return azerr_set(e, "MP table for %d CPUs needs %zu bytes, only %llu "
				 "fit between 0x%llx and 1 MiB", nr_cpus, size,
				 GPA_HIGH_MEM - GPA_MP_CONFIG, GPA_MP_CONFIG);
	uint8_t *cfg = guest_mem_ptr(m, GPA_MP_CONFIG, size);
	struct mpf_intel mpf = {
		.signature = "_MP_", .physptr = (uint32_t)GPA_MP_CONFIG,
		.length = sizeof(mpf) / 16, .spec_rev = MP_SPEC_REV,
	};
	void *mpf_dst = guest_mem_ptr(m, GPA_MPTABLE, sizeof(mpf));
	if (!cfg || !mpf_dst)
		return azerr_set(e, "MP table: 0x%llx..0x%llx is not guest RAM",
				 GPA_MP_CONFIG, GPA_MPTABLE + sizeof(mpf));

	struct mpc_table hdr = {
		.signature = "PCMP", .length = (uint16_t)size,
		.spec_rev = MP_SPEC_REV, .oem = "AZOTE   ",
		.product = "MICROVM     ", .count = (uint16_t)nr_entries(nr_cpus),
		.lapic = (uint32_t)GPA_LAPIC,
		/* No extended entries: length 0, and the checksum of nothing. */
		.ext_length = 0, .ext_checksum = 0,
	};
	memset(cfg, 0, size);
	memcpy(cfg, &hdr, sizeof(hdr));
	write_entries(cfg + sizeof(hdr), nr_cpus);
	cfg[offsetof(struct mpc_table, checksum)] = checksum(cfg, size);

	mpf.checksum = checksum(&mpf, sizeof(mpf));
	memcpy(mpf_dst, &mpf, sizeof(mpf));
	return write_bda(m, e);
}
