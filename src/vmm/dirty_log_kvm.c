/* KVM's part of the changed-page record: see dirty_log.h. Apart from
 * dirty_log.c so that the merge is tested without KVM. */
#include "vmm/dirty_log.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

int dirty_log_collect(struct dirty_log *l, int vm_fd, const struct guest_mem *m,
		      struct azerr *e)
{
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		uint64_t pages = r->size / DIRTY_LOG_PAGE;
		/* KVM copies a long per 64 pages, rounded up. */
		uint64_t *bits = calloc((pages + 63) / 64, sizeof(*bits));
		if (!bits)
			return azerr_set(e, "out of memory for the dirty log of %llu pages",
					 (unsigned long long)pages);
		struct kvm_dirty_log d = { .slot = (uint32_t)i, .dirty_bitmap = bits };
		if (ioctl(vm_fd, KVM_GET_DIRTY_LOG, &d) < 0) {
			int err = errno;
			free(bits);
			return azerr_set(e, "KVM_GET_DIRTY_LOG of memory slot %d (%llu MiB at "
					 "0x%llx): %s", i, (unsigned long long)(r->size >> 20),
					 (unsigned long long)r->gpa, strerror(err));
		}
		dirty_log_or_slot(l, r->gpa, bits, pages);
		free(bits);
	}
	return 0;
}
