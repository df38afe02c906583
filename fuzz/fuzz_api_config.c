/* libFuzzer target: Firecracker's --config-file format
 * (api_config_load_buffer), and the GET /vm/config rendering of whatever it
 * accepted. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/api.h"
#include "api/export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg;
	struct azerr e;
	json_t *out;

	vm_config_init(&cfg);
	if (!api_config_load_buffer((const char *)data, size, "fuzz", &cfg,
				    &e)) {
		out = export_vm_config(&cfg);
		if (!out)
			abort();
		json_decref(out);
	}
	vm_config_free(&cfg);
	return 0;
}
