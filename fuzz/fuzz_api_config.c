/* libFuzzer target: Firecracker's --config-file format
 * (api_config_load_buffer), and the GET /vm/config rendering of whatever it
 * accepted; and the same JSON as a snapshot's recorded configuration
 * (api_snapshot_config_parse, docs/snapshot.md), which must come back
 * whole from what a snapshot would record of it. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

	vm_config_init(&cfg);
	if (!api_snapshot_config_parse((const char *)data, size, "fuzz", NULL, &cfg, &e)) {
		char *json = api_snapshot_config_json(&cfg, &e);
		struct vm_config again;
		vm_config_init(&again);
		if (json && api_snapshot_config_parse(json, strlen(json), "again", NULL, &again, &e))
			abort();
		free(json);
		vm_config_free(&again);
	}
	vm_config_free(&cfg);
	return 0;
}
