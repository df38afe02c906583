#include "vmm/instance.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vmm/card_update.h"
#include "vmm/vm_state.h"
#include "vmm/snapshot.h"

/* Before each metrics line: the totals the cards azote started keep in
 * their stats pages (iface/card_stats.h), into the group of each device's kind
 * (vm->devs holds each kind's devices in vm_config order, as the metrics'
 * groups do), and the lines their logs held back; and COM1's. */
static void collect(void *ctx, struct metrics *m)
{
	struct instance *inst = ctx;
	unsigned idx[DEVICE_NR_KINDS] = { 0 };
	uint64_t held = 0;

	metric_store(&m->uart.write_count, inst->vm.uart.tx_bytes);
	metric_store(&m->uart.missed_write_count, inst->vm.uart.tx_missed);
	metric_store(&m->uart.rate_limiter_dropped_bytes, inst->vm.serial.dropped);

	for (unsigned i = 0; i < inst->vm.nr_devs; i++) {
		const struct vhost_dev *d = &inst->vm.devs[i];
		if (d->stats)
			held += card_stat_read(&d->stats->log_held_back);
		for (unsigned k = 0; k < DEVICE_NR_KINDS; k++) {
			if (d->kind != device_kinds[k])
				continue;
			if (d->stats && idx[k] < d->kind->list->max)
				d->kind->collect(d->stats, m, idx[k]);
			idx[k]++;
		}
	}
	m->cards_log_held_back = held;
}

/* The document as the cards take it: an object (Firecracker's data store
 * holds any JSON value; a guest reads anything else as no data). */
static const char *mmds_doc(const char *data)
{
	return data && data[0] == '{' ? data : "{}";
}

/* Every card of an interface that answers MMDS: its settings, and json. */
static int send_mmds(struct instance *inst, const struct vm_config *cfg, const char *json,
		     struct azerr *e)
{
	for (unsigned i = 0; i < cfg->nr_nets; i++) {
		struct vhost_dev *d;

		if (!cfg->nets[i].mmds)
			continue;
		if (!(d = vm_kind_dev(&inst->vm, &device_kind_net, i)))
			return azerr_set(e, "network interface %u: no such device", i);
		if (card_update_mmds(d, &cfg->mmds, mmds_doc(json), e) < 0)
			return -1;
	}
	return 0;
}

/* InstanceStart: build the VM and let its vCPUs run. The main thread then
 * serves it (see main.c). */
static int inst_start(void *ctx, const struct vm_config *cfg, struct azerr *e)
{
	struct instance *inst = ctx;

	if (inst->created)
		return azerr_set(e, "the microVM was already started");
	if (vm_create(&inst->vm, cfg, e) < 0)
		return -1;
	inst->vm.metrics = &inst->metrics.vcpu;
	metrics_set_collector(&inst->metrics, collect, inst);
	/* MMDS answers from the guest's first frame on. */
	if (send_mmds(inst, cfg, cfg->mmds.data, e) < 0 || vm_start(&inst->vm, e) < 0) {
		metrics_set_collector(&inst->metrics, NULL, NULL);
		vm_destroy(&inst->vm);
		return -1;
	}
	inst->created = true;
	inst->cfg = cfg;
	return 0;
}

/* A test hook until snapshots have their API (tests/integration/18): with
 * AZOTE_DEBUG_STATE_ROUNDTRIP=save in the environment, each pause saves
 * the machine state (the vCPU threads under their seccomp lists, the rest
 * on this one); with =load it also loads it back into the same VM, which
 * takes KVM's SET ioctls on this thread: run azote with --no-seccomp. The
 * guest must go on as if nothing happened. */
static int debug_state_roundtrip(struct vm *vm, struct azerr *e)
{
	const char *how = getenv("AZOTE_DEBUG_STATE_ROUNDTRIP");
	struct state_set s;
	size_t bytes = 0;
	int ret;

	if (!how || (strcmp(how, "save") && strcmp(how, "load")))
		return 0;
	state_set_init(&s);
	ret = vm_state_save(vm, &s, e);
	if (!ret && !strcmp(how, "load"))
		ret = vm_state_load(vm, &s, e);
	for (size_t i = 0; i < s.n; i++)
		bytes += s.v[i].len;
	if (!ret)
		log_info("machine state %s: %zu sections, %zu bytes",
			 strcmp(how, "load") ? "saved" : "saved and loaded back", s.n, bytes);
	state_set_free(&s);
	return ret;
}

static int inst_pause(void *ctx, struct azerr *e)
{
	struct instance *inst = ctx;

	/* The guest may have ended the VM since the API last looked: a
	 * pause then would be reported, and snapshots refused, for nothing. */
	if (!vm_pause(&inst->vm))
		return azerr_set(e, "The microVM is shutting down: it cannot be paused");
	log_info("vCPUs paused");
	if (debug_state_roundtrip(&inst->vm, e) < 0) {
		/* The API answers that the pause failed: the VM runs on. */
		vm_resume(&inst->vm);
		return -1;
	}
	return 0;
}

static int inst_resume(void *ctx, struct azerr *e)
{
	struct instance *inst = ctx;

	(void)e;
	vm_resume(&inst->vm);
	log_info("vCPUs resumed");
	return 0;
}

static int inst_ctrl_alt_del(void *ctx, struct azerr *e)
{
	struct instance *inst = ctx;

	if (i8042_send_ctrl_alt_del(&inst->vm.i8042) < 0)
		return azerr_set(e, "the keyboard controller's buffer is full: the guest "
				 "has not read the previous keys yet");
	return 0;
}

/* PATCH /drives/ID after boot: the card's limits, then its image. */
static int inst_update_drive(void *ctx, unsigned index, const char *path,
			     const struct rate_limiter *rl, struct azerr *e)
{
	struct instance *inst = ctx;
	struct vhost_dev *d = vm_kind_dev(&inst->vm, &device_kind_blk, index);
	const struct drive_config *c = &inst->cfg->drives[index];

	if (!d)
		return azerr_set(e, "drive %u: no such device", index);
	if (rl && card_update_limits(d, &rl, 1, e) < 0)
		return -1;
	return path ? card_update_image(d, path, c->read_only, c->direct, e) : 0;
}

/* PUT or PATCH /mmds after boot. */
static int inst_update_mmds(void *ctx, const struct vm_config *cfg, const char *json,
			    struct azerr *e)
{
	return send_mmds(ctx, cfg, json, e);
}

/* PATCH /network-interfaces/ID after boot: the card's limits. */
static int inst_update_net(void *ctx, unsigned index, const struct rate_limiter *rx,
			   const struct rate_limiter *tx, struct azerr *e)
{
	struct instance *inst = ctx;
	struct vhost_dev *d = vm_kind_dev(&inst->vm, &device_kind_net, index);
	const struct rate_limiter *rl[2] = { rx, tx };

	if (!d)
		return azerr_set(e, "network interface %u: no such device", index);
	return card_update_limits(d, rl, 2, e);
}

/* PATCH /pmem/ID after boot: the card's limits. */
static int inst_update_pmem(void *ctx, unsigned index, const struct rate_limiter *rl,
			    struct azerr *e)
{
	struct instance *inst = ctx;
	struct vhost_dev *d = vm_kind_dev(&inst->vm, &device_kind_pmem, index);

	if (!d)
		return azerr_set(e, "pmem device %u: no such device", index);
	return card_update_limits(d, &rl, 1, e);
}

/* The balloon, or NULL with e (Firecracker's words when there is none). */
static struct vhost_dev *balloon_dev(struct instance *inst, struct azerr *e)
{
	struct vhost_dev *d = vm_kind_dev(&inst->vm, &device_kind_balloon, 0);

	if (!d)
		azerr_set(e, "Failed perform action on device: Device not found");
	return d;
}

/* PATCH /balloon after boot: the new target in the configuration. */
static int inst_update_balloon(void *ctx, uint32_t amount_mib, struct azerr *e)
{
	struct vhost_dev *d = balloon_dev(ctx, e);

	if (!d)
		return -1;
	card_update_balloon_target(d, amount_mib);
	return 0;
}

/* PATCH /balloon/statistics after boot: the card's new interval. */
static int inst_update_balloon_stats(void *ctx, uint16_t interval_s, struct azerr *e)
{
	struct vhost_dev *d = balloon_dev(ctx, e);

	return d ? card_update_stats_interval(d, interval_s, e) : -1;
}

static uint32_t config_le32(const struct vhost_dev *d, unsigned off)
{
	uint32_t v;

	memcpy(&v, d->config + off, sizeof(v));
	return le32toh(v);
}

/* GET /balloon/statistics: the target and what the driver holds from the
 * configuration (under the device's lock: the guest writes actual), the
 * guest's statistics from the card's page (counters only: a value the card
 * is writing may be the one before). */
static int inst_balloon_status(void *ctx, struct balloon_status *st, struct azerr *e)
{
	struct vhost_dev *d = balloon_dev(ctx, e);

	if (!d)
		return -1;
	pthread_mutex_lock(&d->vd->lock);
	st->target_pages = config_le32(d, VIRTIO_BALLOON_CFG_NUM_PAGES);
	st->actual_pages = config_le32(d, VIRTIO_BALLOON_CFG_ACTUAL);
	pthread_mutex_unlock(&d->vd->lock);
	st->stat_seen = 0;
	if (!d->stats)
		return 0;
	const struct card_balloon_stats *s = &d->stats->balloon;
	st->stat_seen = card_stat_read(&s->stat_seen) & ((1ULL << VIRTIO_BALLOON_S_NR) - 1);
	for (unsigned t = 0; t < VIRTIO_BALLOON_S_NR; t++)
		st->stat[t] = card_stat_read(&s->stat[t]);
	return 0;
}

static int inst_snapshot_create(void *ctx, enum snapshot_type type, const char *snap_path,
				const char *mem_path, const char *config_json, struct azerr *e)
{
	struct instance *inst = ctx;

	return snapshot_create(&inst->vm, type, config_json, snap_path, mem_path, e);
}

/* PUT /snapshot/load: the VM is built from the snapshot instead of
 * booted; from then on it is served as after InstanceStart. */
static int inst_snapshot_load(void *ctx, const struct snapshot_load_req *req,
			      struct vm_config *cfg, struct azerr *e)
{
	struct instance *inst = ctx;

	if (inst->created)
		return azerr_set(e, "the microVM was already started");
	if (snapshot_load(&inst->vm, req, cfg, e) < 0)
		return -1;
	inst->cfg = cfg;   /* the API's own, as start's (vmm_ops.h) */
	/* The settings are the snapshot's, the document empty (Firecracker
	 * does not keep it). The vCPUs may run already: a card that fails
	 * here leaves the guest without MMDS, not without its machine. */
	struct azerr why;
	if (send_mmds(inst, cfg, NULL, &why) < 0)
		log_error("MMDS after the restore: %s", why.msg);
	inst->vm.metrics = &inst->metrics.vcpu;
	metrics_set_collector(&inst->metrics, collect, inst);
	inst->created = true;
	return 0;
}

const struct vmm_ops instance_ops = {
	.start = inst_start,
	.pause = inst_pause,
	.resume = inst_resume,
	.send_ctrl_alt_del = inst_ctrl_alt_del,
	.update_drive = inst_update_drive,
	.update_net = inst_update_net,
	.update_pmem = inst_update_pmem,
	.update_mmds = inst_update_mmds,
	.update_balloon = inst_update_balloon,
	.update_balloon_stats = inst_update_balloon_stats,
	.balloon_status = inst_balloon_status,
	.snapshot_create = inst_snapshot_create,
	.snapshot_load = inst_snapshot_load,
};
