/* boot_inspect: runs azote's x86 boot loader on a real kernel file into a
 * guest RAM memfd, then prints what the guest would find (zero page or
 * hvm_start_info, command line, e820, MP table, ACPI RSDP) and the boot
 * registers, one key=value per line, for tests/integration/20-boot-real-
 * kernel.sh. With /dev/kvm present it also hands the registers to a real
 * vCPU (KVM_SET_SREGS/KVM_SET_REGS), which refuses inconsistent state.
 * --acpi-dir writes each ACPI table the guest would find, as DIR/SIG.dat
 * (RSDP.dat, XSDT.dat, then the tables the XSDT and FADT point at), for
 * tests/integration/21-acpi-iasl.sh.
 *
 *   boot_inspect --kernel PATH [--initrd PATH] [--cmdline STR]
 *                [--memory SIZE] [--cpus N] [--entry auto|pvh|linux64]
 *                [--pci] [--mmio BASE:SIZE:GSI]... [--acpi-dir DIR]
 */
#include <asm/bootparam.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "arch/x86/boot_regs.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "arch/x86/pvh.h"
#include "common/size.h"
#include "acpi_dump.h"

#define X(v) ((unsigned long long)(v))

static void usage(void)
{
	fprintf(stderr, "usage: boot_inspect --kernel PATH [--initrd PATH] "
		"[--cmdline STR] [--memory SIZE] [--cpus N] "
		"[--entry auto|pvh|linux64] [--pci] [--mmio BASE:SIZE:GSI]... "
		"[--acpi-dir DIR]\n");
	exit(2);
}

/* BASE:SIZE:GSI, numbers in C syntax. */
static int parse_mmio(const char *s, struct acpi_mmio_device *d)
{
	char *end;
	unsigned long long base = strtoull(s, &end, 0), size, gsi;

	if (*end != ':')
		return -1;
	size = strtoull(end + 1, &end, 0);
	if (*end != ':')
		return -1;
	gsi = strtoull(end + 1, &end, 0);
	if (*end || gsi > UINT32_MAX)
		return -1;
	*d = (struct acpi_mmio_device){ .base = base, .size = size, .gsi = (uint32_t)gsi };
	return 0;
}

static void print_zero_page(const struct boot_params *zp)
{
	const struct setup_header *h = &zp->hdr;

	printf("zp.boot_flag=0x%x\n", h->boot_flag);
	printf("zp.header=%.4s\n", (const char *)&h->header);
	printf("zp.version=0x%04x\n", h->version);
	printf("zp.type_of_loader=0x%x\n", h->type_of_loader);
	printf("zp.loadflags=0x%x\n", h->loadflags);
	printf("zp.xloadflags=0x%x\n", h->xloadflags);
	printf("zp.relocatable=%u\n", h->relocatable_kernel);
	printf("zp.kernel_alignment=0x%x\n", h->kernel_alignment);
	printf("zp.pref_address=0x%llx\n", X(h->pref_address));
	printf("zp.init_size=0x%x\n", h->init_size);
	printf("zp.code32_start=0x%x\n", h->code32_start);
	printf("zp.cmdline_size=%u\n", h->cmdline_size);
	printf("zp.cmd_line_ptr=0x%llx\n",
	       X(h->cmd_line_ptr | ((uint64_t)zp->ext_cmd_line_ptr << 32)));
	printf("zp.ramdisk_image=0x%llx\n",
	       X(h->ramdisk_image | ((uint64_t)zp->ext_ramdisk_image << 32)));
	printf("zp.ramdisk_size=%llu\n",
	       X(h->ramdisk_size | ((uint64_t)zp->ext_ramdisk_size << 32)));
	printf("zp.initrd_addr_max=0x%x\n", h->initrd_addr_max);
	printf("zp.acpi_rsdp_addr=0x%llx\n", X(zp->acpi_rsdp_addr));
	printf("zp.e820_entries=%u\n", zp->e820_entries);
	for (unsigned i = 0; i < zp->e820_entries && i < E820_MAX_ENTRIES_ZEROPAGE; i++)
		printf("zp.e820.%u=0x%llx 0x%llx %u\n", i, X(zp->e820_table[i].addr),
		       X(zp->e820_table[i].size), zp->e820_table[i].type);
}

static void print_start_info(const struct guest_mem *m, const struct hvm_start_info *si)
{
	printf("si.magic=0x%x\nsi.version=%u\nsi.nr_modules=%u\n", si->magic,
	       si->version, si->nr_modules);
	printf("si.cmdline_paddr=0x%llx\nsi.rsdp_paddr=0x%llx\n",
	       X(si->cmdline_paddr), X(si->rsdp_paddr));
	if (si->nr_modules) {
		const struct hvm_modlist_entry *mod =
			guest_mem_ptr(m, si->modlist_paddr, sizeof(*mod));
		if (mod)
			printf("si.mod0=0x%llx %llu\n", X(mod->paddr), X(mod->size));
	}
	printf("si.memmap_entries=%u\n", si->memmap_entries);
	const struct hvm_memmap_table_entry *mm = guest_mem_ptr(
		m, si->memmap_paddr, (uint64_t)si->memmap_entries * sizeof(*mm));
	for (uint32_t i = 0; mm && i < si->memmap_entries; i++)
		printf("si.memmap.%u=0x%llx 0x%llx %u\n", i, X(mm[i].addr),
		       X(mm[i].size), mm[i].type);
}

/* Counts processor entries and checks both MP checksums. */
static void print_mptable(const struct guest_mem *m)
{
	const uint8_t *mpf = guest_mem_ptr(m, GPA_MPTABLE, 16);
	uint8_t sum = 0;
	uint32_t cfg_gpa;
	uint16_t len, count;

	if (!mpf || memcmp(mpf, "_MP_", 4)) {
		printf("mp.found=0\n");
		return;
	}
	for (int i = 0; i < 16; i++)
		sum += mpf[i];
	memcpy(&cfg_gpa, mpf + 4, 4);
	const uint8_t *cfg = guest_mem_ptr(m, cfg_gpa, 44);
	if (!cfg)
		return;
	memcpy(&len, cfg + 4, 2);
	memcpy(&count, cfg + 34, 2);
	cfg = guest_mem_ptr(m, cfg_gpa, len);
	int cpus = 0;
	const uint8_t *p = cfg + 44;
	for (int i = 0; i < count && p < cfg + len; i++) {
		cpus += p[0] == 0;
		p += p[0] == 0 ? 20 : 8;
	}
	for (int i = 0; i < len; i++)
		sum += cfg[i];
	printf("mp.found=1\nmp.checksums_ok=%d\nmp.cpus=%d\n", sum == 0, cpus);
}

static void print_regs(const struct kvm_regs *r, const struct kvm_sregs *s)
{
	printf("rip=0x%llx\nrsi=0x%llx\nrbx=0x%llx\nrflags=0x%llx\n", X(r->rip),
	       X(r->rsi), X(r->rbx), X(r->rflags));
	printf("cr0=0x%llx\ncr3=0x%llx\ncr4=0x%llx\nefer=0x%llx\n", X(s->cr0),
	       X(s->cr3), X(s->cr4), X(s->efer));
	printf("cs.sel=0x%x\ncs.l=%u\ncs.db=%u\ncs.type=%u\ncs.limit=0x%x\n",
	       s->cs.selector, s->cs.l, s->cs.db, s->cs.type, s->cs.limit);
	printf("ds.sel=0x%x\nss.sel=0x%x\nss.db=%u\n", s->ds.selector,
	       s->ss.selector, s->ss.db);
	printf("gdt.base=0x%llx\ngdt.limit=%u\n", X(s->gdt.base), s->gdt.limit);
}

/* Gives the state to a real vCPU; KVM checks CR0/CR4/EFER consistency. */
static void kvm_check(const struct boot_info *bi)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs, back;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		printf("kvm.checked=0\n");
		return;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	int cpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	int ok = cpu >= 0 && ioctl(cpu, KVM_GET_SREGS, &sregs) == 0;
	if (ok) {
		x86_boot_regs(bi, &regs, &sregs);
		ok = ioctl(cpu, KVM_SET_SREGS, &sregs) == 0 &&
		     ioctl(cpu, KVM_SET_REGS, &regs) == 0 &&
		     ioctl(cpu, KVM_GET_SREGS, &back) == 0 &&
		     back.cr0 == sregs.cr0 && back.efer == sregs.efer &&
		     back.cs.l == sregs.cs.l && back.cs.selector == sregs.cs.selector;
	}
	printf("kvm.checked=1\nkvm.accepted=%d\n", ok);
	if (cpu >= 0)
		close(cpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "entry", required_argument, NULL, 'e' },
		{ "pci", no_argument, NULL, 'p' },
		{ "mmio", required_argument, NULL, 'o' },
		{ "acpi-dir", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct boot_request req = { .nr_cpus = 1 };
	struct acpi_mmio_device mmio[ACPI_MAX_MMIO_DEVICES + 1];
	const char *acpi_dir = NULL;
	uint64_t mem = 512ULL << 20, n;
	struct guest_mem m;
	struct boot_info bi;
	struct azerr e;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': req.kernel_path = optarg; break;
		case 'i': req.initrd_path = optarg; break;
		case 'c': req.cmdline = optarg; break;
		case 'm':
			if (parse_size(optarg, 1, &mem) < 0)
				usage();
			break;
		case 'n':
			if (parse_uint(optarg, 0, 1000, &n) < 0)
				usage();
			req.nr_cpus = (int)n;
			break;
		case 'e':
			if (!strcmp(optarg, "pvh"))
				req.entry_pref = BOOT_ENTRY_PVH;
			else if (!strcmp(optarg, "linux64"))
				req.entry_pref = BOOT_ENTRY_LINUX64;
			else if (strcmp(optarg, "auto"))
				usage();
			break;
		case 'p': req.has_pci = true; break;
		case 'o':
			if (req.nr_mmio_devices == ACPI_MAX_MMIO_DEVICES + 1)
				usage();
			if (parse_mmio(optarg, &mmio[req.nr_mmio_devices++]) < 0)
				usage();
			req.mmio_devices = mmio;
			break;
		case 'a': acpi_dir = optarg; break;
		default:
			usage();
		}
	}
	if (!req.kernel_path)
		usage();
	e820_ram_layout(&m, mem);
	if (guest_mem_create(&m, &e) < 0 || x86_boot_load(&m, &req, &bi, &e) < 0) {
		fprintf(stderr, "boot_inspect: %s\n", e.msg);
		return 1;
	}
	printf("format=%s\n", bi.format == BOOT_FMT_BZIMAGE ? "bzimage" : "elf");
	printf("mode=%s\n", bi.mode == BOOT_MODE_LINUX64 ? "linux64" : "pvh");
	printf("entry=0x%llx\nboot_data=0x%llx\n", X(bi.entry), X(bi.boot_data));
	printf("kernel_start=0x%llx\nkernel_end=0x%llx\n", X(bi.kernel_start),
	       X(bi.kernel_end));
	printf("initrd_start=0x%llx\ninitrd_size=%llu\n", X(bi.initrd_start),
	       X(bi.initrd_size));
	printf("low_ram_end=0x%llx\n", X(guest_mem_low_end(&m)));
	const char *cl = guest_mem_ptr(&m, bi.cmdline_addr, bi.cmdline_size);
	printf("cmdline_addr=0x%llx\ncmdline=%s\n", X(bi.cmdline_addr), cl ? cl : "");
	if (bi.mode == BOOT_MODE_LINUX64)
		print_zero_page(guest_mem_ptr(&m, bi.boot_data, sizeof(struct boot_params)));
	else
		print_start_info(&m, guest_mem_ptr(&m, bi.boot_data,
						   sizeof(struct hvm_start_info)));
	print_mptable(&m);
	if (acpi_dump(&m, bi.acpi_rsdp, acpi_dir) < 0)
		return 1;

	/* KVM's reset state, as KVM_GET_SREGS would give it. */
	struct kvm_sregs sregs = { .cr0 = 0x60000010, .apic_base = 0xfee00900 };
	struct kvm_regs regs;
	x86_boot_regs(&bi, &regs, &sregs);
	print_regs(&regs, &sregs);
	kvm_check(&bi);
	guest_mem_destroy(&m);
	return 0;
}
