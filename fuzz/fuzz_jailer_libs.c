/* libFuzzer target: what azote-jailer reads of files it is given: an
 * exec file's program headers (elf_interp) and the loader's list output
 * (libs_parse_list). The first byte picks which. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jailer/libs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		char interp[256];
		if (elf_interp(data + 1, size - 1, interp, sizeof(interp)) == 1 &&
		    strlen(interp) + 1 > sizeof(interp))
			abort();
		return 0;
	}
	char *text = strndup((const char *)data + 1, size - 1);
	struct path_set set = { 0 };
	struct azerr e;
	if (!text)
		return 0;
	if (libs_parse_list(text, &set, &e) == 0)
		for (unsigned i = 0; i < set.n; i++)
			if (set.path[i][0] != '/')
				abort();
	path_set_free(&set);
	free(text);
	return 0;
}
