#include "net_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

void net_fx_init(struct net_fx *f, unsigned num, uint64_t features)
{
	struct azerr e;

	memset(f, 0, sizeof(*f));
	assert_int_equal(drv_mem_init(&f->mem), 0);
	assert_int_equal(drv_vq_init(&f->dq, &f->mem, num,
				     features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)), 0);
	f->gm.nr = DRV_NR_REGIONS;
	f->gm.r[0] = (struct gmem_region){ .gpa = 0, .size = 16 << 20, .hva = f->mem.base };
	f->gm.r[1] = (struct gmem_region){ .gpa = 16 << 20, .size = 16 << 20,
					   .hva = f->mem.base + (16 << 20) };
	f->gm.r[2] = (struct gmem_region){ .gpa = DRV_HIGH_GPA, .size = 32 << 20,
					   .hva = f->mem.base + (32 << 20) };
	f->q.callfd = f->dq.callfd;
	f->q.kickfd = f->dq.kickfd;
	if (virtq_start(&f->q, &f->gm, num, f->dq.desc_gpa, f->dq.avail_gpa,
			f->dq.used_gpa, false, 0, features, &e))
		fail_msg("virtq_start: %s", e.msg);
	f->buf = drv_alloc(&f->mem, 1 << 20, 4096, false);
}

void net_fx_fini(struct net_fx *f)
{
	close(f->dq.kickfd);
	close(f->dq.callfd);
	munmap(f->mem.base, DRV_MEM_SIZE);
	close(f->mem.fd);
}

int net_fx_post(struct net_fx *f, uint64_t gpa, uint32_t len, bool write)
{
	struct drv_buf b = { gpa, len, write };
	int head = drv_vq_add(&f->dq, &b, 1, 0);

	assert_true(head >= 0);
	return head;
}

int net_fx_post_rx(struct net_fx *f, uint64_t gpa, uint32_t len)
{
	return net_fx_post(f, gpa, len, true);
}

uint32_t net_fx_used(struct net_fx *f, int head)
{
	uint16_t id;
	uint32_t len;

	assert_true(drv_vq_get_used(&f->dq, &id, &len));
	assert_int_equal(id, head);
	return len;
}

void net_fx_no_more_used(struct net_fx *f)
{
	uint16_t id;
	uint32_t len;

	assert_false(drv_vq_get_used(&f->dq, &id, &len));
}
