/* What api.c and its helpers (sinks.c) share; not part of the API. */
#ifndef AZOTE_API_API_INTERNAL_H
#define AZOTE_API_API_INTERNAL_H

#include <pthread.h>

#include "api/api.h"

struct api {
	pthread_mutex_t lock;
	pthread_cond_t started;     /* state left API_NOT_STARTED */
	bool cancel_wait;
	struct api_params p;
	char instance_id[128];
	enum api_state state;
	struct vm_config cfg;
};

/* Makes l the logger's settings: opens its log_path through open_sink and
 * points the log module at it. */
int sinks_apply_logger(struct api *api, const struct logger_config *l,
		       struct azerr *e);
/* Opens path through open_sink and hands it to the metrics. */
int sinks_apply_metrics(struct api *api, const char *path, struct azerr *e);
/* The default open_sink. */
int sinks_open(const char *path, struct azerr *e);

#endif
