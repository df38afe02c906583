/* x86_boot_load: the order of a boot, and the decisions that tie the
 * pieces together (entry mode, where the initrd goes, size limits). The
 * formats and tables themselves live in their own files. */
#include "arch/x86/boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/boot_file.h"
#include "arch/x86/bzimage.h"
#include "arch/x86/e820.h"
#include "arch/x86/elf_kernel.h"
#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "arch/x86/pagetable.h"
#include "arch/x86/pvh.h"
#include "arch/x86/reset_vector.h"
#include "arch/x86/zeropage.h"

#define PAGE_SIZE 0x1000ULL

/* What the kernel format decided, for the rest of the boot. */
struct loaded_kernel {
	struct boot_params zp;     /* started by the format, for LINUX64 */
	uint64_t cmdline_max;      /* longest command line, NUL excluded */
	uint64_t initrd_max;       /* highest byte the initrd may occupy */
};

/* Prefixes e's message with the file it is about. */
static int in_file(struct azerr *e, const char *path)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	return azerr_set(e, "kernel %s: %s", path, msg);
}

static int load_bzimage(struct guest_mem *m, const struct boot_request *req,
			const uint8_t *buf, size_t len, struct boot_info *bi,
			struct loaded_kernel *lk, struct azerr *e)
{
	struct bzimage bz;

	if (req->entry_pref == BOOT_ENTRY_PVH)
		return azerr_set(e, "kernel %s is a bzImage, which has no PVH entry "
				 "(use an ELF vmlinux, or boot entry linux64)",
				 req->kernel_path);
	if (bzimage_parse(buf, len, &bz, e) < 0)
		return in_file(e, req->kernel_path);
	if (bzimage_load(m, buf, &bz, e) < 0)
		return -1;
	bi->format = BOOT_FMT_BZIMAGE;
	bi->mode = BOOT_MODE_LINUX64;
	bi->entry = bz.load_addr + BZ_ENTRY64;
	bi->kernel_start = bz.load_addr;
	bi->kernel_end = bz.load_addr + bz.init_size;
	bzimage_zero_page(buf, &bz, &lk->zp);
	lk->cmdline_max = bz.hdr.cmdline_size;
	lk->initrd_max = bz.hdr.initrd_addr_max;
	return 0;
}

static int load_elf(struct guest_mem *m, const struct boot_request *req,
		    const uint8_t *buf, size_t len, struct boot_info *bi,
		    struct loaded_kernel *lk, struct azerr *e)
{
	struct elf_kernel k;

	if (elf_kernel_parse(buf, len, &k, e) < 0)
		return in_file(e, req->kernel_path);
	if (req->entry_pref == BOOT_ENTRY_PVH && !k.has_pvh)
		return azerr_set(e, "kernel %s has no PVH entry note "
				 "(XEN_ELFNOTE_PHYS32_ENTRY); use boot entry linux64",
				 req->kernel_path);
	if (elf_kernel_load(m, buf, &k, e) < 0)
		return -1;
	bi->format = BOOT_FMT_ELF;
	if (k.has_pvh && req->entry_pref != BOOT_ENTRY_LINUX64) {
		bi->mode = BOOT_MODE_PVH32;
		bi->entry = k.pvh_entry;
	} else {
		bi->mode = BOOT_MODE_LINUX64;
		bi->entry = k.entry;
	}
	bi->kernel_start = k.start;
	bi->kernel_end = k.end;
	zeropage_init_vmlinux(&lk->zp);
	lk->cmdline_max = CMDLINE_MAX - 1;
	lk->initrd_max = GPA_4G - 1;
	return 0;
}

static int write_cmdline(struct guest_mem *m, const char *cmdline,
			 uint64_t max, struct boot_info *bi, struct azerr *e)
{
	const char *s = cmdline ? cmdline : "";
	size_t len = strlen(s);

	if (max > CMDLINE_MAX - 1)
		max = CMDLINE_MAX - 1;
	if (len > max)
		return azerr_set(e, "kernel command line is %zu bytes, longer than the "
				 "%llu the kernel accepts (cmdline_size)", len,
				 (unsigned long long)max);
	char *dst = guest_mem_ptr(m, GPA_CMDLINE, len + 1);
	if (!dst)
		return azerr_set(e, "command line at 0x%llx is not guest RAM",
				 GPA_CMDLINE);
	memcpy(dst, s, len + 1);
	bi->cmdline_addr = GPA_CMDLINE;
	bi->cmdline_size = len + 1;
	return 0;
}

/* The initrd goes page-aligned as high as it can below both the kernel's
 * limit and the end of low RAM, and above the kernel. */
static int load_initrd(struct guest_mem *m, const char *path, uint64_t max_byte,
		       struct boot_info *bi, struct azerr *e)
{
	uint64_t size, low_end = guest_mem_low_end(m);
	uint64_t floor = (bi->kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t top = max_byte < GPA_4G - 1 ? max_byte + 1 : GPA_4G;
	int ram_bound = low_end <= top;

	if (boot_file_size(path, "initrd", &size, e) < 0)
		return -1;
	if (size == 0)
		return 0;
	if (ram_bound)
		top = low_end;
	if (top < floor || size > top - floor) {
		if (ram_bound)
			return azerr_set(e, "memory too small for kernel+initrd: the "
					 "kernel needs up to 0x%llx, initrd %s is %llu "
					 "bytes, guest RAM below 4 GiB ends at 0x%llx",
					 (unsigned long long)bi->kernel_end, path,
					 (unsigned long long)size,
					 (unsigned long long)low_end);
		return azerr_set(e, "initrd %s too big: %llu bytes do not fit between "
				 "the kernel's end 0x%llx and initrd_addr_max 0x%llx",
				 path, (unsigned long long)size,
				 (unsigned long long)bi->kernel_end,
				 (unsigned long long)max_byte);
	}
	uint64_t addr = (top - size) & ~(PAGE_SIZE - 1);
	void *dst = guest_mem_ptr(m, addr, size);
	if (!dst)
		return azerr_set(e, "initrd at 0x%llx is not guest RAM",
				 (unsigned long long)addr);
	if (boot_file_read_into(path, "initrd", dst, size, e) < 0)
		return -1;
	bi->initrd_start = addr;
	bi->initrd_size = size;
	return 0;
}

/* Before the zero page or start_info, which carry the RSDP's address. */
static int write_acpi(struct guest_mem *m, const struct boot_request *req,
		      struct boot_info *bi, struct azerr *e)
{
	struct acpi_platform p = {
		.nr_cpus = req->nr_cpus, .has_pci = req->has_pci,
		.mmio = req->mmio_devices, .nr_mmio = req->nr_mmio_devices,
	};

	return acpi_write(m, &p, &bi->acpi_rsdp, e);
}

static int write_boot_data(struct guest_mem *m, struct loaded_kernel *lk,
			   struct boot_info *bi, struct azerr *e)
{
	struct e820_entry map[E820_MAX_BUILT];
	int n = e820_build(m, map, E820_MAX_BUILT, e);

	if (n < 0)
		return -1;
	if (bi->mode == BOOT_MODE_PVH32) {
		bi->boot_data = GPA_PVH_INFO;
		return pvh_write_start_info(m, bi, map, (size_t)n, e);
	}
	bi->boot_data = GPA_ZERO_PAGE;
	return zeropage_write(m, &lk->zp, bi, map, (size_t)n, e);
}

int x86_boot_load_image(struct guest_mem *m, const struct boot_request *req,
			const uint8_t *kernel, size_t kernel_len,
			struct boot_info *out, struct azerr *e)
{
	struct loaded_kernel *lk;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (req->nr_cpus < 1 || req->nr_cpus > BOOT_MAX_CPUS)
		return azerr_set(e, "%d vCPUs is out of range 1..%d", req->nr_cpus,
				 BOOT_MAX_CPUS);
	if (guest_mem_low_end(m) <= GPA_HIGH_MEM)
		return azerr_set(e, "memory too small: %llu KiB of guest RAM, the "
				 "kernel goes above 1 MiB",
				 (unsigned long long)(guest_mem_low_end(m) >> 10));
	/* boot_params is a page; keep it off the caller's stack. */
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return azerr_set(e, "out of memory");

	if (elf_detect(kernel, kernel_len))
		rc = load_elf(m, req, kernel, kernel_len, out, lk, e);
	else if (bzimage_detect(kernel, kernel_len))
		rc = load_bzimage(m, req, kernel, kernel_len, out, lk, e);
	else
		rc = azerr_set(e, "kernel %s: not a recognised format (neither ELF "
			       "nor a bzImage with \"HdrS\" at 0x202)", req->kernel_path);
	if (rc == 0)
		rc = write_cmdline(m, req->cmdline, lk->cmdline_max, out, e);
	if (rc == 0 && req->initrd_path)
		rc = load_initrd(m, req->initrd_path, lk->initrd_max, out, e);
	if (rc == 0)
		rc = write_acpi(m, req, out, e);
	if (rc == 0)
		rc = write_boot_data(m, lk, out, e);
	if (rc == 0)
		rc = mptable_write(m, req->nr_cpus, e);
	if (rc == 0)
		rc = reset_vector_write(m, e);
	if (rc == 0)
		rc = gdt_write(m, e);
	if (rc == 0)
		rc = pagetable_write_identity(m, e);
	free(lk);
	return rc;
}

int x86_boot_load(struct guest_mem *m, const struct boot_request *req,
		  struct boot_info *out, struct azerr *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (!req->kernel_path)
		return azerr_set(e, "no kernel given");
	if (boot_file_read(req->kernel_path, "kernel", guest_mem_low_end(m), &buf,
			   &len, e) < 0)
		return -1;
	rc = x86_boot_load_image(m, req, buf, len, out, e);
	free(buf);
	return rc;
}
