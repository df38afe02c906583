/* libFuzzer target: Firecracker's compiled seccomp filter files, both
 * encodings (vmm/fc_filter.h). A file taken must hold the three programs,
 * each within the kernel's bound. */
#include <stdint.h>
#include <stdlib.h>

#include "vmm/fc_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_filters f;
	struct azerr e;

	if (fc_filters_parse(data, size, &f, &e) == 0) {
		for (int c = 0; c < FC_NR_CATEGORIES; c++)
			if (!f.prog[c] || f.len[c] > FC_FILTER_MAX_INSNS)
				abort();
	}
	fc_filters_free(&f);
	return 0;
}
