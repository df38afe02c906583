#include "api/metrics.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* Each group is written from a table of its counters, so adding a counter
 * is one line in the struct and one here. */
struct metric_field {
	const char *name;
	size_t off;
	bool value;  /* written whole, not as the change since the last line */
};

#define FIELD(type, name) { #name, offsetof(struct type, name), false }
#define VALUE(type, name) { #name, offsetof(struct type, name), true }

static const struct metric_field vcpu_fields[] = {
	FIELD(vcpu_metrics, exit_io_in),
	FIELD(vcpu_metrics, exit_io_out),
	FIELD(vcpu_metrics, exit_mmio_read),
	FIELD(vcpu_metrics, exit_mmio_write),
	FIELD(vcpu_metrics, exit_hlt),
	FIELD(vcpu_metrics, exit_system_event),
	FIELD(vcpu_metrics, exit_other),
	FIELD(vcpu_metrics, failures),
};

static const struct metric_field block_fields[] = {
	FIELD(block_metrics, read_count),
	FIELD(block_metrics, write_count),
	FIELD(block_metrics, flush_count),
	FIELD(block_metrics, read_bytes),
	FIELD(block_metrics, write_bytes),
	FIELD(block_metrics, invalid_reqs_count),
	FIELD(block_metrics, rate_limiter_throttled_events),
	FIELD(block_metrics, update_count),
	FIELD(block_metrics, update_fails),
};

static const struct metric_field net_fields[] = {
	FIELD(net_metrics, rx_packets_count),
	FIELD(net_metrics, tx_packets_count),
	FIELD(net_metrics, rx_bytes_count),
	FIELD(net_metrics, tx_bytes_count),
	FIELD(net_metrics, rx_fails),
	FIELD(net_metrics, tx_fails),
	FIELD(net_metrics, rx_rate_limiter_throttled),
	FIELD(net_metrics, tx_rate_limiter_throttled),
	FIELD(net_metrics, update_count),
	FIELD(net_metrics, update_fails),
};

static const struct metric_field vsock_fields[] = {
	FIELD(vsock_metrics, rx_packets_count),
	FIELD(vsock_metrics, tx_packets_count),
	FIELD(vsock_metrics, rx_bytes_count),
	FIELD(vsock_metrics, tx_bytes_count),
	FIELD(vsock_metrics, conns_added),
	FIELD(vsock_metrics, conns_killed),
	FIELD(vsock_metrics, conns_removed),
	FIELD(vsock_metrics, tx_write_fails),
	FIELD(vsock_metrics, rx_read_fails),
};

static const struct metric_field entropy_fields[] = {
	FIELD(entropy_metrics, entropy_event_fails),
	FIELD(entropy_metrics, entropy_event_count),
	FIELD(entropy_metrics, entropy_bytes),
	FIELD(entropy_metrics, host_rng_fails),
	FIELD(entropy_metrics, entropy_rate_limiter_throttled),
};

static const struct metric_field uart_fields[] = {
	FIELD(uart_metrics, write_count),
	FIELD(uart_metrics, missed_write_count),
	FIELD(uart_metrics, rate_limiter_dropped_bytes),
};

static const struct metric_field logger_fields[] = {
	FIELD(logger_metrics, rate_limited_log_count),
};

static const struct metric_field balloon_fields[] = {
	FIELD(balloon_metrics, activate_fails),
	FIELD(balloon_metrics, inflate_count),
	FIELD(balloon_metrics, stats_updates_count),
	FIELD(balloon_metrics, stats_update_fails),
	FIELD(balloon_metrics, deflate_count),
	FIELD(balloon_metrics, event_fails),
	FIELD(balloon_metrics, free_page_report_count),
	FIELD(balloon_metrics, free_page_report_freed),
	FIELD(balloon_metrics, free_page_report_fails),
	FIELD(balloon_metrics, free_page_hint_count),
	FIELD(balloon_metrics, free_page_hint_freed),
	FIELD(balloon_metrics, free_page_hint_fails),
};

static const struct metric_field pmem_fields[] = {
	FIELD(pmem_metrics, activate_fails),
	FIELD(pmem_metrics, cfg_fails),
	FIELD(pmem_metrics, event_fails),
	FIELD(pmem_metrics, queue_event_count),
	FIELD(pmem_metrics, rate_limiter_throttled_events),
	FIELD(pmem_metrics, rate_limiter_event_count),
};

static const struct metric_field api_fields[] = {
	FIELD(api_server_metrics, requests),
	FIELD(api_server_metrics, request_fails),
	VALUE(api_server_metrics, process_startup_time_us),
	VALUE(api_server_metrics, process_startup_time_cpu_us),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define MAX_GROUP_FIELDS 16

_Static_assert(NFIELDS(block_fields) <= MAX_GROUP_FIELDS, "block_fields");
_Static_assert(NFIELDS(net_fields) <= MAX_GROUP_FIELDS, "net_fields");

void metrics_init(struct metrics *m)
{
	pthread_condattr_t attr;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	/* The periodic writer measures its period on the monotonic clock so
	 * that setting the wall clock neither stalls nor floods it. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &attr);
	pthread_condattr_destroy(&attr);
}

void metrics_destroy(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	if (m->thread_running)
		pthread_join(m->thread, NULL);
	if (m->fd >= 0)
		close(m->fd);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
}

int metrics_set_sink(struct metrics *m, int fd, struct azerr *e)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (m->fd >= 0)
		ret = azerr_set(e, "Reinitialization of metrics not allowed.");
	else
		m->fd = fd;
	pthread_mutex_unlock(&m->lock);
	return ret;
}

bool metrics_has_sink(struct metrics *m)
{
	bool has;

	pthread_mutex_lock(&m->lock);
	has = m->fd >= 0;
	pthread_mutex_unlock(&m->lock);
	return has;
}

void metrics_set_devices(struct metrics *m, const struct vm_config *cfg)
{
	pthread_mutex_lock(&m->lock);
	m->nr_blocks = cfg->nr_drives;
	for (unsigned i = 0; i < cfg->nr_drives; i++)
		memcpy(m->block_ids[i], cfg->drives[i].id, VM_ID_MAX);
	m->nr_nets = cfg->nr_nets;
	for (unsigned i = 0; i < cfg->nr_nets; i++)
		memcpy(m->net_ids[i], cfg->nets[i].id, VM_ID_MAX);
	m->nr_pmems = cfg->nr_pmems;
	for (unsigned i = 0; i < cfg->nr_pmems; i++)
		memcpy(m->pmem_ids[i], cfg->pmems[i].id, VM_ID_MAX);
	pthread_mutex_unlock(&m->lock);
}

void metrics_set_collector(struct metrics *m,
			   void (*fn)(void *ctx, struct metrics *m), void *ctx)
{
	pthread_mutex_lock(&m->lock);
	m->collect = fn;
	m->collect_ctx = ctx;
	pthread_mutex_unlock(&m->lock);
}

/* Takes the delta of every counter of one group since the last flush and
 * adds it to sum (the aggregate group) when sum is not NULL. */
static json_t *group_json(void *group, const struct metric_field *f,
			  size_t n, uint64_t *sum)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++) {
		struct metric *c = (struct metric *)((char *)group + f[i].off);
		uint64_t now = atomic_load_explicit(&c->count,
						    memory_order_relaxed);
		uint64_t delta = f[i].value ? now : now - c->flushed;

		c->flushed = now;
		if (sum)
			sum[i] += delta;
		json_object_set_new(o, f[i].name, json_integer((json_int_t)delta));
	}
	return o;
}

static json_t *sum_json(const uint64_t *sum, const struct metric_field *f,
			size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, f[i].name, json_integer((json_int_t)sum[i]));
	return o;
}

/* Adds "<kind>" (the sum) and "<kind>_<id>" for each device. */
static void devices_json(json_t *root, const char *kind, void *groups,
			 size_t group_size, const char (*ids)[VM_ID_MAX],
			 unsigned nr, const struct metric_field *f, size_t nf)
{
	uint64_t sum[MAX_GROUP_FIELDS] = { 0 };
	char key[VM_ID_MAX + 8];

	for (unsigned i = 0; i < nr; i++) {
		snprintf(key, sizeof(key), "%s_%s", kind, ids[i]);
		json_object_set_new(root, key,
				    group_json((char *)groups + i * group_size,
					       f, nf, sum));
	}
	json_object_set_new(root, kind, sum_json(sum, f, nf));
}

static json_t *metrics_json(struct metrics *m)
{
	json_t *root = json_object();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(root, "utc_timestamp_ms",
			    json_integer((json_int_t)ts.tv_sec * 1000 +
					 ts.tv_nsec / 1000000));
	json_object_set_new(root, "api_server",
			    group_json(&m->api_server, api_fields,
				       NFIELDS(api_fields), NULL));
	json_object_set_new(root, "vcpu",
			    group_json(&m->vcpu, vcpu_fields,
				       NFIELDS(vcpu_fields), NULL));
	devices_json(root, "block", m->block, sizeof(m->block[0]), m->block_ids,
		     m->nr_blocks, block_fields, NFIELDS(block_fields));
	devices_json(root, "net", m->net, sizeof(m->net[0]), m->net_ids,
		     m->nr_nets, net_fields, NFIELDS(net_fields));
	devices_json(root, "pmem", m->pmem, sizeof(m->pmem[0]), m->pmem_ids,
		     m->nr_pmems, pmem_fields, NFIELDS(pmem_fields));
	/* One device at most: Firecracker's single groups, always there. */
	json_object_set_new(root, "vsock",
			    group_json(&m->vsock, vsock_fields, NFIELDS(vsock_fields), NULL));
	json_object_set_new(root, "entropy",
			    group_json(&m->entropy, entropy_fields, NFIELDS(entropy_fields),
				       NULL));
	json_object_set_new(root, "balloon",
			    group_json(&m->balloon, balloon_fields, NFIELDS(balloon_fields),
				       NULL));
	json_object_set_new(root, "uart",
			    group_json(&m->uart, uart_fields, NFIELDS(uart_fields), NULL));
	metric_store(&m->logger.rate_limited_log_count, log_held_back() + m->cards_log_held_back);
	json_object_set_new(root, "logger",
			    group_json(&m->logger, logger_fields, NFIELDS(logger_fields), NULL));
	return root;
}

static int flush_locked(struct metrics *m, struct azerr *e)
{
	json_t *root;
	char *line;
	size_t len;
	ssize_t n;

	if (m->fd < 0)
		return 0;
	if (m->collect)
		m->collect(m->collect_ctx, m);
	root = metrics_json(m);
	line = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!line)
		return azerr_set(e, "metrics: out of memory");
	len = strlen(line);
	line[len] = '\n';  /* json_dumps' NUL becomes the line end */
	/* The sink was opened O_NONBLOCK: a FIFO nobody reads loses lines
	 * instead of stalling the caller. */
	n = write(m->fd, line, len + 1);
	free(line);
	if (n < 0)
		return azerr_set(e, "Cannot write the metrics: %s",
				 strerror(errno));
	if ((size_t)n != len + 1)
		return azerr_set(e, "Cannot write the metrics: short write");
	return 0;
}

int metrics_flush(struct metrics *m, struct azerr *e)
{
	int ret;

	pthread_mutex_lock(&m->lock);
	ret = flush_locked(m, e);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void metrics_set_sandbox(struct metrics *m, int (*fn)(struct azerr *e))
{
	m->sandbox = fn;
}

static void *periodic_main(void *arg)
{
	struct metrics *m = arg;
	struct timespec next;
	struct azerr e;

	pthread_setname_np(pthread_self(), "metrics");
	if (m->sandbox && m->sandbox(&e) < 0) {
		log_error("metrics: %s; no periodic metrics", e.msg);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!m->stopping) {
		next.tv_sec += m->period_ms / 1000;
		next.tv_nsec += (long)(m->period_ms % 1000) * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		while (!m->stopping &&
		       pthread_cond_timedwait(&m->wake, &m->lock, &next) !=
			       ETIMEDOUT)
			;
		if (!m->stopping && flush_locked(m, &e))
			log_warn("%s", e.msg);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int metrics_start_periodic(struct metrics *m, unsigned period_ms,
			   struct azerr *e)
{
	int err = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->thread_running) {
		m->period_ms = period_ms ? period_ms : METRICS_PERIOD_MS;
		err = pthread_create(&m->thread, NULL, periodic_main, m);
		m->thread_running = !err;
	}
	pthread_mutex_unlock(&m->lock);
	if (err)
		return azerr_set(e, "Cannot start the metrics writer: %s",
				 strerror(err));
	return 0;
}
