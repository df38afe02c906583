/* Changes to a running card over its control channel: see card_update.h. */
#include "vmm/card_update.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/log.h"
#include "iface/card.h"
#include "iface/card_control.h"
#include "virtio/virtio_balloon.h"

/* One request, its reply checked. */
static int call(struct vhost_dev *d, const struct card_ctl_req *req, const int *fds,
		unsigned nr_fds, struct card_ctl_reply *rep, struct azerr *e)
{
	struct azerr why;

	if (d->ctl_fd < 0)
		return azerr_set(e, "%s: %s", d->name, d->card_pid ?
				 "the control channel to its card was lost" :
				 "served by another vhost-user process, which azote cannot change");
	if (card_ctl_call(d->ctl_fd, req, fds, nr_fds, rep, &why) < 0) {
		/* A late answer would be taken for the next request's. */
		close(d->ctl_fd);
		d->ctl_fd = -1;
		return azerr_set(e, "%s: %s", d->name, why.msg);
	}
	if (rep->status)
		return azerr_set(e, "%s: the card refused: %s", d->name, rep->msg);
	return 0;
}

/* len bytes of the device's configuration at off: the guest reads them
 * from azote's copy, under the device's lock; then it is told. */
static void config_changed(struct vhost_dev *d, unsigned off, const void *data, size_t len)
{
	pthread_mutex_lock(&d->vd->lock);
	memcpy(d->config + off, data, len);
	pthread_mutex_unlock(&d->vd->lock);
	virtio_dev_config_changed(d->vd);
}

int card_update_limits(struct vhost_dev *d, const struct rate_limiter *const *rl,
		       unsigned n, struct azerr *e)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_LIMITS, .nr_limits = n };
	struct card_ctl_reply rep;

	if (n > sizeof(req.limit) / sizeof(req.limit[0]))
		return azerr_set(e, "%s: %u rate limiters", d->name, n);
	for (unsigned i = 0; i < n; i++) {
		req.given[i] = rl[i] != NULL;
		if (rl[i])
			card_ctl_limiter_put(&req.limit[i], rl[i]);
	}
	if (call(d, &req, NULL, 0, &rep, e) < 0)
		return -1;
	log_info("%s: rate limits updated", d->name);
	return 0;
}

int card_update_image(struct vhost_dev *d, const char *path, bool read_only, bool direct,
		      struct azerr *e)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_IMAGE };
	struct card_ctl_reply rep;
	int flags = read_only ? O_RDONLY : O_RDWR;
	unsigned n = direct ? 2 : 1;
	struct azerr why;
	int rc = -1;
	/* On the main thread: a FIFO put at the path since the API checked
	 * it must be refused, not waited on with the VM's event loop. */
	int fds[2] = { open_image(path, flags, d->name, e), -1 };

	if (fds[0] < 0)
		return -1;
	if (direct && (fds[1] = open_image(path, flags | O_DIRECT, d->name, &why)) < 0)
		azerr_set(e, "%s (O_DIRECT)", why.msg);
	else
		rc = call(d, &req, fds, n, &rep, e);
	/* The card holds its own copies now (SCM_RIGHTS). */
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (rc < 0)
		return -1;
	/* The capacity opens virtio-blk's configuration (§5.2.4). */
	uint64_t capacity = htole64(rep.sectors);

	config_changed(d, 0, &capacity, sizeof(capacity));
	log_info("%s: now %s, %llu sectors", d->name, path, (unsigned long long)rep.sectors);
	return 0;
}

int card_update_mmds(struct vhost_dev *d, const struct mmds_settings *s, const char *json,
		     struct azerr *e)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_MMDS };
	struct card_ctl_reply rep;
	size_t len = strlen(json);
	struct azerr why;
	int fd, rc;

	req.mmds = (struct card_ctl_mmds){
		.ipv4 = htonl(s->ipv4), .version = s->version, .imds_compat = s->imds_compat,
		.size = len,
	};
	if ((fd = card_ctl_mmds_memfd(json, len, &why)) < 0)
		return azerr_set(e, "%s: %s", d->name, why.msg);
	rc = call(d, &req, &fd, 1, &rep, e);
	close(fd);  /* the card holds its own copy */
	if (rc < 0)
		return -1;
	log_info("%s: MMDS document of %zu bytes", d->name, len);
	return 0;
}

int card_update_net_pairs(struct vhost_dev *d, unsigned pairs, unsigned max_pairs,
			  struct azerr *e)
{
	struct card_ctl_req req = { .op = CARD_CTL_NET_PAIRS, .net_pairs = pairs };
	struct card_ctl_reply rep;
	struct azerr why;
	int n;

	if (call(d, &req, NULL, 0, &rep, e) < 0)
		return -1;
	if ((n = card_ctl_net_pairs_reply(&rep, pairs, max_pairs, &why)) < 0)
		return azerr_set(e, "%s: %s", d->name, why.msg);
	log_debug("%s: %d queue pairs in use", d->name, n);
	return n;
}

int card_update_mem_loaded(struct vhost_dev *d, struct azerr *e)
{
	struct card_ctl_req req = { .op = CARD_CTL_MEM_LOADED };
	struct card_ctl_reply rep;

	if (call(d, &req, NULL, 0, &rep, e) < 0)
		return -1;
	log_debug("%s: told its card that guest RAM is loaded", d->name);
	return 0;
}

int card_update_stats_interval(struct vhost_dev *d, unsigned interval_s, struct azerr *e)
{
	struct card_ctl_req req = { .op = CARD_CTL_SET_STATS_INTERVAL,
				    .stats_interval_s = interval_s };
	struct card_ctl_reply rep;

	if (!interval_s || interval_s > CARD_BALLOON_MAX_STATS_INTERVAL)
		return azerr_set(e, "%s: statistics interval %u s is not 1 to %u", d->name,
				 interval_s, CARD_BALLOON_MAX_STATS_INTERVAL);
	if (call(d, &req, NULL, 0, &rep, e) < 0)
		return -1;
	log_info("%s: statistics every %u s", d->name, interval_s);
	return 0;
}

void card_update_balloon_target(struct vhost_dev *d, uint32_t amount_mib)
{
	uint8_t cfg[VIRTIO_BALLOON_CONFIG_SIZE];

	balloon_config_set_target(cfg, amount_mib);
	config_changed(d, VIRTIO_BALLOON_CFG_NUM_PAGES, cfg + VIRTIO_BALLOON_CFG_NUM_PAGES, 4);
	log_info("%s: target %u MiB", d->name, amount_mib);
}
