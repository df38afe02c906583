/* What the API asks of the hypervisor core. The API layer validates and
 * keeps the configuration and the instance state (Not started / Running /
 * Paused); the core only does what changes the machine.
 *
 * Contract for the implementer (the core):
 * - Every op is called with the API's lock held, one at a time, from the
 *   thread that handles the request (the HTTP server thread, or main for a
 *   config file boot). Ops must not call back into api_*().
 * - Ops return 0, or -1 with e filled; the message becomes the request's
 *   fault_message, so it should name the file, device or value at fault.
 * - start builds the VM from cfg (copy what must outlive the call; cfg stays
 *   valid and unchanged until the next successful update_* op), starts the
 *   vCPUs and returns without waiting for the guest. On failure the VM must
 *   not run; the API stays in "Not started".
 * - pause returns once every vCPU has stopped running guest code; resume
 *   once they may run again. They are only called in the matching state.
 * - send_ctrl_alt_del queues the Ctrl+Alt+Del scancodes in the i8042 and
 *   raises its interrupt (the guest decides what to do with it).
 * - update_drive / update_net are PATCH after boot: a new backing file
 *   (path, NULL: unchanged) and/or new rate limits (NULL: unchanged) for the
 *   device cfg->drives[index] / cfg->nets[index]. NULL op: refused with
 *   "not supported".
 * None of these may wait on a vCPU that is blocked on the API. */
#ifndef AZOTE_API_VMM_OPS_H
#define AZOTE_API_VMM_OPS_H

#include "common/err.h"
#include "vmm/vm_config.h"

struct vmm_ops {
	int (*start)(void *ctx, const struct vm_config *cfg, struct azerr *e);
	int (*pause)(void *ctx, struct azerr *e);
	int (*resume)(void *ctx, struct azerr *e);
	int (*send_ctrl_alt_del)(void *ctx, struct azerr *e);
	int (*update_drive)(void *ctx, unsigned index, const char *path,
			    const struct rate_limiter *rl, struct azerr *e);
	int (*update_net)(void *ctx, unsigned index,
			  const struct rate_limiter *rx,
			  const struct rate_limiter *tx, struct azerr *e);
};

#endif
