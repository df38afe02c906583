/* virtio-pmem: set-up, the region's mapping and flush requests. */
#include "boot.h"
#include "lib.h"
#include "pmem.h"
#include "x86.h"

/* A flush is an fsync of the host file: seconds on a busy host's disk,
 * and a rate-limited device may hold it longer (probe.timeout_ms). */
#define PMEM_TIMEOUT_MS     30000
/* ret's own cache line, apart from the type the device reads. */
#define RESP_OFFSET         64

bool pmem_open(struct pmem *p, struct report *r)
{
	u64 want = 0;

	memset(p, 0, sizeof(*p));
	if (param_u64("event_idx", 0, 0, 1))
		want |= 1ULL << VIRTIO_F_RING_EVENT_IDX;
	p->timeout_us = param_u64("timeout_ms", PMEM_TIMEOUT_MS, 1, 3600000) * 1000;
	p->req = alloc_pages(4096);
	if (!p->req) {
		rep_fail(r, "reason=out_of_memory");
		return false;
	}
	p->resp = p->req + RESP_OFFSET;
	/* 5.19.3: the only feature bit, SHMEM_REGION (a region a PCI
	 * device shows as shared memory instead), is not asked for: the
	 * configuration's start and size are then the region. 5.19.2: one
	 * queue. */
	if (!virtio_open(&p->v, VIRTIO_ID_PMEM, want, r) ||
	    !virtio_cfg_read(&p->v, VIRTIO_PMEM_CFG_START, &p->start, 8, 4) ||
	    !virtio_cfg_read(&p->v, VIRTIO_PMEM_CFG_SIZE, &p->size, 8, 4) ||
	    !virtio_queue(&p->v, &p->q, 0,
			  (u16)param_u64("qsize", VIRTQ_MAX_SIZE, 1, VIRTQ_MAX_SIZE)) ||
	    !virtio_driver_ok(&p->v)) {
		rep_fail(r, "%s", p->v.why);
		virtio_reset(&p->v);
		return false;
	}
	return true;
}

u8 *pmem_map(struct pmem *p, u64 off, u64 len)
{
	if (!len || off > p->size || len > p->size - off) {
		p->v.why = "reason=outside_region";
		return NULL;
	}
	if (syscall2(SYS_MAP_MEM, p->start + off, len)) {
		p->v.why = "reason=pmem_unmappable";
		return NULL;
	}
	return (u8 *)(p->start + off);
}

bool pmem_flush(struct pmem *p, u32 *ret, u32 *len)
{
	const u32 type = VIRTIO_PMEM_REQ_TYPE_FLUSH;
	/* 5.19.6: the type the device reads, then ret it writes. */
	struct vq_seg segs[2] = {
		{ p->req, VIRTIO_PMEM_REQ_SIZE, false },
		{ p->resp, VIRTIO_PMEM_RESP_SIZE, true },
	};
	int head;

	memcpy(p->req, &type, sizeof(type));
	/* Neither OK nor EIO: a device that answers without writing ret
	 * is caught. */
	memset(p->resp, 0xff, VIRTIO_PMEM_RESP_SIZE);
	*ret = ~0u;
	*len = 0;
	head = vq_add(&p->q, segs, ARRAY_SIZE(segs));
	if (head < 0) {
		p->v.why = "reason=request_too_big_for_queue";
		return false;
	}
	if (!vq_sync(&p->q, (u16)head, len, p->timeout_us))
		return false;
	memcpy(ret, p->resp, sizeof(*ret));
	if (*len != VIRTIO_PMEM_RESP_SIZE)
		p->v.why = "reason=flush_used_len";
	else if (*ret == VIRTIO_PMEM_RESP_TYPE_EIO)
		p->v.why = "reason=flush_eio";
	else if (*ret != VIRTIO_PMEM_RESP_TYPE_OK)
		p->v.why = "reason=flush_bad_ret";
	else
		return true;
	return false;
}

void pmem_close(struct pmem *p)
{
	virtio_reset(&p->v);
}
