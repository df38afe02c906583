#include "cards/vhost/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/uffd_pager.h"
#include "virtio/virtio.h"

/* vu_backend_set_pager's, or NULL: not a lazy restore. */
static struct uffd_pager *pager;

void vu_backend_set_pager(struct uffd_pager *p)
{
	pager = p;
}

/* Region r, just mapped from the memfd at mmap_offset, served by the
 * pager from now on: its whole mapping (whole pages of its own size),
 * from the page mmap_offset lies in. */
static int page_lazily(const struct gmem_region *r, uint64_t mmap_offset, struct azerr *e)
{
	if (!pager)
		return 0;
	return uffd_pager_add(pager, r->map, r->map_len, mmap_offset & ~(r->page - 1), r->page,
			      e);
}

/* gmem_unmap, once the pager has forgotten each mapping. */
static void unmap_mem(struct gmem *m)
{
	for (unsigned i = 0; pager && i < m->nr; i++)
		if (m->r[i].map)
			uffd_pager_remove(pager, m->r[i].map);
	gmem_unmap(m);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static bool ring_ready(const struct vu_backend *b, const struct vu_vring *vr)
{
	return b->mem.nr && vr->num && vr->has_addr && vr->kickfd >= 0 &&
	       vr->enabled && !vr->failed;
}

/* A ring that cannot start (addresses outside guest memory, misaligned)
 * signals its error eventfd and stays down until the front-end changes it
 * or the memory table. */
static int start_ring(struct vu_backend *b, unsigned idx, struct azerr *e)
{
	struct vu_vring *vr = &b->vrings[idx];
	struct azerr why;

	vr->q.kickfd = vr->kickfd;
	vr->q.callfd = vr->callfd;
	if (virtq_start(&vr->q, &b->mem, vr->num, vr->addr.desc, vr->addr.avail,
			vr->addr.used, true, vr->base, b->features, &why) ||
	    virtq_set_log(&vr->q, b->log.bits ? &b->log : NULL,
			  b->features & VIRTIO_BIT(VHOST_F_LOG_ALL),
			  vr->addr.flags & VHOST_VRING_F_LOG, vr->addr.log, &why) ||
	    b->dev->ops->queue_start(b->dev->dev, idx, &vr->q, &why)) {
		vr->failed = true;
		virtq_signal(vr->errfd);
		return azerr_set(e, "vring %u cannot start: %s", idx, why.msg);
	}
	vr->running = true;
	log_debug("%s: vring %u started (%u entries, avail index %u)", b->name,
		  idx, vr->num, vr->base);
	return 0;
}

static void stop_ring(struct vu_backend *b, unsigned idx)
{
	struct vu_vring *vr = &b->vrings[idx];

	if (!vr->running)
		return;
	b->dev->ops->queue_stop(b->dev->dev, idx, &vr->q);
	vr->base = vr->q.last_avail;
	vr->running = false;
	log_debug("%s: vring %u stopped at avail index %u", b->name, idx, vr->base);
}

static void stop_all(struct vu_backend *b)
{
	for (unsigned i = 0; i < b->dev->nr_queues; i++)
		stop_ring(b, i);
}

/* Starts every ring that has become ready. One that cannot start fails
 * the request that made it ready, so a front-end with REPLY_ACK learns it
 * (azote then sets DEVICE_NEEDS_RESET for the guest). */
static int update_rings(struct vu_backend *b, struct azerr *e)
{
	int r = 0;

	for (unsigned i = 0; i < b->dev->nr_queues; i++)
		if (!b->vrings[i].running && ring_ready(b, &b->vrings[i]) &&
		    start_ring(b, i, e) < 0)
			r = -1;
	return r;
}

static void reset_rings(struct vu_backend *b)
{
	stop_all(b);
	if (b->dev->ops->reset)
		b->dev->ops->reset(b->dev->dev);
	for (unsigned i = 0; i < VHOST_USER_MAX_QUEUES; i++) {
		struct vu_vring *vr = &b->vrings[i];
		close_fd(&vr->kickfd);
		close_fd(&vr->callfd);
		close_fd(&vr->errfd);
		memset(vr, 0, sizeof(*vr));
		vr->kickfd = vr->callfd = vr->errfd = -1;
	}
}

/* Back to the state before any driver: rings, memory, log, features and
 * what the device keeps of its driver; ownership and protocol features
 * are the caller's to keep or drop. */
static void forget_driver(struct vu_backend *b)
{
	reset_rings(b);
	unmap_mem(&b->mem);
	vlog_unmap(&b->log);
	b->features = 0;
	b->features_set = false;
	b->status = 0;
}

void vu_backend_reset(struct vu_backend *b)
{
	forget_driver(b);
	b->owner = false;
	b->protocol_features = 0;
	b->broken = false;
}

void vu_backend_init(struct vu_backend *b, const struct vu_device *dev)
{
	memset(b, 0, sizeof(*b));
	b->dev = dev;
	b->sock = -1;
	b->name = "vhost-user";
	for (unsigned i = 0; i < VHOST_USER_MAX_QUEUES; i++)
		b->vrings[i].kickfd = b->vrings[i].callfd = b->vrings[i].errfd = -1;
}

/* Sends the reply to req. One that cannot be sent leaves the front-end
 * waiting for ever: the connection is then broken, and e says why. */
static int send_reply(struct vu_backend *b, const struct vu_msg *req,
		      const void *payload, uint32_t size, struct azerr *e)
{
	struct vu_msg r = { .hdr = {
		.request = req->hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY,
		.size = size,
	} };

	memcpy(&r.p, payload, size);
	if (vu_msg_send(b->sock, &r, e)) {
		b->broken = true;
		return -1;
	}
	b->replied = true;
	return 0;
}

static int reply_u64(struct vu_backend *b, const struct vu_msg *req, uint64_t v,
		     struct azerr *e)
{
	return send_reply(b, req, &v, sizeof(v), e);
}

/* The ring vring request m names. */
static struct vu_vring *ring_arg(struct vu_backend *b, const struct vu_msg *m,
				 struct azerr *e)
{
	uint32_t idx;

	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_ADDR:
		idx = m->p.addr.index;
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		idx = (uint32_t)(m->p.u64 & VHOST_USER_VRING_IDX_MASK);
		break;
	default:
		idx = m->p.state.index;
		break;
	}
	if (idx >= b->dev->nr_queues) {
		azerr_set(e, "vring index %u, device has %u queues", idx,
			  b->dev->nr_queues);
		return NULL;
	}
	return &b->vrings[idx];
}

/* GET_FEATURES' answer: the device's features, the protocol features
 * bit, and VHOST_F_LOG_ALL for a device that logs its writes (it offers
 * LOG_SHMFD: see struct vu_device). */
static uint64_t offered_features(const struct vu_backend *b)
{
	uint64_t f = b->dev->features | VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);

	if (b->dev->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD))
		f |= VIRTIO_BIT(VHOST_F_LOG_ALL);
	return f;
}

static int set_features(struct vu_backend *b, uint64_t f, struct azerr *e)
{
	uint64_t offered = offered_features(b);

	if (f & ~offered)
		return azerr_set(e, "features 0x%llx not offered (offered 0x%llx)",
				 (unsigned long long)(f & ~offered),
				 (unsigned long long)offered);
	/* Ring behaviour (EVENT_IDX, INDIRECT) is fixed while a ring runs. */
	stop_all(b);
	b->features = f;
	b->features_set = true;
	/* Logging is the server's and the ring code's business, not the
	 * device's. */
	b->dev->ops->set_features(b->dev->dev, f & ~(VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES) |
						     VIRTIO_BIT(VHOST_F_LOG_ALL)));
	/* Without protocol features there is no SET_VRING_ENABLE: rings are
	 * enabled as they start. */
	if (!(f & VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
		for (unsigned i = 0; i < b->dev->nr_queues; i++)
			b->vrings[i].enabled = true;
	return 0;
}

static int set_mem_table(struct vu_backend *b, struct vu_msg *m, struct azerr *e)
{
	const struct vhost_user_mem_table *t = &m->p.mem;
	struct gmem mem = { .nr = t->nregions };

	for (unsigned i = 0; i < mem.nr; i++) {
		mem.r[i].gpa = t->regions[i].gpa;
		mem.r[i].size = t->regions[i].size;
		mem.r[i].uva = t->regions[i].uva;
	}
	if (gmem_check(&mem, e))
		return -1;
	for (unsigned i = 0; i < mem.nr; i++) {
		if (gmem_map_region(&mem.r[i], m->fds[i], t->regions[i].mmap_offset,
				    b->seals_required, e) ||
		    page_lazily(&mem.r[i], t->regions[i].mmap_offset, e)) {
			unmap_mem(&mem);
			return -1;
		}
	}
	/* Rings hold pointers into the old mapping: stop them, swap, and
	 * let update_rings restart them on the new one. */
	stop_all(b);
	unmap_mem(&b->mem);
	b->mem = mem;
	for (unsigned i = 0; i < VHOST_USER_MAX_QUEUES; i++)
		b->vrings[i].failed = false;
	log_debug("%s: memory table of %u regions mapped", b->name, mem.nr);
	return 0;
}

/* SET_LOG_BASE: the front-end's dirty log (vlog.h). Always answered, a u64
 * 0 when taken and 1 when refused (msg.c says why). */
static int set_log_base(struct vu_backend *b, struct vu_msg *m, struct azerr *e)
{
	struct vlog l;

	if (!(b->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD)))
		return azerr_set(e, "the LOG_SHMFD protocol feature was not negotiated");
	if (vlog_map(&l, m->fds[0], m->p.log.mmap_size, m->p.log.mmap_offset,
		     b->seals_required, e))
		return -1;
	uint64_t end = vlog_mem_end(&b->mem);
	if (!vlog_covers(&l, end)) {
		azerr_set(e, "a log of %llu bytes does not cover guest memory up to 0x%llx",
			  (unsigned long long)l.size, (unsigned long long)end);
		vlog_unmap(&l);
		return -1;
	}
	/* Workers may be setting bits in the old log: stop the rings, swap,
	 * and let update_rings restart them on the new one, as for the
	 * memory table. */
	stop_all(b);
	vlog_unmap(&b->log);
	b->log = l;
	for (unsigned i = 0; i < VHOST_USER_MAX_QUEUES; i++)
		b->vrings[i].failed = false;
	log_debug("%s: dirty log of %llu bytes mapped", b->name, (unsigned long long)l.size);
	return reply_u64(b, m, 0, e);
}

/* Checks a ring fd the front-end sent, and makes it what the card's
 * reads and writes of it assume. */
static int take_ring_fd(int fd, unsigned idx, struct azerr *e)
{
	struct stat st;
	int fl;

	/* Eventfds are anonymous inodes (no file type in st_mode). A pipe,
	 * socket or file instead would block or fail our writes, or keep a
	 * worker's poll spinning once its peer hangs up. */
	if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT))
		return azerr_set(e, "vring %u: fd is not an eventfd", idx);
	/* Non-blocking: a call or error eventfd the front-end made blocking
	 * and filled would hold the thread that signals it (a worker, or
	 * this one) until the front-end reads it, if ever. What a front-end
	 * can still do: docs/security.md, "Cards". */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return azerr_set(e, "vring %u: cannot make the eventfd non-blocking: %s",
				 idx, strerror(errno));
	return 0;
}

static int set_vring_fd(struct vu_backend *b, struct vu_vring *vr, struct vu_msg *m,
			struct azerr *e)
{
	int fd = (m->p.u64 & VHOST_USER_VRING_NOFD) ? -1 : m->fds[0];
	int *slot;

	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
		if (fd < 0)
			return azerr_set(e, "SET_VRING_KICK without an fd: polling "
					 "rings are not supported");
		slot = &vr->kickfd;
		break;
	case VHOST_USER_SET_VRING_CALL:
		slot = &vr->callfd;
		break;
	default:
		slot = &vr->errfd;
		break;
	}
	unsigned idx = (unsigned)(vr - b->vrings);
	if (fd >= 0 && take_ring_fd(fd, idx, e))
		return -1;
	/* The device may be using the old fd: stop the ring first. */
	stop_ring(b, idx);
	close_fd(slot);
	*slot = fd;
	if (m->nfds)
		m->fds[0] = -1;  /* now ours */
	return 0;
}

/* What a GET_CONFIG or SET_CONFIG names: a config space the device has,
 * the CONFIG protocol feature negotiated, and bytes within the space. An
 * empty access to an empty space (the entropy card's) would otherwise
 * pass as in range, and a GET_CONFIG's answer of 0 bytes, the spec's
 * refusal, would read as success. The device still offers the feature:
 * snapshots record what was negotiated, and a restore checks it. */
static int config_range(const struct vu_backend *b, const struct vhost_user_config *c,
			struct azerr *e)
{
	if (!(b->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)))
		return azerr_set(e, "config access without the CONFIG protocol feature");
	if (!b->dev->config_size)
		return azerr_set(e, "config access %u+%u: the device has no config space",
				 c->offset, c->size);
	if (!c->size)
		return azerr_set(e, "config access of 0 bytes at %u", c->offset);
	if (c->offset > b->dev->config_size || c->size > b->dev->config_size - c->offset)
		return azerr_set(e, "config range %u+%u outside the %u-byte config space",
				 c->offset, c->size, b->dev->config_size);
	return 0;
}

/* Answers a GET_CONFIG that failed (e says why) the way the spec asks:
 * with an empty config, so the front-end is not left waiting. */
static int refuse_config(struct vu_backend *b, const struct vu_msg *m, struct azerr *e)
{
	struct vhost_user_config c = { .offset = m->p.config.offset };
	struct azerr send_err;

	if (send_reply(b, m, &c, VHOST_USER_CONFIG_HDR, &send_err))
		azerr_set(e, "%s", send_err.msg);
	return -1;
}

static int get_config(struct vu_backend *b, const struct vu_msg *m, struct azerr *e)
{
	struct vhost_user_config c = m->p.config;

	if (config_range(b, &c, e))
		return refuse_config(b, m, e);
	memset(c.data, 0, c.size);
	if (b->dev->ops->get_config)
		b->dev->ops->get_config(b->dev->dev, c.offset, c.data, c.size);
	return send_reply(b, m, &c, VHOST_USER_CONFIG_HDR + c.size, e);
}

static int set_config(struct vu_backend *b, const struct vu_msg *m, struct azerr *e)
{
	const struct vhost_user_config *c = &m->p.config;

	if (config_range(b, c, e))
		return -1;
	if (!b->dev->ops->set_config)
		return azerr_set(e, "config space is read-only");
	return b->dev->ops->set_config(b->dev->dev, c->offset, c->data, c->size, e);
}

static int set_vring(struct vu_backend *b, struct vu_vring *vr, struct vu_msg *m,
		     struct azerr *e)
{
	const struct vhost_user_vring_state *s = &m->p.state;

	if (m->hdr.request == VHOST_USER_SET_VRING_ADDR) {
		/* log_guest_addr is checked when the ring starts, against
		 * the memory table and log of that time. */
		if (m->p.addr.flags & ~VHOST_VRING_F_LOG)
			return azerr_set(e, "vring %u: unknown flags 0x%x",
					 m->p.addr.index, m->p.addr.flags);
		stop_ring(b, m->p.addr.index);
		vr->addr = m->p.addr;
		vr->has_addr = true;
		return 0;
	}
	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_NUM:
		if (!s->num || s->num > VIRTQ_MAX_SIZE || (s->num & (s->num - 1)))
			return azerr_set(e, "vring %u: size %u is not a power of 2 "
					 "in 1..%d", s->index, s->num, VIRTQ_MAX_SIZE);
		stop_ring(b, s->index);
		vr->num = s->num;
		return 0;
	case VHOST_USER_SET_VRING_BASE:
		if (s->num > 0xffff)
			return azerr_set(e, "vring %u: base %u does not fit a split "
					 "ring index", s->index, s->num);
		stop_ring(b, s->index);
		vr->base = (uint16_t)s->num;
		return 0;
	case VHOST_USER_GET_VRING_BASE: {
		stop_ring(b, s->index);
		/* The ring stays stopped until the next SET_VRING_KICK. */
		close_fd(&vr->kickfd);
		struct vhost_user_vring_state r = { s->index, vr->base };
		return send_reply(b, m, &r, sizeof(r), e);
	}
	default: /* VHOST_USER_SET_VRING_ENABLE */
		if (s->num > 1)
			return azerr_set(e, "vring %u: enable value %u", s->index, s->num);
		if (!s->num)
			stop_ring(b, s->index);
		vr->enabled = s->num;
		return 0;
	}
}

/* A vring request, which apply (set_vring, set_vring_fd) carries out on
 * its ring. One taken changed the ring: if it could not start, it is
 * tried again after it (update_rings). One refused changed nothing: the
 * ring is not tried again for it, to fail (and signal its error
 * eventfd) again on the next request, which is not about it. */
static int handle_vring(struct vu_backend *b, struct vu_msg *m,
			int (*apply)(struct vu_backend *b, struct vu_vring *vr,
				     struct vu_msg *m, struct azerr *e),
			struct azerr *e)
{
	struct vu_vring *vr = ring_arg(b, m, e);

	if (!vr || apply(b, vr, m, e))
		return -1;
	vr->failed = false;
	return 0;
}

static int dispatch(struct vu_backend *b, struct vu_msg *m, struct azerr *e)
{
	switch (m->hdr.request) {
	case VHOST_USER_GET_FEATURES:
		return reply_u64(b, m, offered_features(b), e);
	case VHOST_USER_SET_FEATURES:
		return set_features(b, m->p.u64, e);
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return reply_u64(b, m, b->dev->protocol_features & VU_BACKEND_PROTOCOL_FEATURES, e);
	case VHOST_USER_SET_PROTOCOL_FEATURES: {
		uint64_t offered = b->dev->protocol_features & VU_BACKEND_PROTOCOL_FEATURES;
		if (m->p.u64 & ~offered)
			return azerr_set(e, "protocol features 0x%llx not offered",
					 (unsigned long long)(m->p.u64 & ~offered));
		b->protocol_features = m->p.u64;
		return 0;
	}
	case VHOST_USER_SET_OWNER:
		b->owner = true;
		return 0;
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE:
		/* Back to the state after connecting; RESET_DEVICE keeps the
		 * ownership and the negotiated protocol features. */
		forget_driver(b);
		if (m->hdr.request == VHOST_USER_RESET_OWNER) {
			b->owner = false;
			b->protocol_features = 0;
		}
		return 0;
	case VHOST_USER_SET_MEM_TABLE:
		return set_mem_table(b, m, e);
	case VHOST_USER_SET_LOG_BASE:
		return set_log_base(b, m, e);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_ADDR:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		return handle_vring(b, m, set_vring, e);
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return handle_vring(b, m, set_vring_fd, e);
	case VHOST_USER_GET_QUEUE_NUM:
		return reply_u64(b, m, b->dev->queue_num ? b->dev->queue_num
							 : b->dev->nr_queues, e);
	case VHOST_USER_GET_CONFIG:
		return get_config(b, m, e);
	case VHOST_USER_SET_CONFIG:
		return set_config(b, m, e);
	case VHOST_USER_SET_STATUS:
		b->status = (uint8_t)m->p.u64;
		return 0;
	case VHOST_USER_GET_STATUS:
		return reply_u64(b, m, b->status, e);
	default:
		return azerr_set(e, "request %u is not supported", m->hdr.request);
	}
}

/* Requests that may come before SET_OWNER: the ones that only read or
 * negotiate (QEMU negotiates features before it takes ownership). */
static bool needs_owner(uint32_t req)
{
	switch (req) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_SET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_GET_MAX_MEM_SLOTS:
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_GET_STATUS:
	case VHOST_USER_SET_OWNER:
	case VHOST_USER_RESET_OWNER:
		return false;
	default:
		return true;
	}
}

/* Answers a refused request that has a reply of its own the way its
 * front-end learns of the refusal: GET_CONFIG with an empty config (the
 * spec's), SET_LOG_BASE with a u64 1. -1 for requests with no such answer
 * (the GET_* that report values) or when it cannot be sent. */
static int answer_refusal(struct vu_backend *b, const struct vu_msg *m)
{
	struct azerr e;

	switch (m->hdr.request) {
	case VHOST_USER_GET_CONFIG:
		refuse_config(b, m, &e);
		return b->replied ? 0 : -1;
	case VHOST_USER_SET_LOG_BASE:
		return reply_u64(b, m, 1, &e);
	default:
		return -1;
	}
}

#define REPLY_ACK_BIT (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)

int vu_backend_handle(struct vu_backend *b, struct vu_msg *m, struct azerr *e)
{
	char buf[32];
	const char *name = vu_request_name(m->hdr.request, buf);
	bool has_reply = vu_request_has_reply(m->hdr.request);
	bool need_reply = !has_reply && (m->hdr.flags & VHOST_USER_NEED_REPLY);
	/* The ack is owed when REPLY_ACK was negotiated before the request or
	 * by it: RESET_OWNER forgets it, but its front-end, which asked under
	 * it, waits for the ack all the same; a SET_PROTOCOL_FEATURES that
	 * brings it is acked as it always was. */
	bool had_reply_ack = b->protocol_features & REPLY_ACK_BIT;
	struct azerr err;
	int r;

	b->replied = false;
	if (vu_msg_check_request(m, &err)) {
		r = -1;
	} else if (!b->owner && needs_owner(m->hdr.request)) {
		r = azerr_set(&err, "before SET_OWNER");
	} else {
		r = dispatch(b, m, &err);
	}
	vu_msg_close_fds(m);
	if (r == 0)
		r = update_rings(b, &err);
	/* The front-end waits for an answer we did not give: the refusal's,
	 * where the request has one. */
	if (r < 0 && has_reply && !b->replied && answer_refusal(b, m) < 0)
		b->broken = true;
	if (need_reply && (had_reply_ack || (b->protocol_features & REPLY_ACK_BIT))) {
		struct azerr ack_err;
		if (reply_u64(b, m, r ? 1 : 0, &ack_err) && r == 0) {
			err = ack_err;
			r = -1;
		}
	}
	if (r < 0)
		azerr_set(e, "%s refused: %s", name, err.msg);
	return r;
}

int vu_backend_serve(struct vu_backend *b, int sock, const char *name,
		     struct azerr *e)
{
	struct vu_msg m;
	int r;

	b->sock = sock;
	b->name = name;
	for (;;) {
		r = vu_msg_recv(sock, &m, -1, e);
		if (r <= 0)
			break;
		struct azerr herr;
		if (vu_backend_handle(b, &m, &herr)) {
			log_warn("%s: %s", name, herr.msg);
			if (b->broken) {
				azerr_set(e, "%s", herr.msg);
				r = -1;
				break;
			}
		}
	}
	vu_backend_reset(b);
	b->sock = -1;
	return r < 0 ? -1 : 0;
}
