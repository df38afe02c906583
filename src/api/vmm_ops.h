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
 * - update_drive / update_net / update_pmem are PATCH after boot: a new backing file
 *   (path, NULL: unchanged) and/or new rate limits (NULL: unchanged) for the
 *   device cfg->drives[index] / cfg->nets[index] / cfg->pmems[index] (a pmem
 *   device takes limits only). NULL op: refused with
 *   "not supported".
 * - update_mmds is PUT or PATCH /mmds after boot: the new MMDS document
 *   (json, compact JSON) for every card of an interface cfg->nets[i].mmds,
 *   with cfg's MMDS settings. On failure the API keeps the old document
 *   (a card may have taken the new one).
 * - update_balloon is PATCH /balloon after boot: the balloon's new target
 *   (amount_mib, already checked against guest memory) into its device
 *   configuration, and the guest told of the change; a driver not started
 *   yet finds it there. update_balloon_stats is PATCH
 *   /balloon/statistics: the card's new interval (1 to 65535, the card
 *   started with statistics). balloon_status fills st from the device
 *   configuration and the card's latest statistics (GET
 *   /balloon/statistics). NULL ops: refused as not supported.
 * - snapshot_create writes a snapshot of the paused VM (only called while
 *   Paused): the machine's state and config_json (the configuration, as
 *   the API records it) to snap_path, guest RAM to mem_path. On failure
 *   the VM is as it was, still paused (docs/snapshot.md).
 * - snapshot_load builds the VM from the snapshot at req->snapshot_path
 *   instead of booting it (only called before boot): it reads and checks
 *   the file, hands the recorded configuration to req->configure, which
 *   fills cfg (the API's own, vm_config_init'ed; once the load succeeds it
 *   stays valid as start's cfg does), builds the VM from cfg
 *   with RAM from req->mem_path, restores its state and starts the vCPUs,
 *   parked unless req->resume. On failure nothing runs; cfg may hold part
 *   of the configuration.
 * None of these may wait on a vCPU that is blocked on the API. */
#ifndef AZOTE_API_VMM_OPS_H
#define AZOTE_API_VMM_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "virtio/virtio_balloon.h"
#include "vmm/vm_config.h"

/* What GET /balloon/statistics shows: the configuration's num_pages and
 * actual, and the guest's statistics, stat[tag] valid where bit tag of
 * stat_seen is set. */
struct balloon_status {
	uint32_t target_pages, actual_pages;
	uint64_t stat_seen;
	uint64_t stat[VIRTIO_BALLOON_S_NR];
};

enum snapshot_type { SNAPSHOT_FULL, SNAPSHOT_DIFF };

struct snapshot_load_req {
	const char *snapshot_path;
	const char *mem_path;
	bool mem_uffd;   /* mem_path is the socket of a page-fault handler (Uffd) */
	bool resume;
	bool clock_realtime;  /* kvmclock moved on by the wall-clock time since the pause */
	/* The configuration the snapshot recorded (json, len bytes) into
	 * cfg; name is the snapshot, for messages. */
	int (*configure)(void *arg, const char *json, size_t len, const char *name,
			 struct vm_config *cfg, struct azerr *e);
	void *arg;
};

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
	int (*update_pmem)(void *ctx, unsigned index, const struct rate_limiter *rl,
			   struct azerr *e);
	int (*update_mmds)(void *ctx, const struct vm_config *cfg, const char *json,
			   struct azerr *e);
	int (*update_balloon)(void *ctx, uint32_t amount_mib, struct azerr *e);
	int (*update_balloon_stats)(void *ctx, uint16_t interval_s, struct azerr *e);
	int (*balloon_status)(void *ctx, struct balloon_status *st, struct azerr *e);
	int (*snapshot_create)(void *ctx, enum snapshot_type type, const char *snap_path,
			       const char *mem_path, const char *config_json,
			       struct azerr *e);
	int (*snapshot_load)(void *ctx, const struct snapshot_load_req *req,
			     struct vm_config *cfg, struct azerr *e);
};

#endif
