/* The VM generation ID (Microsoft's "Virtual Machine Generation ID", as
 * Linux's vmgenid driver and Firecracker have it): 16 random bytes in
 * guest memory at GPA_VMGENID, which the DSDT's VGEN device names (ADDR),
 * new for every VM booted or restored, and an interrupt, the DSDT's
 * Generic Event Device on GSI_GED, that tells a restored guest to read it
 * again. Linux then reseeds its random number generator ("crng reseeded
 * due to virtual machine fork"): clones of one snapshot do not go on with
 * the same random state, nor draw the same keys from it afterwards. */
#ifndef AZOTE_VMM_VM_GENID_H
#define AZOTE_VMM_VM_GENID_H

#include "base/guest_mem.h"
#include "common/err.h"

/* A new ID from getrandom(2) into m at GPA_VMGENID: after the boot tables,
 * or over the snapshot's after a restore. On the thread that builds the
 * VM, before its seccomp list (which has no getrandom). -1 with e set. */
int vm_genid_new(struct guest_mem *m, struct azerr *e);

/* The GED's interrupt, once (an edge): after a restore, with the
 * irqchip's state loaded. */
void vm_genid_notify(int vm_fd);

#endif
