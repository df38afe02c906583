/* libFuzzer target: the bzImage header parser and the whole loader on
 * whatever bytes claim to be a kernel. A 64 MiB guest, allocated once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/bzimage.h"
#include "fuzz_guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem *m = fuzz_guest();
	struct boot_request req = { .kernel_path = "fuzz", .cmdline = "console=ttyS0",
				    .nr_cpus = 2 };
	struct bzimage bz;
	struct boot_info bi;
	struct azerr e;

	/* Make sure the input is a bzImage as far as detection goes, so that
	 * the fuzzer spends its time past the magic. */
	uint8_t *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size >= BZ_MAGIC_OFFSET + 4)
		memcpy(buf + BZ_MAGIC_OFFSET, "HdrS", 4);
	if (bzimage_parse(buf, size, &bz, &e) == 0 &&
	    (bz.kernel_offset + bz.kernel_size > size || bz.init_size < bz.kernel_size))
		abort();
	x86_boot_load_image(m, &req, buf, size, &bi, &e);
	free(buf);
	return 0;
}
