/* Firecracker-style metrics: counters that any thread bumps without locks
 * (vCPU threads included), written as one JSON object per line to the
 * metrics file or FIFO on FlushMetrics and periodically. As in Firecracker,
 * each line holds what happened since the previous line (deltas), with the
 * per-device groups named block_<drive_id> / net_<iface_id> next to the
 * aggregates "block" and "net".
 *
 * Who fills what: the vCPU loop counts exits in vcpu; the block and net
 * groups are indexed like vm_config's drives[] / nets[] and are fed by the
 * core from the cards' statistics (metric_store for cumulative totals); the
 * API counts its own requests. Counters kept elsewhere can instead be
 * copied in by a collector that runs just before each line is written. */
#ifndef AZOTE_API_METRICS_H
#define AZOTE_API_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "vmm/vm_config.h"

struct metric {
	_Atomic uint64_t count;
	uint64_t flushed;  /* count at the previous flush; flusher only */
};

static inline void metric_add(struct metric *m, uint64_t n)
{
	atomic_fetch_add_explicit(&m->count, n, memory_order_relaxed);
}

static inline void metric_inc(struct metric *m)
{
	metric_add(m, 1);
}

/* For counters kept elsewhere, e.g. a card's running totals. */
static inline void metric_store(struct metric *m, uint64_t total)
{
	atomic_store_explicit(&m->count, total, memory_order_relaxed);
}

/* KVM_RUN exits by kind, summed over all vCPUs. failures: KVM_RUN errors,
 * internal errors and unhandled exits. */
struct vcpu_metrics {
	struct metric exit_io_in, exit_io_out;
	struct metric exit_mmio_read, exit_mmio_write;
	struct metric exit_hlt, exit_system_event, exit_other;
	struct metric failures;
};

struct block_metrics {
	struct metric read_count, write_count, flush_count;
	struct metric read_bytes, write_bytes;
	struct metric invalid_reqs_count, rate_limiter_throttled_events;
	struct metric update_count, update_fails;  /* PATCH /drives */
};

struct net_metrics {
	struct metric rx_packets_count, tx_packets_count;
	struct metric rx_bytes_count, tx_bytes_count;
	struct metric rx_fails, tx_fails;
	struct metric rx_rate_limiter_throttled, tx_rate_limiter_throttled;
	struct metric update_count, update_fails;  /* PATCH /network-interfaces */
};

/* Firecracker's "vsock" group (one device): the fields the vsock card
 * counts, by Firecracker's names (VsockDeviceMetrics). */
struct vsock_metrics {
	struct metric rx_packets_count, tx_packets_count;
	struct metric rx_bytes_count, tx_bytes_count;
	struct metric conns_added, conns_killed, conns_removed;
	struct metric tx_write_fails, rx_read_fails;
};

/* Firecracker's "entropy" group (one device): the fields the rng card
 * counts, by Firecracker's names (EntropyDeviceMetrics). */
struct entropy_metrics {
	struct metric entropy_event_fails, entropy_event_count, entropy_bytes;
	struct metric host_rng_fails, entropy_rate_limiter_throttled;
};

/* Firecracker's "balloon" group (one device), by its names
 * (BalloonDeviceMetrics): what the balloon card counts; activate_fails
 * (Firecracker's own activation) and the free page hinting ones (azote
 * does not implement hinting) stay 0. */
struct balloon_metrics {
	struct metric activate_fails, inflate_count, stats_updates_count, stats_update_fails;
	struct metric deflate_count, event_fails;
	struct metric free_page_report_count, free_page_report_freed, free_page_report_fails;
	struct metric free_page_hint_count, free_page_hint_freed, free_page_hint_fails;
};

/* Firecracker's pmem groups (PmemMetrics), "pmem_<id>" and their sum
 * "pmem": what the pmem card counts (queue_event_count: flush requests,
 * one each where Firecracker counts ring events); activate_fails and
 * cfg_fails (Firecracker's own activation and configuration reads) and
 * rate_limiter_event_count (its limiter's timer) stay 0. */
struct pmem_metrics {
	struct metric activate_fails, cfg_fails, event_fails, queue_event_count;
	struct metric rate_limiter_throttled_events, rate_limiter_event_count;
};

/* Firecracker's "uart" group (COM1), as far as azote counts: bytes the
 * guest sent (write_count), those the output did not take
 * (missed_write_count: a full FIFO, a closed terminal) and those PUT
 * /serial's rate limiter dropped. */
struct uart_metrics {
	struct metric write_count, missed_write_count, rate_limiter_dropped_bytes;
};

/* Firecracker's "logger" group, as far as azote counts: lines its
 * per-callsite limit held back (common/log.h; azote's own, not its
 * cards'). */
struct logger_metrics {
	struct metric rate_limited_log_count;
};

/* process_startup_time_us and _cpu_us are values, not counters (written
 * whole in every line, as Firecracker's): how long azote took from the
 * jailer's start to serving its API, in wall and CPU time. */
struct api_server_metrics {
	struct metric requests, request_fails;
	struct metric process_startup_time_us, process_startup_time_cpu_us;
};

struct metrics {
	struct vcpu_metrics vcpu;
	struct block_metrics block[VM_MAX_DRIVES];
	struct net_metrics net[VM_MAX_NETS];
	struct vsock_metrics vsock;
	struct entropy_metrics entropy;
	struct balloon_metrics balloon;
	struct pmem_metrics pmem[VM_MAX_PMEMS];
	struct uart_metrics uart;
	struct logger_metrics logger;
	struct api_server_metrics api_server;
	/* Lines the cards' log limiters held back, as the collector last
	 * read them: logger.rate_limited_log_count is these and azote's own. */
	uint64_t cards_log_held_back;

	/* The rest is private to metrics.c. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int fd;
	char block_ids[VM_MAX_DRIVES][VM_ID_MAX];
	unsigned nr_blocks;
	char net_ids[VM_MAX_NETS][VM_ID_MAX];
	unsigned nr_nets;
	char pmem_ids[VM_MAX_PMEMS][VM_ID_MAX];
	unsigned nr_pmems;
	pthread_t thread;
	bool thread_running, stopping;
	unsigned period_ms;
	void (*collect)(void *ctx, struct metrics *m);
	void *collect_ctx;
	int (*sandbox)(struct azerr *e);
};

/* Firecracker writes metrics every 60 s. */
#define METRICS_PERIOD_MS 60000

void metrics_init(struct metrics *m);
/* Stops the periodic writer and closes the sink. */
void metrics_destroy(struct metrics *m);
/* Takes ownership of fd, the sink lines go to. Only once, as in
 * Firecracker: a second call fails. */
int metrics_set_sink(struct metrics *m, int fd, struct azerr *e);
bool metrics_has_sink(struct metrics *m);
/* Names the per-device groups after cfg's drives and nets. */
void metrics_set_devices(struct metrics *m, const struct vm_config *cfg);
/* fn(ctx, m) runs before each line is written (on the flushing thread,
 * with the metrics locked: it may only metric_add / metric_store, quickly
 * and without blocking). NULL: none. */
void metrics_set_collector(struct metrics *m,
			   void (*fn)(void *ctx, struct metrics *m), void *ctx);
/* fn runs on the periodic writer's thread (named "metrics") before its
 * first write, to confine it; when fn fails the thread ends, its error
 * logged, and no line is written periodically. NULL (the default): none. */
void metrics_set_sandbox(struct metrics *m, int (*fn)(struct azerr *e));
/* Writes one line now. Without a sink, does nothing and succeeds. */
int metrics_flush(struct metrics *m, struct azerr *e);
/* Starts a thread that flushes every period_ms (idempotent). */
int metrics_start_periodic(struct metrics *m, unsigned period_ms,
			   struct azerr *e);

#endif
