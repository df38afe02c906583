/* libFuzzer target: the ELF64 kernel parser (segments and PVH notes) and
 * the whole loader, in both entry modes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/elf_kernel.h"
#include "fuzz_guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *m = fuzz_guest();
	struct boot_request req = { .kernel_path = "fuzz", .nr_cpus = 1 };
	struct elf_kernel k;
	struct boot_info bi;
	struct azerr e;

	if (elf_kernel_parse(data, size, &k, &e) == 0) {
		for (int i = 0; i < k.nr_segs; i++)
			if (k.segs[i].offset + k.segs[i].filesz > size)
				abort();
	}
	req.entry_pref = size & 1 ? BOOT_ENTRY_LINUX64 : BOOT_ENTRY_AUTO;
	x86_boot_load_image(m, &req, data, size, &bi, &e);
	return 0;
}
