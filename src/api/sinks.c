/* Where logs and metrics go: Firecracker's PUT /logger and PUT /metrics
 * name a file or a FIFO. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "common/log.h"

/* O_NONBLOCK: a FIFO that nobody reads must cost lost lines, not a stuck
 * azote. O_APPEND: several writers (or an old file) do not overwrite. A
 * FIFO nobody has opened yet refuses a non-blocking writer (ENXIO); as
 * Firecracker does, it is then opened read-write, which a FIFO allows, so
 * that a reader may come later. */
int sinks_open(const char *path, struct azerr *e)
{
	const int flags = O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	int fd = open(path, O_WRONLY | flags, 0600);

	if (fd < 0 && errno == ENXIO)
		fd = open(path, O_RDWR | flags, 0600);

	if (fd < 0)
		return azerr_set(e, "Failed to open target file: %s: %s", path,
				 strerror(errno));
	return fd;
}

int sinks_apply_logger(struct api *api, const struct logger_config *l,
		       struct azerr *e)
{
	enum log_level level = LOG_INFO;
	bool off = l->level && !strcasecmp(l->level, "Off");
	int fd = 2;

	if (l->level && !off && log_parse_level(l->level, &level))
		return azerr_set(e, "unknown log level `%s`", l->level);
	if (l->log_path && !off) {
		fd = api->p.open_sink(l->log_path, e);
		if (fd < 0)
			return -1;
	}
	log_set_level(level);
	/* A logger configured as Firecracker's writes its lines. */
	log_set_output(off ? -1 : fd, l->show_level, l->show_log_origin,
		       l->module, api->instance_id);
	return 0;
}

int sinks_apply_metrics(struct api *api, const char *path, struct azerr *e)
{
	int fd = api->p.open_sink(path, e);

	if (fd < 0)
		return -1;
	if (metrics_set_sink(api->p.metrics, fd, e)) {
		close(fd);
		return -1;
	}
	return 0;
}
