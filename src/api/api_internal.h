/* What api.c and its helpers (operations.c, sinks.c) share; not part of
 * the API. */
#ifndef AZOTE_API_API_INTERNAL_H
#define AZOTE_API_API_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "api/api.h"
#include "api/resources.h"

#define MSG_POST_BOOT \
	"The requested operation is not supported after starting the microVM."
#define MSG_PRE_BOOT \
	"The requested operation is not supported before starting the microVM."

struct api {
	pthread_mutex_t lock;
	int started_fd;             /* eventfd: the instance has started */
	struct api_params p;
	char instance_id[128];
	enum api_state state;
	struct vm_config cfg;
	/* Something but the logger and metrics was configured: Firecracker
	 * then refuses PUT /snapshot/load. */
	bool boot_path;
};

/* InstanceStart; the caller holds api->lock. */
int api_start_locked(struct api *api, struct azerr *e);
/* The VM runs (InstanceStart) or was restored (paused or running): the
 * state, the started eventfd, the periodic metrics. */
void api_started_locked(struct api *api, enum api_state state);

/* What a body_op's apply returns, beside 0 and -1, when the body is too
 * large for its resource (the MMDS data store limit): status 413. */
#define API_TOO_LARGE (-2)

/* When a PUT or PATCH is allowed. */
enum op_when { ANYTIME, PRE_BOOT, POST_BOOT };

/* What a PUT or PATCH does with its body. A resource (res) brings its own
 * check, and its apply on the configuration unless apply is given. */
struct body_op {
	const struct resource *res;
	int (*check)(const json_t *body, struct azerr *e);
	const char *id_field;   /* must equal the path's {id} */
	enum op_when when;
	int (*apply)(struct api *api, const json_t *body, struct azerr *e);
	bool boot_path;         /* configures the machine (see struct api) */
};

/* operations.c */
extern const struct body_op op_actions, op_boot_source, op_machine_config,
	op_machine_config_patch, op_drive, op_net, op_logger, op_metrics,
	op_vm_state, op_drive_patch, op_net_patch, op_cpu_config, op_vsock, op_entropy, op_pmem, op_pmem_patch,
	op_serial;
/* op_mmds.c: PUT /mmds/config, PUT and PATCH /mmds; GET /mmds's body
 * (malloc'd) into *body, or -1 with e. */
extern const struct body_op op_mmds_config, op_mmds_put, op_mmds_patch;
int api_mmds_get(struct api *api, char **body, struct azerr *e);
/* The document in json (len bytes) as PUT /mmds sets it; the caller holds
 * api->lock. */
int api_mmds_put_locked(struct api *api, const char *json, size_t len, struct azerr *e);
/* op_balloon.c: PUT and PATCH /balloon, PATCH /balloon/statistics; GET
 * /balloon's and GET /balloon/statistics's bodies, or NULL with e (the
 * caller holds api->lock); the statistics' JSON from a status. */
extern const struct body_op op_balloon, op_balloon_patch, op_balloon_stats_patch;
json_t *api_balloon_get(struct api *api, struct azerr *e);
json_t *api_balloon_stats_get(struct api *api, struct azerr *e);
json_t *api_balloon_stats_json(const struct balloon_status *st);
/* op_snapshot.c */
extern const struct body_op op_snapshot_create, op_snapshot_load;

/* Makes l the logger's settings: opens its log_path through open_sink and
 * points the log module at it. */
int sinks_apply_logger(struct api *api, const struct logger_config *l,
		       struct azerr *e);
/* Opens path through open_sink and hands it to the metrics. */
int sinks_apply_metrics(struct api *api, const char *path, struct azerr *e);
/* The default open_sink. */
int sinks_open(const char *path, struct azerr *e);

#endif
