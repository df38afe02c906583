#include "drv_one_ring.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "drv_card.h"
#include "drv_flood.h"
#include "drv_report.h"
#include "virtio/virtio.h"

void drv_one_ring_setup(struct vu_frontend *fe, struct drv_mem *mem, struct drv_vq *q,
			unsigned qsize)
{
	const uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			      VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			      VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	struct azerr e;
	unsigned nq = 0;

	if (vu_fe_negotiate(fe, VU_FE_PROTOCOL_FEATURES |
			    1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD, &e) ||
	    vu_fe_get_queue_num(fe, &nq, &e))
		drv_die(2, "%s", e.msg);
	if (nq != 1)
		drv_die(1, "the card offers %u rings, not 1", nq);
	if ((fe->features & want) != want)
		drv_die(1, "the card offers features 0x%llx, without VERSION_1, EVENT_IDX or "
			"INDIRECT_DESC", (unsigned long long)fe->features);
	if (!fe->can_log || !(fe->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD)))
		drv_die(1, "the card does not offer dirty logging (LOG_ALL, LOG_SHMFD): snapshots");
	if (vu_fe_set_features(fe, want, &e))
		drv_die(2, "%s", e.msg);
	if (drv_mem_init(mem))
		drv_die(2, "guest memory: %s", strerror(errno));
	if (drv_set_mem_table(fe, mem, &e))
		drv_die(2, "%s", e.msg);
	if (drv_vq_init(q, mem, qsize, true))
		drv_die(2, "ring: %s", strerror(errno));
	struct vu_fe_vring v = drv_fe_vring(q);
	if (vu_fe_vring_start(fe, 0, &v, &e))
		drv_die(2, "%s", e.msg);
}

void drv_one_ring_flood(struct vu_frontend *fe, struct drv_mem *mem, struct drv_vq *q,
			int *failures)
{
	const unsigned ring = 0;
	char how[160];
	bool ok = drv_flood_stop_rings(fe, q, drv_costly_bad_chain(q, mem), &ring, 1, how,
				       sizeof(how));

	drv_check(failures, ok, "flood: the ring's stop is answered while the guest keeps it "
		  "full (%s)", how);
}
