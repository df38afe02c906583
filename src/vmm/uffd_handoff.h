/* Firecracker's Uffd memory backend (PUT /snapshot/load with mem_backend
 * {"backend_type": "Uffd", "backend_path": SOCKET}): guest RAM is
 * registered with a userfaultfd that is handed, with a description of the
 * regions, to an external page-fault handler listening on the Unix socket
 * SOCKET, which then fills every page azote's mapping faults on. Exactly
 * Firecracker's handshake, so that handlers written for it serve azote: one
 * message on a stream connection, the JSON array of the regions as its
 * bytes and the userfaultfd as SCM_RIGHTS, each region
 *   {"base_host_virt_addr": A, "size": S, "offset": O, "page_size": P,
 *    "page_size_kib": P}
 * (A: where azote mapped it; O: where its bytes are in the memory file,
 * which is where they are in the memfd; P: bytes, page_size_kib being
 * Firecracker's older, misnamed, field for the same value). The
 * userfaultfd has UFFD_FEATURE_EVENT_REMOVE, as Firecracker's. */
#ifndef AZOTE_VMM_UFFD_HANDOFF_H
#define AZOTE_VMM_UFFD_HANDOFF_H

#include <stdint.h>

#include "base/guest_mem.h"
#include "common/err.h"

/* The message's JSON for m (malloc'd), or NULL when out of memory. Pure,
 * for tests. */
char *uffd_handoff_json(const struct guest_mem *m, uint64_t page);

/* Registers m's regions with uffd (missing pages) and hands uffd and the
 * regions to the handler at path. Returns the connection, which the
 * caller keeps open while the VM lives (a handler may read it until it
 * closes, and learn azote's pid from it, SO_PEERCRED). -1 with e naming
 * path: nothing is sent. */
int uffd_handoff(const struct guest_mem *m, int uffd, const char *path, struct azerr *e);

#endif
