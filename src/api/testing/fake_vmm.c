#include "api/testing/fake_vmm.h"

#include <string.h>

/* Records the call; fails it if asked to. */
static int fake_op(struct fake_vmm *f, const char *name, unsigned *counter,
		   struct azerr *e)
{
	if (f->trace) {
		fprintf(f->trace, "%s\n", name);
		fflush(f->trace);
	}
	if (f->fail_next) {
		azerr_set(e, "%s", f->fail_next);
		f->fail_next = NULL;
		return -1;
	}
	(*counter)++;
	return 0;
}

static void record_serial(struct fake_vmm *f, const struct vm_config *cfg)
{
	snprintf(f->serial_out, sizeof(f->serial_out), "%s",
		 cfg->serial.out_path ? cfg->serial.out_path : "");
	f->serial_limited = cfg->serial.has_limit;
	f->serial_limit = cfg->serial.limit;
}

static int fake_start(void *ctx, const struct vm_config *cfg, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	record_serial(f, cfg);
	f->start_cpus = cfg->nr_cpus;
	f->start_drives = cfg->nr_drives;
	f->start_nets = cfg->nr_nets;
	snprintf(f->start_kernel, sizeof(f->start_kernel), "%s",
		 cfg->kernel_path);
	return fake_op(f, "start", &f->starts, e);
}

static int fake_pause(void *ctx, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	return fake_op(f, "pause", &f->pauses, e);
}

static int fake_resume(void *ctx, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	return fake_op(f, "resume", &f->resumes, e);
}

static int fake_ctrl_alt_del(void *ctx, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	return fake_op(f, "ctrl-alt-del", &f->ctrl_alt_dels, e);
}

static void keep_limiter(const struct rate_limiter *src,
			 struct rate_limiter *dst, bool *has)
{
	*has = src != NULL;
	if (src)
		*dst = *src;
}

static int fake_update_drive(void *ctx, unsigned index, const char *path,
			     const struct rate_limiter *rl, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	f->update_index = index;
	snprintf(f->update_path, sizeof(f->update_path), "%s",
		 path ? path : "");
	keep_limiter(rl, &f->update_rl, &f->update_has_rl);
	return fake_op(f, "update-drive", &f->drive_updates, e);
}

static int fake_update_net(void *ctx, unsigned index,
			   const struct rate_limiter *rx,
			   const struct rate_limiter *tx, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	f->update_index = index;
	keep_limiter(rx, &f->update_rx, &f->update_has_rx);
	keep_limiter(tx, &f->update_tx, &f->update_has_tx);
	return fake_op(f, "update-net", &f->net_updates, e);
}

static int fake_update_pmem(void *ctx, unsigned index, const struct rate_limiter *rl,
			    struct azerr *e)
{
	struct fake_vmm *f = ctx;

	f->update_index = index;
	keep_limiter(rl, &f->update_rl, &f->update_has_rl);
	return fake_op(f, "update-pmem", &f->pmem_updates, e);
}

static int fake_update_mmds(void *ctx, const struct vm_config *cfg, const char *json,
			    struct azerr *e)
{
	struct fake_vmm *f = ctx;

	(void)cfg;
	snprintf(f->mmds_json, sizeof(f->mmds_json), "%s", json);
	return fake_op(f, "update-mmds", &f->mmds_updates, e);
}

static int fake_update_balloon(void *ctx, uint32_t amount_mib, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	f->balloon_mib = amount_mib;
	return fake_op(f, "update-balloon", &f->balloon_updates, e);
}

static int fake_update_balloon_stats(void *ctx, uint16_t interval_s, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	f->balloon_interval = interval_s;
	return fake_op(f, "update-balloon-stats", &f->balloon_stats_updates, e);
}

static int fake_balloon_status(void *ctx, struct balloon_status *st, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	*st = f->balloon;
	return fake_op(f, "balloon-status", &f->balloon_status_reads, e);
}

static int fake_snapshot_create(void *ctx, enum snapshot_type type, const char *snap_path,
				const char *mem_path, const char *config_json, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	f->snap_type = type;
	snprintf(f->snap_path, sizeof(f->snap_path), "%s", snap_path);
	snprintf(f->mem_path, sizeof(f->mem_path), "%s", mem_path);
	snprintf(f->snap_config, sizeof(f->snap_config), "%s", config_json);
	return fake_op(f, "snapshot-create", &f->snapshot_creates, e);
}

/* A load as the real one goes: the recorded configuration through the
 * API's configure, then the machine built (here: nothing). */
static int fake_snapshot_load(void *ctx, const struct snapshot_load_req *req,
			      struct vm_config *cfg, struct azerr *e)
{
	struct fake_vmm *f = ctx;

	snprintf(f->snap_path, sizeof(f->snap_path), "%s", req->snapshot_path);
	snprintf(f->mem_path, sizeof(f->mem_path), "%s", req->mem_path);
	f->load_resume = req->resume;
	f->load_uffd = req->mem_uffd;
	f->load_clock_realtime = req->clock_realtime;
	if (req->configure(req->arg, f->snap_config, strlen(f->snap_config),
			   req->snapshot_path, cfg, e))
		return -1;
	record_serial(f, cfg);
	return fake_op(f, "snapshot-load", &f->snapshot_loads, e);
}

const struct vmm_ops fake_vmm_ops = {
	.start = fake_start,
	.pause = fake_pause,
	.resume = fake_resume,
	.send_ctrl_alt_del = fake_ctrl_alt_del,
	.update_drive = fake_update_drive,
	.update_net = fake_update_net,
	.update_pmem = fake_update_pmem,
	.update_mmds = fake_update_mmds,
	.update_balloon = fake_update_balloon,
	.update_balloon_stats = fake_update_balloon_stats,
	.balloon_status = fake_balloon_status,
	.snapshot_create = fake_snapshot_create,
	.snapshot_load = fake_snapshot_load,
};
