#include "vmm/vhost_frontend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "vhost/msg.h"

static bool has_pf(const struct vu_frontend *fe, unsigned bit)
{
	return fe->protocol_features & (1ULL << bit);
}

void vu_fe_begin(struct vu_frontend *fe, int ms)
{
	fe->until_us = clock_us(CLOCK_MONOTONIC) + (uint64_t)ms * 1000;
}

void vu_fe_end(struct vu_frontend *fe)
{
	fe->until_us = 0;
}

/* What the next answer may be waited for: fe->timeout_ms, or less when a
 * sequence's end (vu_fe_begin) comes first. */
static int answer_wait_ms(const struct vu_frontend *fe)
{
	if (!fe->until_us)
		return fe->timeout_ms;
	uint64_t now = clock_us(CLOCK_MONOTONIC);
	uint64_t left = fe->until_us > now ? (fe->until_us - now + 999) / 1000 : 0;

	if (fe->timeout_ms >= 0 && left > (uint64_t)fe->timeout_ms)
		return fe->timeout_ms;
	return (int)left;
}

/* Sends one request and collects its answer: the reply of a GET_*, or the
 * REPLY_ACK status when negotiated. reply may be NULL. */
static int request(struct vu_frontend *fe, uint32_t req, const void *payload,
		   uint32_t size, const int *fds, unsigned nfds,
		   struct vu_msg *reply, struct azerr *e)
{
	bool has_reply = vu_request_has_reply(req);
	bool ack = !has_reply && has_pf(fe, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vu_msg m = { .hdr = {
		.request = req,
		.flags = VHOST_USER_VERSION | (ack ? VHOST_USER_NEED_REPLY : 0),
		.size = size,
	} };
	struct vu_msg r;
	struct azerr err;
	char buf[32];
	const char *name = vu_request_name(req, buf);

	if (fe->sock < 0)
		return azerr_set(e, "vhost-user %s: %s: not connected", fe->name, name);
	if (fe->lost)
		return azerr_set(e, "vhost-user %s: %s: not sent, an earlier request broke "
				 "the connection", fe->name, name);
	if (payload)
		memcpy(&m.p, payload, size);
	for (unsigned i = 0; i < nfds; i++)
		m.fds[i] = fds[i];
	m.nfds = nfds;
	/* From here a failure leaves the stream out of step (a request half
	 * sent, a reply missing, late or another request's): no later reply
	 * could be matched to its request, so nothing more is sent, and
	 * every later call fails at once instead of waiting its timeout. */
	fe->lost = true;
	if (vu_msg_send(fe->sock, &m, &err))
		return azerr_set(e, "vhost-user %s: %s", fe->name, err.msg);
	if (!has_reply && !ack) {
		fe->lost = false;
		return 0;
	}
	int got = vu_msg_recv(fe->sock, &r, answer_wait_ms(fe), &err);
	if (got == 0)
		return azerr_set(e, "vhost-user %s: %s: back-end closed the connection",
				 fe->name, name);
	if (got < 0)
		return azerr_set(e, "vhost-user %s: %s: %s", fe->name, name, err.msg);
	if (vu_msg_check_reply(&r, req, &err)) {
		vu_msg_close_fds(&r);
		return azerr_set(e, "vhost-user %s: bad reply: %s", fe->name, err.msg);
	}
	fe->lost = false;
	if (ack && r.p.u64)
		return azerr_set(e, "vhost-user %s: back-end refused %s", fe->name, name);
	if (reply)
		*reply = r;
	return 0;
}

static int request_u64(struct vu_frontend *fe, uint32_t req, uint64_t v,
		       struct azerr *e)
{
	return request(fe, req, &v, sizeof(v), NULL, 0, NULL, e);
}

static int get_u64(struct vu_frontend *fe, uint32_t req, uint64_t *v,
		   struct azerr *e)
{
	struct vu_msg r;

	if (request(fe, req, NULL, 0, NULL, 0, &r, e))
		return -1;
	*v = r.p.u64;
	return 0;
}

static int state(struct vu_frontend *fe, uint32_t req, unsigned idx, uint32_t num,
		 struct azerr *e)
{
	struct vhost_user_vring_state s = { idx, num };

	return request(fe, req, &s, sizeof(s), NULL, 0, NULL, e);
}

int vu_fe_attach(struct vu_frontend *fe, int sock, const char *name,
		 int timeout_ms, struct azerr *e)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };

	memset(fe, 0, sizeof(*fe));
	fe->sock = sock;
	fe->timeout_ms = timeout_ms;
	snprintf(fe->name, sizeof(fe->name), "%s", name);
	/* Sends wait no longer than replies do. */
	if (timeout_ms > 0 &&
	    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		azerr_set(e, "vhost-user %s: %s", name, strerror(errno));
		vu_fe_close(fe);
		return -1;
	}
	return 0;
}

int vu_fe_connect(struct vu_frontend *fe, const char *path, int timeout_ms,
		  struct azerr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	fe->sock = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return azerr_set(e, "vhost-user socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return azerr_set(e, "vhost-user %s: socket: %s", path, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		azerr_set(e, "vhost-user %s: cannot connect: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return vu_fe_attach(fe, fd, path, timeout_ms, e);
}

int vu_fe_negotiate(struct vu_frontend *fe, uint64_t want, struct azerr *e)
{
	uint64_t f, pf;

	fe->protocol_features = 0;
	if (!fe->owned && request(fe, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL, e))
		return -1;
	fe->owned = true;
	if (get_u64(fe, VHOST_USER_GET_FEATURES, &f, e))
		return -1;
	fe->has_protocol_features = f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
	fe->can_log = f & (1ULL << VHOST_F_LOG_ALL);
	/* Neither is a device feature: no guest is to see them. */
	fe->features = f & ~((1ULL << VHOST_USER_F_PROTOCOL_FEATURES) |
			     (1ULL << VHOST_F_LOG_ALL));
	if (!fe->has_protocol_features)
		return 0;
	if (get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, &pf, e) ||
	    request_u64(fe, VHOST_USER_SET_PROTOCOL_FEATURES, pf & want, e))
		return -1;
	fe->protocol_features = pf & want;
	return 0;
}

int vu_fe_set_features(struct vu_frontend *fe, uint64_t features, struct azerr *e)
{
	uint64_t offered = fe->features | (fe->can_log ? 1ULL << VHOST_F_LOG_ALL : 0);

	if (features & ~offered)
		return azerr_set(e, "vhost-user %s: features 0x%llx not offered",
				 fe->name, (unsigned long long)(features & ~offered));
	if (fe->has_protocol_features)
		features |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	return request_u64(fe, VHOST_USER_SET_FEATURES, features, e);
}

int vu_fe_get_queue_num(struct vu_frontend *fe, unsigned *n, struct azerr *e)
{
	uint64_t v;

	if (!has_pf(fe, VHOST_USER_PROTOCOL_F_MQ)) {
		*n = 1;
		return 0;
	}
	if (get_u64(fe, VHOST_USER_GET_QUEUE_NUM, &v, e))
		return -1;
	if (!v || v > VHOST_USER_MAX_QUEUES)
		return azerr_set(e, "vhost-user %s: back-end reports %llu queues",
				 fe->name, (unsigned long long)v);
	*n = (unsigned)v;
	return 0;
}

static int config_args(struct vu_frontend *fe, uint32_t len, struct azerr *e)
{
	if (!has_pf(fe, VHOST_USER_PROTOCOL_F_CONFIG))
		return azerr_set(e, "vhost-user %s: back-end has no config space "
				 "(CONFIG protocol feature)", fe->name);
	if (len > VHOST_USER_MAX_CONFIG)
		return azerr_set(e, "vhost-user %s: config access of %u bytes",
				 fe->name, len);
	return 0;
}

int vu_fe_get_config(struct vu_frontend *fe, uint32_t off, void *buf, uint32_t len,
		     struct azerr *e)
{
	struct vhost_user_config c = { .offset = off, .size = len };
	struct vu_msg r;

	if (config_args(fe, len, e) ||
	    request(fe, VHOST_USER_GET_CONFIG, &c, VHOST_USER_CONFIG_HDR + len,
		    NULL, 0, &r, e))
		return -1;
	/* A back-end that fails answers with an empty config. */
	if (r.p.config.size != len || r.p.config.offset != off)
		return azerr_set(e, "vhost-user %s: GET_CONFIG %u+%u failed", fe->name,
				 off, len);
	memcpy(buf, r.p.config.data, len);
	return 0;
}

int vu_fe_set_config(struct vu_frontend *fe, uint32_t off, const void *buf,
		     uint32_t len, struct azerr *e)
{
	struct vhost_user_config c = { .offset = off, .size = len };

	if (config_args(fe, len, e))
		return -1;
	memcpy(c.data, buf, len);
	return request(fe, VHOST_USER_SET_CONFIG, &c, VHOST_USER_CONFIG_HDR + len,
		       NULL, 0, NULL, e);
}

int vu_fe_set_mem_table(struct vu_frontend *fe, const struct vu_fe_region *r,
			unsigned n, struct azerr *e)
{
	struct vhost_user_mem_table t = { .nregions = n };
	int fds[VHOST_USER_MAX_FDS];

	if (n < 1 || n > VHOST_USER_MAX_FDS)
		return azerr_set(e, "vhost-user %s: %u memory regions (1..%d)",
				 fe->name, n, VHOST_USER_MAX_FDS);
	for (unsigned i = 0; i < n; i++) {
		t.regions[i] = (struct vhost_user_mem_region){
			.gpa = r[i].gpa, .size = r[i].size, .uva = r[i].uva,
			.mmap_offset = r[i].fd_offset,
		};
		fds[i] = r[i].fd;
	}
	return request(fe, VHOST_USER_SET_MEM_TABLE, &t,
		       8 + n * sizeof(struct vhost_user_mem_region), fds, n, NULL, e);
}

int vu_fe_set_log_base(struct vu_frontend *fe, int fd, uint64_t size, struct azerr *e)
{
	struct vhost_user_log l = { .mmap_size = size, .mmap_offset = 0 };
	struct vu_msg r;

	if (!has_pf(fe, VHOST_USER_PROTOCOL_F_LOG_SHMFD))
		return azerr_set(e, "vhost-user %s: back-end cannot take a dirty log "
				 "(LOG_SHMFD protocol feature)", fe->name);
	if (request(fe, VHOST_USER_SET_LOG_BASE, &l, sizeof(l), &fd, 1, &r, e))
		return -1;
	/* Back-ends answer 0, 8 or 16 bytes (vhost/msg.c); those answering
	 * a u64 say 0 when they took the log. */
	if (r.hdr.size == sizeof(uint64_t) && r.p.u64)
		return azerr_set(e, "vhost-user %s: back-end refused SET_LOG_BASE "
				 "(a log of %llu bytes)", fe->name, (unsigned long long)size);
	return 0;
}

static int vring_fd(struct vu_frontend *fe, uint32_t req, unsigned idx, int fd,
		    struct azerr *e)
{
	uint64_t v = idx | (fd < 0 ? VHOST_USER_VRING_NOFD : 0);

	return request(fe, req, &v, sizeof(v), &fd, fd >= 0, NULL, e);
}

int vu_fe_vring_start(struct vu_frontend *fe, unsigned idx,
		      const struct vu_fe_vring *v, struct azerr *e)
{
	struct vhost_user_vring_addr a = {
		.index = idx, .desc = v->desc, .used = v->used, .avail = v->avail,
		.flags = v->log ? VHOST_VRING_F_LOG : 0, .log = v->log ? v->log_gpa : 0,
	};
	uint64_t one = 1;

	if (idx >= VHOST_USER_MAX_QUEUES || v->kickfd < 0)
		return azerr_set(e, "vhost-user %s: vring %u: bad index or no kick fd",
				 fe->name, idx);
	if (state(fe, VHOST_USER_SET_VRING_NUM, idx, v->num, e) ||
	    state(fe, VHOST_USER_SET_VRING_BASE, idx, v->base, e) ||
	    request(fe, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, NULL, e) ||
	    vring_fd(fe, VHOST_USER_SET_VRING_CALL, idx, v->callfd, e) ||
	    vring_fd(fe, VHOST_USER_SET_VRING_KICK, idx, v->kickfd, e))
		return -1;
	if (fe->has_protocol_features &&
	    state(fe, VHOST_USER_SET_VRING_ENABLE, idx, 1, e))
		return -1;
	/* Older back-ends start a ring on its first kick; give them one. */
	(void)!write(v->kickfd, &one, sizeof(one));
	return 0;
}

int vu_fe_vring_stop(struct vu_frontend *fe, unsigned idx, uint16_t *base,
		     struct azerr *e)
{
	struct vhost_user_vring_state s = { idx, 0 };
	struct vu_msg r;

	if (fe->has_protocol_features &&
	    state(fe, VHOST_USER_SET_VRING_ENABLE, idx, 0, e))
		return -1;
	if (request(fe, VHOST_USER_GET_VRING_BASE, &s, sizeof(s), NULL, 0, &r, e))
		return -1;
	if (r.p.state.index != idx || r.p.state.num > 0xffff)
		return azerr_set(e, "vhost-user %s: GET_VRING_BASE answered ring %u "
				 "base %u for ring %u", fe->name, r.p.state.index,
				 r.p.state.num, idx);
	*base = (uint16_t)r.p.state.num;
	return 0;
}

int vu_fe_reset(struct vu_frontend *fe, struct azerr *e)
{
	uint32_t req = has_pf(fe, VHOST_USER_PROTOCOL_F_RESET_DEVICE) ?
		       VHOST_USER_RESET_DEVICE : VHOST_USER_RESET_OWNER;

	/* Whether or not it is answered: the next negotiation claims the
	 * back-end again if this may have released it. */
	if (req == VHOST_USER_RESET_OWNER)
		fe->owned = false;
	return request(fe, req, NULL, 0, NULL, 0, NULL, e);
}

int vu_fe_fd(const struct vu_frontend *fe)
{
	return fe->sock;
}

void vu_fe_close(struct vu_frontend *fe)
{
	if (fe->sock >= 0)
		close(fe->sock);
	fe->sock = -1;
}
