/* The configuration as Firecracker's GET responses show it. */
#ifndef AZOTE_API_EXPORT_H
#define AZOTE_API_EXPORT_H

#include <jansson.h>

#include "vmm/vm_config.h"

json_t *export_machine_config(const struct vm_config *cfg);
json_t *export_vm_config(const struct vm_config *cfg);

#endif
