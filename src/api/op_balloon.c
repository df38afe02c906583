/* Firecracker's balloon requests (PUT, PATCH and GET /balloon, PATCH and
 * GET /balloon/statistics), in its states and with its texts: PUT before
 * boot only (res_balloon.c has the body), PATCH and the statistics after
 * boot only, GET /balloon always. After boot the changes go through the
 * VMM (vmm_ops.update_balloon, update_balloon_stats, balloon_status): the
 * target into the device configuration azote keeps, the interval to the
 * card over its control channel. */
#include <stdio.h>

#include "api/api_internal.h"
#include "api/export.h"
#include "api/json_schema.h"

#define MSG_BALLOON_UPDATE "Balloon update error: "
#define MSG_INTERNAL       "Internal VMM error: "
/* Firecracker's FindDeviceError after boot, its DeviceNotFound before. */
#define MSG_NO_DEVICE      "Failed perform action on device: Device not found"
#define MSG_NO_BALLOON     "Balloon config error: No balloon device found."

const struct body_op op_balloon = { .res = &res_balloon, .when = PRE_BOOT, .boot_path = true };

/* The VMM's op, or a refusal when this VMM has none (a test's). */
static int has_op(const void *op, const char *what, struct azerr *e)
{
	return op ? 0 : azerr_set(e, "The requested operation is not supported: %s", what);
}

/* PATCH /balloon: the new target, checked as Firecracker's update_size
 * (its text names the amount asked for), then in the configuration the
 * guest reads. */
static int apply_balloon_patch(struct api *api, const json_t *body, struct azerr *e)
{
	uint32_t mib = (uint32_t)juint(body, "amount_mib", 0);
	char what[128];

	if (!api->cfg.nr_balloons)
		return azerr_set(e, MSG_BALLOON_UPDATE MSG_NO_DEVICE);
	snprintf(what, sizeof(what),
		 MSG_BALLOON_UPDATE "Balloon: Requested memory should be less than %uMiB", mib);
	if (res_balloon_fits(mib, api->cfg.mem_bytes, what, e) ||
	    has_op(api->p.ops->update_balloon, "updating the balloon", e) ||
	    api->p.ops->update_balloon(api->p.ctx, mib, e))
		return -1;
	api->cfg.balloons[0].amount_mib = mib;
	return 0;
}

/* PATCH /balloon/statistics: a new interval, not statistics turned on or
 * off (the statistics ring is there from the start, or not). */
static int apply_balloon_stats_patch(struct api *api, const json_t *body, struct azerr *e)
{
	uint16_t s = (uint16_t)juint(body, "stats_polling_interval_s", 0);
	struct balloon_config *b = &api->cfg.balloons[0];

	if (!api->cfg.nr_balloons)
		return azerr_set(e, MSG_BALLOON_UPDATE MSG_NO_DEVICE);
	if (s == b->stats_polling_interval_s)
		return 0;
	if (!s || !b->stats_polling_interval_s)
		return azerr_set(e, MSG_BALLOON_UPDATE "Balloon: Statistics cannot be "
				 "enabled/disabled after activation. (stats_polling_interval_s: "
				 "%u to %u)", b->stats_polling_interval_s, s);
	if (has_op(api->p.ops->update_balloon_stats, "updating the balloon's statistics", e) ||
	    api->p.ops->update_balloon_stats(api->p.ctx, s, e))
		return -1;
	b->stats_polling_interval_s = s;
	return 0;
}

const struct body_op op_balloon_patch = {
	.check = res_balloon_patch_check, .when = POST_BOOT, .apply = apply_balloon_patch,
};
const struct body_op op_balloon_stats_patch = {
	.check = res_balloon_stats_patch_check, .when = POST_BOOT,
	.apply = apply_balloon_stats_patch,
};

json_t *api_balloon_get(struct api *api, struct azerr *e)
{
	if (!api->cfg.nr_balloons) {
		azerr_set(e, "%s", api->state == API_NOT_STARTED ? MSG_NO_BALLOON :
			  MSG_INTERNAL MSG_NO_DEVICE);
		return NULL;
	}
	return export_balloon(&api->cfg);
}

/* Firecracker's BalloonStats names, by statistics tag. */
static const char *const stat_names[VIRTIO_BALLOON_S_NR] = {
	[VIRTIO_BALLOON_S_SWAP_IN] = "swap_in",
	[VIRTIO_BALLOON_S_SWAP_OUT] = "swap_out",
	[VIRTIO_BALLOON_S_MAJFLT] = "major_faults",
	[VIRTIO_BALLOON_S_MINFLT] = "minor_faults",
	[VIRTIO_BALLOON_S_MEMFREE] = "free_memory",
	[VIRTIO_BALLOON_S_MEMTOT] = "total_memory",
	[VIRTIO_BALLOON_S_AVAIL] = "available_memory",
	[VIRTIO_BALLOON_S_CACHES] = "disk_caches",
	[VIRTIO_BALLOON_S_HTLB_PGALLOC] = "hugetlb_allocations",
	[VIRTIO_BALLOON_S_HTLB_PGFAIL] = "hugetlb_failures",
	[VIRTIO_BALLOON_S_OOM_KILL] = "oom_kill",
	[VIRTIO_BALLOON_S_ALLOC_STALL] = "alloc_stall",
	[VIRTIO_BALLOON_S_ASYNC_SCAN] = "async_scan",
	[VIRTIO_BALLOON_S_DIRECT_SCAN] = "direct_scan",
	[VIRTIO_BALLOON_S_ASYNC_RECLAIM] = "async_reclaim",
	[VIRTIO_BALLOON_S_DIRECT_RECLAIM] = "direct_reclaim",
};

json_t *api_balloon_stats_json(const struct balloon_status *st)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "target_pages", (json_int_t)st->target_pages,
			      "actual_pages", (json_int_t)st->actual_pages, "target_mib",
			      (json_int_t)(st->target_pages / VIRTIO_BALLOON_PAGES_PER_MIB),
			      "actual_mib",
			      (json_int_t)(st->actual_pages / VIRTIO_BALLOON_PAGES_PER_MIB));

	/* A u64 beyond JSON's signed integers is not a figure any guest
	 * reports; it is written as the largest one. */
	for (unsigned t = 0; o && t < VIRTIO_BALLOON_S_NR; t++)
		if (st->stat_seen & 1ULL << t)
			json_object_set_new(o, stat_names[t],
					    json_integer(st->stat[t] > INT64_MAX ? INT64_MAX :
							 (json_int_t)st->stat[t]));
	return o;
}

json_t *api_balloon_stats_get(struct api *api, struct azerr *e)
{
	struct balloon_status st = { 0 };

	if (api->state == API_NOT_STARTED)
		azerr_set(e, MSG_PRE_BOOT);
	else if (!api->cfg.nr_balloons)
		azerr_set(e, MSG_INTERNAL MSG_NO_DEVICE);
	else if (!api->cfg.balloons[0].stats_polling_interval_s)
		azerr_set(e, MSG_INTERNAL "Balloon: Received stats query when stats are disabled.");
	else if (!has_op(api->p.ops->balloon_status, "the balloon's statistics", e) &&
		 !api->p.ops->balloon_status(api->p.ctx, &st, e))
		return api_balloon_stats_json(&st);
	return NULL;
}
