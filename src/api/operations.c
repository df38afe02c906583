/* What each PUT and PATCH does once its body has passed its checks and the
 * instance's state allows it (api.c's body_request): the pre-boot
 * resources change the configuration, the runtime ones go through the
 * VMM. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/json_schema.h"
#include "api/res_internal.h"

/* ---- configuration, before boot ---- */

const struct body_op op_boot_source = { .res = &res_boot_source,
					.when = PRE_BOOT, .boot_path = true };
const struct body_op op_machine_config = { .res = &res_machine_config,
					   .when = PRE_BOOT, .boot_path = true };
const struct body_op op_machine_config_patch = {
	.res = &res_machine_config_patch, .when = PRE_BOOT, .boot_path = true,
};
const struct body_op op_drive = { .res = &res_drive, .id_field = "drive_id",
				  .when = PRE_BOOT, .boot_path = true };
const struct body_op op_net = { .res = &res_net, .id_field = "iface_id",
				.when = PRE_BOOT, .boot_path = true };
const struct body_op op_vsock = { .res = &res_vsock, .when = PRE_BOOT, .boot_path = true };
const struct body_op op_pmem = { .res = &res_pmem, .id_field = "id", .when = PRE_BOOT,
				 .boot_path = true };
const struct body_op op_entropy = { .res = &res_entropy, .when = PRE_BOOT, .boot_path = true };
/* Not a boot path: like the logger, the console's destination is the
 * process's, and a snapshot load uses it (Firecracker's too). */
const struct body_op op_serial = { .res = &res_serial, .when = PRE_BOOT };
const struct body_op op_cpu_config = { .res = &res_cpu_config, .when = PRE_BOOT,
				       .boot_path = true };

/* Logger and metrics take effect at once: the body is applied to a scratch
 * configuration, its file opened, and only then does the instance's
 * configuration change. */
static int apply_logger(struct api *api, const json_t *body, struct azerr *e)
{
	struct vm_config tmp;
	struct logger_config old;
	int ret = -1;

	vm_config_init(&tmp);
	if (!res_logger.apply(&tmp, body, e) &&
	    !sinks_apply_logger(api, &tmp.logger, e)) {
		old = api->cfg.logger;
		api->cfg.logger = tmp.logger;
		tmp.logger = old;
		ret = 0;
	}
	vm_config_free(&tmp);
	return ret;
}

static int apply_metrics(struct api *api, const json_t *body, struct azerr *e)
{
	struct vm_config tmp;
	int ret = -1;

	if (api->cfg.metrics_path)
		return azerr_set(e, "Reinitialization of metrics not allowed.");
	vm_config_init(&tmp);
	if (!res_metrics.apply(&tmp, body, e) &&
	    !sinks_apply_metrics(api, tmp.metrics_path, e)) {
		api->cfg.metrics_path = tmp.metrics_path;
		tmp.metrics_path = NULL;
		ret = 0;
	}
	vm_config_free(&tmp);
	return ret;
}

const struct body_op op_logger = { .res = &res_logger, .when = PRE_BOOT,
				   .apply = apply_logger };
const struct body_op op_metrics = { .res = &res_metrics, .when = PRE_BOOT,
				    .apply = apply_metrics };

/* ---- actions ---- */

static const char *const action_types[] = {
	"FlushMetrics", "InstanceStart", "SendCtrlAltDel",
};
enum { ACT_FLUSH_METRICS, ACT_INSTANCE_START, ACT_SEND_CTRL_ALT_DEL };

static const struct jfield action_fields[] = {
	{ "action_type", JT_STRING, true, 0 },
};

static int action_check(const json_t *body, struct azerr *e)
{
	if (jcheck(body, "", JFIELDS(action_fields), e))
		return -1;
	return jenum(body, "", "action_type", JFIELDS(action_types), false, 0,
		     e) < 0 ? -1 : 0;
}

/* InstanceStart is for before boot, the others for after. */
static int apply_action(struct api *api, const json_t *body, struct azerr *e)
{
	int act = jenum(body, "", "action_type", JFIELDS(action_types), false,
			0, NULL);

	if (act == ACT_INSTANCE_START)
		return api_start_locked(api, e);
	if (api->state == API_NOT_STARTED)
		return azerr_set(e, MSG_PRE_BOOT);
	if (act == ACT_SEND_CTRL_ALT_DEL)
		return api->p.ops->send_ctrl_alt_del(api->p.ctx, e);
	return metrics_flush(api->p.metrics, e);
}

const struct body_op op_actions = { .check = action_check, .when = ANYTIME,
				    .apply = apply_action };

/* ---- PATCH /vm ---- */

static const char *const vm_states[] = { "Paused", "Resumed" };

static const struct jfield vm_fields[] = {
	{ "state", JT_STRING, true, 0 },
};

static int vm_check(const json_t *body, struct azerr *e)
{
	if (jcheck(body, "", JFIELDS(vm_fields), e))
		return -1;
	return jenum(body, "", "state", JFIELDS(vm_states), false, 0, e) < 0 ?
		-1 : 0;
}

/* Pausing a paused VM or resuming a running one changes nothing. */
static int apply_vm_state(struct api *api, const json_t *body,
			  struct azerr *e)
{
	bool pause = jenum(body, "", "state", JFIELDS(vm_states), false, 0,
			   NULL) == 0;

	if (pause && api->state == API_RUNNING) {
		if (api->p.ops->pause(api->p.ctx, e))
			return -1;
		api->state = API_PAUSED;
	} else if (!pause && api->state == API_PAUSED) {
		if (api->p.ops->resume(api->p.ctx, e))
			return -1;
		api->state = API_RUNNING;
	}
	return 0;
}

const struct body_op op_vm_state = { .check = vm_check, .when = POST_BOOT,
				     .apply = apply_vm_state };

/* ---- devices, after boot ---- */

/* A PATCH of rate limits changes only the buckets it names. */
static void merge_limiter(struct rate_limiter *dst,
			  const struct rate_limiter *upd)
{
	if (upd->has_bandwidth) {
		dst->has_bandwidth = true;
		dst->bandwidth = upd->bandwidth;
	}
	if (upd->has_ops) {
		dst->has_ops = true;
		dst->ops = upd->ops;
	}
}

/* A new backing file and/or new limits for a running drive. The
 * configuration changes only once the VMM has made the change. */
static int apply_drive_patch(struct api *api, const json_t *body,
			     struct azerr *e)
{
	const char *path = jstr(body, "path_on_host");
	struct rate_limiter upd, rl;
	bool has_rl = res_rate_limiter(body, "rate_limiter", &upd);
	int i = vm_config_find(&api->cfg, &vm_drives, jstr(body, "drive_id"));
	struct block_metrics *m;
	struct drive_config *d;
	char *dup = NULL;

	if (i < 0)
		return azerr_set(e, "Invalid block device ID: `%s` does not "
				 "exist.", jstr(body, "drive_id"));
	d = &api->cfg.drives[i];
	m = &api->p.metrics->block[i];
	if (d->socket && (path || has_rl))
		return azerr_set(e, "drive `%s` is served over vhost-user: its "
				 "file and limits belong to the backend", d->id);
	if (!path && !has_rl)
		return 0;
	if (!api->p.ops->update_drive)
		return azerr_set(e, "The requested operation is not supported: "
				 "updating a drive after boot");
	rl = d->rate_limiter;
	merge_limiter(&rl, &upd);
	if (path && (res_check_drive_path(path, d->read_only, e) ||
		     res_strdup(&dup, path, e)))
		return -1;
	metric_inc(&m->update_count);
	if (api->p.ops->update_drive(api->p.ctx, i, path, has_rl ? &rl : NULL,
				     e)) {
		metric_inc(&m->update_fails);
		free(dup);
		return -1;
	}
	if (dup)
		res_replace(&d->path, dup);
	d->rate_limiter = rl;
	return 0;
}

/* New rate limits for a running network interface. */
static int apply_net_patch(struct api *api, const json_t *body,
			   struct azerr *e)
{
	struct rate_limiter urx, utx, rx, tx;
	bool has_rx = res_rate_limiter(body, "rx_rate_limiter", &urx);
	bool has_tx = res_rate_limiter(body, "tx_rate_limiter", &utx);
	int i = vm_config_find(&api->cfg, &vm_nets, jstr(body, "iface_id"));
	struct net_metrics *m;
	struct net_config *n;

	if (i < 0)
		return azerr_set(e, "Invalid interface ID - not found.");
	n = &api->cfg.nets[i];
	m = &api->p.metrics->net[i];
	if (!has_rx && !has_tx)
		return 0;
	if (!api->p.ops->update_net)
		return azerr_set(e, "The requested operation is not supported: "
				 "updating a network interface after boot");
	rx = n->rx_rate_limiter;
	tx = n->tx_rate_limiter;
	merge_limiter(&rx, &urx);
	merge_limiter(&tx, &utx);
	metric_inc(&m->update_count);
	if (api->p.ops->update_net(api->p.ctx, i, has_rx ? &rx : NULL,
				   has_tx ? &tx : NULL, e)) {
		metric_inc(&m->update_fails);
		return -1;
	}
	n->rx_rate_limiter = rx;
	n->tx_rate_limiter = tx;
	return 0;
}

/* New rate limits for a running pmem device's flushes. */
static int apply_pmem_patch(struct api *api, const json_t *body, struct azerr *e)
{
	struct rate_limiter upd, rl;
	bool has_rl = res_rate_limiter(body, "rate_limiter", &upd);
	int i = vm_config_find(&api->cfg, &vm_pmems, jstr(body, "id"));
	struct pmem_config *p;

	if (i < 0)
		return azerr_set(e, "Unable to patch the pmem device: no pmem device `%s`. "
				 "Please verify the request arguments.", jstr(body, "id"));
	p = &api->cfg.pmems[i];
	if (!has_rl)
		return 0;
	if (!api->p.ops->update_pmem)
		return azerr_set(e, "The requested operation is not supported: "
				 "updating a pmem device after boot");
	rl = p->rate_limiter;
	merge_limiter(&rl, &upd);
	if (api->p.ops->update_pmem(api->p.ctx, (unsigned)i, &rl, e))
		return -1;
	p->rate_limiter = rl;
	return 0;
}

const struct body_op op_drive_patch = {
	.check = res_drive_patch_check, .id_field = "drive_id",
	.when = POST_BOOT, .apply = apply_drive_patch,
};
const struct body_op op_net_patch = {
	.check = res_net_patch_check, .id_field = "iface_id",
	.when = POST_BOOT, .apply = apply_net_patch,
};
const struct body_op op_pmem_patch = {
	.check = res_pmem_patch_check, .id_field = "id",
	.when = POST_BOOT, .apply = apply_pmem_patch,
};
