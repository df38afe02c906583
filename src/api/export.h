/* The configuration as Firecracker's GET responses show it. */
#ifndef AZOTE_API_EXPORT_H
#define AZOTE_API_EXPORT_H

#include <jansson.h>

#include "vmm/vm_config.h"

json_t *export_machine_config(const struct vm_config *cfg);
json_t *export_vm_config(const struct vm_config *cfg);
/* GET /balloon's body (Firecracker's Balloon), or null without one. */
json_t *export_balloon(const struct vm_config *cfg);

#endif
