/* Request routing and the instance state machine, following Firecracker's
 * API server: the same paths, bodies, status codes and fault messages. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "api/export.h"
#include "api/json_schema.h"
#include "api/resources.h"
#include "api/server.h"
#include "common/log.h"

static const char *const state_names[] = {
	[API_NOT_STARTED] = "Not started",
	[API_RUNNING] = "Running",
	[API_PAUSED] = "Paused",
};

#define MSG_DESERIALIZE \
	"An error occurred when deserializing the json body of a request: "

/* ---- responses ---- */

static void reply_json(struct api_response *out, int status, json_t *v)
{
	out->status = status;
	out->body = json_dumps(v, JSON_COMPACT);
	json_decref(v);
}

static void __attribute__((format(printf, 3, 4)))
reply_fault_status(struct api_response *out, int status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("API request failed: %s", msg);
	reply_json(out, status, json_pack("{s:o}", "fault_message",
					  jstring_lossy(msg)));
}

#define reply_fault(out, ...) reply_fault_status(out, 400, __VA_ARGS__)

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
	/* jansson seeds its hash tables from /dev/urandom on first use:
	 * now, before requests are handled under a seccomp list that
	 * opens nothing. */
	json_object_seed(0);
	api->started_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (api->started_fd < 0) {
		azerr_set(e, "eventfd: %s", strerror(errno));
		free(api);
		return NULL;
	}
	api->p = *p;
	if (!api->p.open_sink)
		api->p.open_sink = sinks_open;
	if (!api->p.mmds_size_limit)
		api->p.mmds_size_limit = API_DEFAULT_MAX_BODY;
	snprintf(api->instance_id, sizeof(api->instance_id), "%s",
		 p->instance_id ? p->instance_id : "anonymous-instance");
	if (cfg) {
		api->cfg = *cfg;
		vm_config_init(cfg);
		/* A machine described on the command line or in a config
		 * file is not a fresh process's (PUT /snapshot/load). */
		api->boot_path = api->cfg.kernel_path || api->cfg.nr_drives ||
				 api->cfg.nr_nets || api->cfg.nr_vsocks || api->cfg.nr_rngs ||
				 api->cfg.nr_balloons || api->cfg.nr_pmems || api->cfg.cpu_template;
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
	close(api->started_fd);
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

int api_started_fd(const struct api *api)
{
	return api->started_fd;
}

int api_start_locked(struct api *api, struct azerr *e)
{
	if (api->state != API_NOT_STARTED)
		return azerr_set(e, MSG_POST_BOOT);
	if (!api->cfg.kernel_path)
		return azerr_set(e, "Cannot start microvm without kernel "
				 "configuration.");
	if (api->p.ops->start(api->p.ctx, &api->cfg, e))
		return -1;
	api_started_locked(api, API_RUNNING);
	log_info("microVM started");
	return 0;
}

void api_started_locked(struct api *api, enum api_state state)
{
	struct azerr e;

	metrics_set_devices(api->p.metrics, &api->cfg);
	api->state = state;
	if (eventfd_write(api->started_fd, 1))
		log_warn("cannot signal the start: %s", strerror(errno));
	/* Firecracker writes metrics periodically once the VM runs. */
	if (metrics_has_sink(api->p.metrics) &&
	    metrics_start_periodic(api->p.metrics, api->p.metrics_period_ms, &e))
		log_warn("%s", e.msg);
}

int api_start(struct api *api, struct azerr *e)
{
	int ret;

	pthread_mutex_lock(&api->lock);
	ret = api_start_locked(api, e);
	pthread_mutex_unlock(&api->lock);
	return ret;
}

/* ---- requests ---- */

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
		   json_pack("{s:s}", "firecracker_version", AZOTE_FIRECRACKER_API_VERSION));
}

static void get_machine_config(struct request *r)
{
	reply_json(r->out, 200, export_machine_config(&r->api->cfg));
}

static void get_vm_config(struct request *r)
{
	reply_json(r->out, 200, export_vm_config(&r->api->cfg));
}

/* A GET whose body comes from get (NULL: e says why). */
static void reply_got(struct request *r, json_t *(*get)(struct api *, struct azerr *))
{
	struct azerr e;
	json_t *v = get(r->api, &e);

	if (v)
		reply_json(r->out, 200, v);
	else
		reply_fault(r->out, "%s", e.msg);
}

static void get_balloon(struct request *r)
{
	reply_got(r, api_balloon_get);
}

static void get_balloon_stats(struct request *r)
{
	reply_got(r, api_balloon_stats_get);
}

static void get_mmds(struct request *r)
{
	struct azerr e;

	if (api_mmds_get(r->api, &r->out->body, &e)) {
		reply_fault(r->out, "%s", e.msg);
		return;
	}
	r->out->status = 200;
}

/* A PUT or PATCH, in Firecracker's order: the body's shape, the ids, then
 * whether the instance's state allows it, then the change itself. */
static void body_request(struct request *r, const struct body_op *op)
{
	int (*check)(const json_t *, struct azerr *) =
		op->res ? op->res->check : op->check;
	const char *body_id;
	struct azerr e;
	json_t *body;
	int ret;

	body = jparse(r->body, r->len, &e);
	if (!body || check(body, &e)) {
		if (body && !strcmp(e.msg, RES_EMPTY_PATCH))
			reply_fault(r->out, "%s", e.msg);
		else
			reply_fault(r->out, MSG_DESERIALIZE "%s.", e.msg);
		json_decref(body);
		return;
	}
	body_id = op->id_field ? jstr(body, op->id_field) : NULL;
	if (body_id && strcmp(r->id, body_id))
		ret = azerr_set(&e, "The id from the path [%s] does not match "
				"the id from the body [%s]!", r->id, body_id);
	else if (op->when == PRE_BOOT && r->api->state != API_NOT_STARTED)
		ret = azerr_set(&e, MSG_POST_BOOT);
	else if (op->when == POST_BOOT && r->api->state == API_NOT_STARTED)
		ret = azerr_set(&e, MSG_PRE_BOOT);
	else if (op->apply)
		ret = op->apply(r->api, body, &e);
	else
		ret = op->res->apply(&r->api->cfg, body, &e);
	if (!ret && op->boot_path)
		r->api->boot_path = true;
	json_decref(body);
	if (ret)
		reply_fault_status(r->out, ret == API_TOO_LARGE ? 413 : 400, "%s", e.msg);
	else
		reply_none(r->out);
}

/* ---- routing ---- */

/* sub: NULL when the path is just /<res>; ID for /<res>/{id}; otherwise the
 * fixed second segment. GET routes have get, the others op. */
static const char ID[] = "{id}";

static const struct route {
	const char *method;
	const char *res;
	const char *sub;
	void (*get)(struct request *);
	const struct body_op *op;
} routes[] = {
	{ "GET", "", NULL, get_instance_info, NULL },
	{ "GET", "version", NULL, get_version, NULL },
	{ "GET", "vm", "config", get_vm_config, NULL },
	{ "GET", "machine-config", NULL, get_machine_config, NULL },
	{ "GET", "mmds", NULL, get_mmds, NULL },
	{ "GET", "balloon", NULL, get_balloon, NULL },
	{ "GET", "balloon", "statistics", get_balloon_stats, NULL },
	{ "PUT", "actions", NULL, NULL, &op_actions },
	{ "PUT", "boot-source", NULL, NULL, &op_boot_source },
	{ "PUT", "machine-config", NULL, NULL, &op_machine_config },
	{ "PUT", "drives", ID, NULL, &op_drive },
	{ "PUT", "network-interfaces", ID, NULL, &op_net },
	{ "PUT", "vsock", NULL, NULL, &op_vsock },
	{ "PUT", "entropy", NULL, NULL, &op_entropy },
	{ "PUT", "pmem", ID, NULL, &op_pmem },
	{ "PUT", "balloon", NULL, NULL, &op_balloon },
	{ "PUT", "serial", NULL, NULL, &op_serial },
	{ "PUT", "logger", NULL, NULL, &op_logger },
	{ "PUT", "cpu-config", NULL, NULL, &op_cpu_config },
	{ "PUT", "metrics", NULL, NULL, &op_metrics },
	{ "PUT", "mmds", NULL, NULL, &op_mmds_put },
	{ "PUT", "mmds", "config", NULL, &op_mmds_config },
	{ "PATCH", "mmds", NULL, NULL, &op_mmds_patch },
	{ "PATCH", "vm", NULL, NULL, &op_vm_state },
	{ "PATCH", "machine-config", NULL, NULL, &op_machine_config_patch },
	{ "PATCH", "drives", ID, NULL, &op_drive_patch },
	{ "PATCH", "network-interfaces", ID, NULL, &op_net_patch },
	{ "PATCH", "pmem", ID, NULL, &op_pmem_patch },
	{ "PATCH", "balloon", NULL, NULL, &op_balloon_patch },
	{ "PATCH", "balloon", "statistics", NULL, &op_balloon_stats_patch },
	{ "PUT", "snapshot", "create", NULL, &op_snapshot_create },
	{ "PUT", "snapshot", "load", NULL, &op_snapshot_load },
};

/* Firecracker resources azote does not implement: refused by name rather
 * than as unknown paths. */
static const char *const unsupported[] = {
	"hotplug",
};

/* Firecracker's free page hinting (PATCH /balloon/hinting/start and /stop,
 * GET /balloon/hinting/status), a developer preview azote does not
 * implement: refused by name whatever the method, and before the body's
 * presence is looked at (Firecracker's /stop takes none). */
#define HINTING_PATH "/balloon/hinting"

static bool is_hinting(const char *path)
{
	size_t n = strlen(HINTING_PATH);

	return !strncmp(path, HINTING_PATH, n) && (!path[n] || path[n] == '/');
}

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
		return RES_EMPTY_PATCH;
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

	if (is_hinting(path)) {
		reply_fault(r->out, RES_BALLOON_NO_HINTING " (%.64s)", path);
		return;
	}
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
		if (rt->get)
			rt->get(r);
		else
			body_request(r, rt->op);
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
