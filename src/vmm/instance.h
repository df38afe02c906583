/* One microVM instance as the API sees it: the hypervisor operations the
 * API layer asks for (api/vmm_ops.h), on the VM they create. */
#ifndef AZOTE_VMM_INSTANCE_H
#define AZOTE_VMM_INSTANCE_H

#include <stdbool.h>

#include "api/metrics.h"
#include "api/vmm_ops.h"
#include "vmm/vm.h"

struct instance {
	struct vm vm;
	bool created;            /* vm exists (InstanceStart succeeded) */
	/* The API's configuration it was built from: valid as long as the
	 * API, changed only by the update ops' callers (api/vmm_ops.h). */
	const struct vm_config *cfg;
	struct metrics metrics;
};

extern const struct vmm_ops instance_ops;   /* ctx: struct instance */

#endif
