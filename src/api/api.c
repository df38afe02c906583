/* Request routing and the instance state machine, following Firecracker's
 * API server: the same paths, bodies, status codes and fault messages. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/export.h"
#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"
#include "common/log.h"

static const char *const state_names[] = {
	[API_NOT_STARTED] = "Not started",
	[API_RUNNING] = "Running",
	[API_PAUSED] = "Paused",
};

#define MSG_POST_BOOT \
	"The requested operation is not supported after starting the microVM."
#define MSG_PRE_BOOT \
	"The requested operation is not supported before starting the microVM."
#define MSG_DESERIALIZE \
	"An error occurred when deserializing the json body of a request: "

/* ---- responses ---- */

static void reply_json(struct api_response *out, int status, json_t *v)
{
	out->status = status;
	out->body = json_dumps(v, JSON_COMPACT);
	json_decref(v);
}

static void __attribute__((format(printf, 2, 3)))
reply_fault(struct api_response *out, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("API request failed: %s", msg);
	reply_json(out, 400, json_pack("{s:o}", "fault_message",
				       jstring_lossy(msg)));
}

static void reply_none(struct api_response *out)
{
	out->status = 204;
	out->body = NULL;
}

void api_response_free(struct api_response *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- lifecycle ---- */

struct api *api_new(const struct api_params *p, struct vm_config *cfg,
		    struct azerr *e)
{
	struct api *api = calloc(1, sizeof(*api));

	if (!api) {
		azerr_set(e, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&api->lock, NULL);
	pthread_cond_init(&api->started, NULL);
	api->p = *p;
	if (!api->p.open_sink)
		api->p.open_sink = sinks_open;
	snprintf(api->instance_id, sizeof(api->instance_id), "%s",
		 p->instance_id ? p->instance_id : "anonymous-instance");
	if (cfg) {
		api->cfg = *cfg;
		vm_config_init(cfg);
	} else {
		vm_config_init(&api->cfg);
	}
	if ((api->cfg.logger.configured &&
	     sinks_apply_logger(api, &api->cfg.logger, e)) ||
	    (api->cfg.metrics_path &&
	     sinks_apply_metrics(api, api->cfg.metrics_path, e))) {
		api_free(api);
		return NULL;
	}
	return api;
}

void api_free(struct api *api)
{
	if (!api)
		return;
	vm_config_free(&api->cfg);
	pthread_cond_destroy(&api->started);
	pthread_mutex_destroy(&api->lock);
	free(api);
}

enum api_state api_get_state(struct api *api)
{
	enum api_state s;

	pthread_mutex_lock(&api->lock);
	s = api->state;
	pthread_mutex_unlock(&api->lock);
	return s;
}

int api_wait_started(struct api *api)
{
	int ret;

	pthread_mutex_lock(&api->lock);
	while (api->state == API_NOT_STARTED && !api->cancel_wait)
		pthread_cond_wait(&api->started, &api->lock);
	ret = api->state == API_NOT_STARTED ? -1 : 0;
	pthread_mutex_unlock(&api->lock);
	return ret;
}

void api_cancel_wait(struct api *api)
{
	pthread_mutex_lock(&api->lock);
	api->cancel_wait = true;
	pthread_cond_broadcast(&api->started);
	pthread_mutex_unlock(&api->lock);
}

static int start_locked(struct api *api, struct azerr *e)
{
	if (api->state != API_NOT_STARTED)
		return azerr_set(e, MSG_POST_BOOT);
	if (!api->cfg.kernel_path)
		return azerr_set(e, "Cannot start microvm without kernel "
				 "configuration.");
	metrics_set_devices(api->p.metrics, &api->cfg);
	if (api->p.ops->start(api->p.ctx, &api->cfg, e))
		return -1;
	api->state = API_RUNNING;
	pthread_cond_broadcast(&api->started);
	log_info("microVM started");
	/* Firecracker writes metrics periodically once the VM runs. */
	if (metrics_has_sink(api->p.metrics) &&
	    metrics_start_periodic(api->p.metrics, api->p.metrics_period_ms, e))
		log_warn("%s", e->msg);
	return 0;
}

int api_start(struct api *api, struct azerr *e)
{
	int ret;

	pthread_mutex_lock(&api->lock);
	ret = start_locked(api, e);
	pthread_mutex_unlock(&api->lock);
	return ret;
}

/* ---- request bodies ---- */

/* Parses body and checks its shape with check (or the resource's). */
static json_t *parse_body(const char *body, size_t len,
			  int (*check)(const json_t *, struct azerr *),
			  struct api_response *out)
{
	struct azerr e;
	json_t *v = jparse(body, len, &e);

	if (v && check(v, &e)) {
		json_decref(v);
		v = NULL;
	}
	if (!v)
		reply_fault(out, MSG_DESERIALIZE "%s.", e.msg);
	return v;
}

/* The id in the path must be valid and equal the one in the body. */
static bool ids_match(const char *path_id, const json_t *body,
		      const char *field, struct api_response *out)
{
	const char *body_id = jstr(body, field);

	if (!strcmp(path_id, body_id))
		return true;
	reply_fault(out, "The id from the path [%s] does not match the id "
		    "from the body [%s]!", path_id, body_id);
	return false;
}

/* ---- handlers ---- */

struct request {
	struct api *api;
	const char *id;          /* the {id} of the path, if any */
	const char *body;
	size_t len;
	struct api_response *out;
};

static void get_instance_info(struct request *r)
{
	reply_json(r->out, 200,
		   json_pack("{s:o, s:s, s:s, s:s}",
			     "id", jstring_lossy(r->api->instance_id),
			     "state", state_names[r->api->state],
			     "vmm_version", AZOTE_VERSION, "app_name", "azote"));
}

static void get_version(struct request *r)
{
	reply_json(r->out, 200,
		   json_pack("{s:s}", "firecracker_version", AZOTE_VERSION));
}

static void get_machine_config(struct request *r)
{
	reply_json(r->out, 200, export_machine_config(&r->api->cfg));
}

static void get_vm_config(struct request *r)
{
	reply_json(r->out, 200, export_vm_config(&r->api->cfg));
}

/* PUT / PATCH of a resource that only exists before boot. */
static void change_config(struct request *r, const struct resource *res,
			  const char *id_field)
{
	struct azerr e;
	json_t *body = parse_body(r->body, r->len, res->check, r->out);

	if (!body)
		return;
	if (id_field && !ids_match(r->id, body, id_field, r->out))
		goto out;
	if (r->api->state != API_NOT_STARTED)
		reply_fault(r->out, MSG_POST_BOOT);
	else if (res->apply(&r->api->cfg, body, &e))
		reply_fault(r->out, "%s", e.msg);
	else
		reply_none(r->out);
out:
	json_decref(body);
}

static void put_boot_source(struct request *r)
{
	change_config(r, &res_boot_source, NULL);
}

static void put_machine_config(struct request *r)
{
	change_config(r, &res_machine_config, NULL);
}

static void patch_machine_config(struct request *r)
{
	change_config(r, &res_machine_config_patch, NULL);
}

static void put_drive(struct request *r)
{
	change_config(r, &res_drive, "drive_id");
}

static void put_net(struct request *r)
{
	change_config(r, &res_net, "iface_id");
}

/* Logger and metrics take effect at once: the body is first applied to a
 * scratch configuration, then its file is opened, and only then does the
 * instance's configuration change. */
static void put_output(struct request *r, const struct resource *res)
{
	struct vm_config tmp;
	struct azerr e;
	json_t *body = parse_body(r->body, r->len, res->check, r->out);
	struct vm_config *cfg = &r->api->cfg;

	if (!body)
		return;
	vm_config_init(&tmp);
	if (r->api->state != API_NOT_STARTED) {
		reply_fault(r->out, MSG_POST_BOOT);
	} else if (res == &res_metrics && cfg->metrics_path) {
		reply_fault(r->out, "Reinitialization of metrics not allowed.");
	} else if (res->apply(&tmp, body, &e) ||
		   (res == &res_logger ?
			    sinks_apply_logger(r->api, &tmp.logger, &e) :
			    sinks_apply_metrics(r->api, tmp.metrics_path, &e))) {
		reply_fault(r->out, "%s", e.msg);
	} else {
		if (res == &res_logger) {
			struct logger_config old = cfg->logger;

			cfg->logger = tmp.logger;
			tmp.logger = old;
		} else {
			cfg->metrics_path = tmp.metrics_path;
			tmp.metrics_path = NULL;
		}
		reply_none(r->out);
	}
	vm_config_free(&tmp);
	json_decref(body);
}

static void put_logger(struct request *r)
{
	put_output(r, &res_logger);
}

static void put_metrics(struct request *r)
{
	put_output(r, &res_metrics);
}

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

static void put_actions(struct request *r)
{
	struct api *api = r->api;
	struct azerr e;
	json_t *body = parse_body(r->body, r->len, action_check, r->out);
	int act, ret;

	if (!body)
		return;
	act = jenum(body, "", "action_type", JFIELDS(action_types), false, 0,
		    NULL);
	json_decref(body);
	if (act == ACT_INSTANCE_START)
		ret = start_locked(api, &e);
	else if (api->state == API_NOT_STARTED)
		ret = azerr_set(&e, MSG_PRE_BOOT);
	else if (act == ACT_SEND_CTRL_ALT_DEL)
		ret = api->p.ops->send_ctrl_alt_del(api->p.ctx, &e);
	else
		ret = metrics_flush(api->p.metrics, &e);
	if (ret)
		reply_fault(r->out, "%s", e.msg);
	else
		reply_none(r->out);
}

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
static void patch_vm(struct request *r)
{
	struct api *api = r->api;
	struct azerr e;
	json_t *body = parse_body(r->body, r->len, vm_check, r->out);
	bool pause;
	int ret = 0;

	if (!body)
		return;
	pause = jenum(body, "", "state", JFIELDS(vm_states), false, 0,
		      NULL) == 0;
	json_decref(body);
	if (api->state == API_NOT_STARTED) {
		reply_fault(r->out, MSG_PRE_BOOT);
		return;
	}
	if (pause && api->state == API_RUNNING) {
		ret = api->p.ops->pause(api->p.ctx, &e);
		if (!ret)
			api->state = API_PAUSED;
	} else if (!pause && api->state == API_PAUSED) {
		ret = api->p.ops->resume(api->p.ctx, &e);
		if (!ret)
			api->state = API_RUNNING;
	}
	if (ret)
		reply_fault(r->out, "%s", e.msg);
	else
		reply_none(r->out);
}

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

static int patch_drive_apply(struct api *api, const json_t *body,
			     struct azerr *e)
{
	struct vm_config *cfg = &api->cfg;
	const char *path = jstr(body, "path_on_host");
	struct rate_limiter upd, rl;
	bool has_rl = res_rate_limiter(body, "rate_limiter", &upd);
	int i = vm_config_find_drive(cfg, jstr(body, "drive_id"));
	struct drive_config *d;
	char *dup = NULL;

	if (i < 0)
		return azerr_set(e, "Invalid block device ID: `%s` does not "
				 "exist.", jstr(body, "drive_id"));
	d = &cfg->drives[i];
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
	if ((path && (res_check_drive_path(path, d->read_only, e) ||
		      res_strdup(&dup, path, e))))
		return -1;
	metric_inc(&api->p.metrics->block[i].update_count);
	if (api->p.ops->update_drive(api->p.ctx, i, path,
				     has_rl ? &rl : NULL, e)) {
		metric_inc(&api->p.metrics->block[i].update_fails);
		free(dup);
		return -1;
	}
	if (dup)
		res_replace(&d->path, dup);
	d->rate_limiter = rl;
	return 0;
}

static int patch_net_apply(struct api *api, const json_t *body,
			   struct azerr *e)
{
	struct vm_config *cfg = &api->cfg;
	struct rate_limiter urx, utx, rx, tx;
	bool has_rx = res_rate_limiter(body, "rx_rate_limiter", &urx);
	bool has_tx = res_rate_limiter(body, "tx_rate_limiter", &utx);
	int i = vm_config_find_net(cfg, jstr(body, "iface_id"));
	struct net_config *n;

	if (i < 0)
		return azerr_set(e, "Invalid interface ID - not found.");
	n = &cfg->nets[i];
	if (!has_rx && !has_tx)
		return 0;
	if (!api->p.ops->update_net)
		return azerr_set(e, "The requested operation is not supported: "
				 "updating a network interface after boot");
	rx = n->rx_rate_limiter;
	tx = n->tx_rate_limiter;
	merge_limiter(&rx, &urx);
	merge_limiter(&tx, &utx);
	metric_inc(&api->p.metrics->net[i].update_count);
	if (api->p.ops->update_net(api->p.ctx, i, has_rx ? &rx : NULL,
				   has_tx ? &tx : NULL, e)) {
		metric_inc(&api->p.metrics->net[i].update_fails);
		return -1;
	}
	n->rx_rate_limiter = rx;
	n->tx_rate_limiter = tx;
	return 0;
}

/* PATCH of a device: only after boot, through the VMM. */
static void patch_device(struct request *r,
			 int (*check)(const json_t *, struct azerr *),
			 const char *id_field,
			 int (*apply)(struct api *, const json_t *,
				      struct azerr *))
{
	struct azerr e;
	json_t *body = parse_body(r->body, r->len, check, r->out);

	if (!body)
		return;
	if (!ids_match(r->id, body, id_field, r->out))
		goto out;
	if (r->api->state == API_NOT_STARTED)
		reply_fault(r->out, MSG_PRE_BOOT);
	else if (apply(r->api, body, &e))
		reply_fault(r->out, "%s", e.msg);
	else
		reply_none(r->out);
out:
	json_decref(body);
}

static void patch_drive(struct request *r)
{
	patch_device(r, res_drive_patch_check, "drive_id", patch_drive_apply);
}

static void patch_net(struct request *r)
{
	patch_device(r, res_net_patch_check, "iface_id", patch_net_apply);
}

/* ---- routing ---- */

/* sub: NULL when the path is just /<res>; ID for /<res>/{id}; otherwise the
 * fixed second segment. */
static const char ID[] = "{id}";

static const struct route {
	const char *method;
	const char *res;
	const char *sub;
	void (*fn)(struct request *);
} routes[] = {
	{ "GET", "", NULL, get_instance_info },
	{ "GET", "version", NULL, get_version },
	{ "GET", "vm", "config", get_vm_config },
	{ "GET", "machine-config", NULL, get_machine_config },
	{ "PUT", "actions", NULL, put_actions },
	{ "PUT", "boot-source", NULL, put_boot_source },
	{ "PUT", "machine-config", NULL, put_machine_config },
	{ "PUT", "drives", ID, put_drive },
	{ "PUT", "network-interfaces", ID, put_net },
	{ "PUT", "logger", NULL, put_logger },
	{ "PUT", "metrics", NULL, put_metrics },
	{ "PATCH", "vm", NULL, patch_vm },
	{ "PATCH", "machine-config", NULL, patch_machine_config },
	{ "PATCH", "drives", ID, patch_drive },
	{ "PATCH", "network-interfaces", ID, patch_net },
};

/* Firecracker resources azote does not implement: refused by name rather
 * than as unknown paths. */
static const char *const unsupported[] = {
	"balloon", "cpu-config", "entropy", "hotplug", "mmds", "pmem",
	"serial", "snapshot", "vsock",
};

#define MAX_PATH 512

/* Splits "/a/b" into up to three segments (a trailing '/' is ignored,
 * as Firecracker does); returns how many. */
static int split_path(char *p, char *seg[3])
{
	int n = 0;

	while (*p == '/')
		p++;
	seg[0] = p;
	for (n = 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (!p[1])
			break;
		if (n == 3)
			return 4;
		seg[n++] = p + 1;
	}
	return n;
}

static bool route_matches(const struct route *rt, const char *method,
			  char *const seg[3], int n)
{
	if (strcmp(rt->method, method) || strcmp(rt->res, seg[0]))
		return false;
	if (!rt->sub)
		return n == 1;
	if (n != 2)
		return false;
	return rt->sub == ID || !strcmp(rt->sub, seg[1]);
}

/* Firecracker checks the body's presence before the path. */
static const char *body_presence_error(const char *method, size_t len)
{
	if (!strcmp(method, "GET") && len)
		return "GET request cannot have a body.";
	if (!strcmp(method, "PUT") && !len)
		return "Empty PUT request.";
	if (!strcmp(method, "PATCH") && !len)
		return "Empty PATCH request.";
	return NULL;
}

static const struct route *find_route(const char *method, char *const seg[3],
				      int n)
{
	for (size_t i = 0; n <= 2 && i < sizeof(routes) / sizeof(routes[0]); i++)
		if (route_matches(&routes[i], method, seg, n))
			return &routes[i];
	return NULL;
}

static bool is_unsupported(const char *res)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!strcmp(res, unsupported[i]))
			return true;
	return false;
}

static void route(struct request *r, const char *method, const char *path)
{
	const char *msg = body_presence_error(method, r->len);
	const struct route *rt;
	char buf[MAX_PATH], *seg[3];
	struct azerr e;
	int n;

	if (msg) {
		reply_fault(r->out, "%s", msg);
		return;
	}
	if (strlen(path) >= sizeof(buf)) {
		reply_fault(r->out, "Invalid request method and/or path: "
			    "%.16s %.64s...", method, path);
		return;
	}
	strcpy(buf, path);
	n = split_path(buf, seg);
	rt = find_route(method, seg, n);
	if (rt && rt->sub == ID && res_check_id(seg[1], &e)) {
		reply_fault(r->out, "%s", e.msg);
	} else if (rt) {
		r->id = rt->sub == ID ? seg[1] : NULL;
		rt->fn(r);
	} else if (is_unsupported(seg[0])) {
		reply_fault(r->out, "The requested operation is not supported: "
			    "azote does not implement /%s.", seg[0]);
	} else {
		reply_fault(r->out, "Invalid request method and/or path: "
			    "%.16s %s.", method, path);
	}
}

void api_handle(struct api *api, const char *method, const char *path,
		const char *body, size_t len, struct api_response *out)
{
	struct request r = {
		.api = api, .body = body, .len = len, .out = out,
	};

	log_debug("API request: %.16s %.200s (%zu bytes)", method, path, len);
	/* Counted on arrival, so that FlushMetrics counts itself. */
	metric_inc(&api->p.metrics->api_server.requests);
	pthread_mutex_lock(&api->lock);
	route(&r, method, path);
	pthread_mutex_unlock(&api->lock);
	if (out->status >= 400)
		metric_inc(&api->p.metrics->api_server.request_fails);
	/* json_dumps fails only when out of memory. */
	if (out->status != 204 && !out->body) {
		out->status = 500;
		out->body = strdup("{\"fault_message\":\"out of memory\"}");
	}
}
