/* The card's one MMDS stack between the control thread and the pairs:
 * see mmds_port.h. */
#include "cards/net/mmds_port.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cards/virtio/iov.h"
#include "common/log.h"

int net_mmds_init(struct net_mmds *nm, struct azerr *e)
{
	pthread_mutex_init(&nm->lock, NULL);
	atomic_init(&nm->addr, 0);
	if (!(nm->m = mmds_new()))
		return azerr_set(e, "MMDS: cannot make its stack: %s", strerror(errno));
	return 0;
}

/* CLOCK_MONOTONIC in ms, the stack's clock (token lifetimes). */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int net_mmds_set(struct net_mmds *nm, const struct card_ctl_req *req, const int *fds,
		 unsigned nr_fds, struct azerr *e)
{
	const struct mmds_config c = {
		.ipv4 = req->mmds.ipv4, .version = req->mmds.version,
		.imds_compat = req->mmds.imds_compat,
	};
	const void *doc;
	int ret = -1;

	if (card_ctl_mmds_map(req, fds, nr_fds, &doc, e) < 0)
		return -1;
	pthread_mutex_lock(&nm->lock);
	if (!mmds_set_data(nm->m, doc, (size_t)req->mmds.size, e) && !mmds_configure(nm->m, &c, e))
		ret = 0;
	if (!ret)
		atomic_store(&nm->addr, c.ipv4);
	pthread_mutex_unlock(&nm->lock);
	munmap((void *)doc, (size_t)req->mmds.size);
	if (!ret)
		log_info("MMDS: version %u at %u.%u.%u.%u, a document of %llu bytes",
			 c.version, ((uint8_t *)&c.ipv4)[0], ((uint8_t *)&c.ipv4)[1],
			 ((uint8_t *)&c.ipv4)[2], ((uint8_t *)&c.ipv4)[3],
			 (unsigned long long)req->mmds.size);
	return ret;
}

bool net_mmds_tx(struct net_mmds *nm, const struct iovec *iov, unsigned n,
		 size_t frame_len, bool csum_partial, uint8_t *buf, size_t cap)
{
	uint8_t head[MMDS_HEAD_LEN];
	bool taken = false;

	if (!atomic_load_explicit(&nm->addr, memory_order_acquire))
		return false;
	iov_to_buf(iov, n, 0, head, sizeof(head));
	pthread_mutex_lock(&nm->lock);
	/* The guest may rewrite the frame between the look and the copy, as
	 * with Firecracker: the stack then judges the copy, and a frame it
	 * does not take goes to the TAP as any other. */
	if (mmds_frame_is_ours(nm->m, head, frame_len) && frame_len <= cap) {
		size_t got = iov_to_buf(iov, n, 0, buf, frame_len);

		taken = csum_partial ? mmds_guest_frame_csum_partial(nm->m, buf, got, now_ms())
				     : mmds_guest_frame(nm->m, buf, got, now_ms());
	}
	pthread_mutex_unlock(&nm->lock);
	return taken;
}

size_t net_mmds_rx(struct net_mmds *nm, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	if (!atomic_load_explicit(&nm->addr, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&nm->lock);
	if (nm->nr_held && nm->held[0].len <= cap) {
		n = nm->held[0].len;
		memcpy(buf, nm->held[0].frame, n);
		memmove(&nm->held[0], &nm->held[1], --nm->nr_held * sizeof(nm->held[0]));
	} else if (mmds_pending(nm->m)) {
		n = mmds_reply_frame(nm->m, buf, cap, now_ms());
	}
	pthread_mutex_unlock(&nm->lock);
	return n;
}

void net_mmds_give_back(struct net_mmds *nm, const uint8_t *frame, size_t len)
{
	pthread_mutex_lock(&nm->lock);
	if (nm->nr_held < NET_MMDS_HELD && len <= MMDS_FRAME_MAX) {
		nm->held[nm->nr_held].len = len;
		memcpy(nm->held[nm->nr_held++].frame, frame, len);
	} else {
		log_warn("MMDS: an answer given back found no room: dropped");
	}
	pthread_mutex_unlock(&nm->lock);
}

bool net_mmds_pending(struct net_mmds *nm)
{
	bool p;

	if (!atomic_load_explicit(&nm->addr, memory_order_acquire))
		return false;
	pthread_mutex_lock(&nm->lock);
	p = nm->nr_held || mmds_pending(nm->m);
	pthread_mutex_unlock(&nm->lock);
	return p;
}
