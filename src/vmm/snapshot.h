/* Snapshots of a whole microVM (docs/snapshot.md): its state as a set of
 * sections (base/state.h), saved by each part of the machine in turn, in
 * a state file (vmm/snapshot_file.h) next to a file of guest RAM
 * (vmm/snapshot_mem.h).
 *
 * The parts, restored in this order (snapshot.c, parts[]) and saved in
 * it but for card-rings, which is saved before vm-state (save_order[]):
 * a card completes requests until its rings stop, and a completion's
 * interrupt must be in the interrupt state saved:
 *   machine     this file's own: vCPU count, RAM size, transport and the
 *               devices, which a restore checks against the VM it built
 *   vm-state    vCPUs, in-kernel irqchip and timers, platform devices and
 *               virtio transports: vm_state_save / vm_state_load
 *               (vmm/vm_state.h)
 *   card-rings  each card's rings: vhost_devs_save / vhost_devs_restore,
 *               and vhost_devs_resume after a save (vmm/vhost_devs_state.h)
 * A part this build cannot save is recorded as missing, and a snapshot
 * missing a part (or a build that cannot restore one) is refused on
 * restore: a guest without its vCPU state would be a wrong guest. */
#ifndef AZOTE_VMM_SNAPSHOT_H
#define AZOTE_VMM_SNAPSHOT_H

#include <stdio.h>

#include "api/vmm_ops.h"
#include "base/state.h"
#include "common/err.h"
#include "vmm/vm.h"

/* STATE_MACHINE #1: the memory file's path as given to create (not
 * NUL-terminated), where --restore looks without --restore-mem. (#0 is
 * the machine part's.) */
#define SNAPSHOT_MACHINE_MEM_PATH 1u
/* STATE_MACHINE #2: the memory file's snapshot ID (MEM_FILE_ID_SIZE
 * bytes, common/mem_file_id.h), which a load requires of the memory file
 * when it carries one. */
#define SNAPSHOT_MACHINE_MEM_ID 2u

/* Every part's state of vm (paused) into s. Some parts stop what they
 * saved (the cards' rings): vm_snapshot_resume starts them again, once the
 * snapshot is written or has failed to be. When vm_snapshot_save itself
 * fails, it has resumed what it stopped. */
int vm_snapshot_save(struct vm *vm, struct state_set *s, struct azerr *e);
int vm_snapshot_resume(struct vm *vm, struct azerr *e);
/* Every part's state from s into vm, built from the snapshot's
 * configuration with its RAM, its vCPUs not started yet. */
int vm_snapshot_restore(struct vm *vm, const struct state_set *s, struct azerr *e);

/* The files (snapshot_ops.c). PUT /snapshot/create of a paused vm: its state and config_json (the
 * configuration, recorded as the vm-config section) to snap_path, its RAM
 * to mem_path: all of it (SNAPSHOT_FULL), or the pages changed since the
 * last snapshot, or since the boot or the restore (SNAPSHOT_DIFF, refused
 * unless vm tracks dirty pages and every started back-end logs its
 * writes; docs/snapshot.md). With dirty pages tracked, a snapshot written
 * whole starts the record again; a failed one keeps every page. A failed
 * create leaves both paths as they were, but for a Diff's merge into the
 * base's memory file (snapshot_mem.h) that itself failed midway. */
int snapshot_create(struct vm *vm, enum snapshot_type type, const char *config_json,
		    const char *snap_path, const char *mem_path, struct azerr *e);

/* PUT /snapshot/load (vmm_ops.h, snapshot_load): builds vm from the
 * snapshot and starts its vCPUs, parked unless req->resume. On failure
 * nothing is left of vm. req->mem_path NULL: the memory file the snapshot
 * was created with. */
int snapshot_load(struct vm *vm, const struct snapshot_load_req *req, struct vm_config *cfg,
		  struct azerr *e);

/* --describe-snapshot: the format version on the first line, as
 * Firecracker prints its own ("v2" for azote's format 2), then what the
 * file holds. */
int snapshot_print(FILE *out, const char *path, struct azerr *e);

#endif
