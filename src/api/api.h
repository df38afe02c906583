/* azote's Firecracker-compatible API: the request handling, independent of
 * the transport. The HTTP server (server.h) feeds it requests; unit tests
 * and fuzzers call api_handle directly.
 *
 * The API owns the microVM's configuration and its state (Not started,
 * Running, Paused), and asks the hypervisor core for changes through
 * vmm_ops (vmm_ops.h). Requests are handled one at a time under a lock.
 *
 * How main uses it (Firecracker's semantics):
 *   api = api_new(&params, cfg_or_NULL, &e);    config from CLI / file
 *   if (booting now) api_start(api, &e);         InstanceStart
 *   srv = api_server_start(sock, api, NULL, sandbox, &e); unless --no-api
 *   otherwise wait for api_started_fd(api) (with the signals, and serving
 *   api_server_fd(srv)) before running the VM loop, which serves it too
 *   ... api_server_stop(srv); api_free(api);
 */
#ifndef AZOTE_API_API_H
#define AZOTE_API_API_H

#include <stdbool.h>
#include <stddef.h>

#include "api/metrics.h"
#include "api/vmm_ops.h"
#include "common/err.h"
#include "vmm/vm_config.h"

/* The Firecracker API azote implements (docs/api.md lists where it
 * differs): what GET /version and the first line of --version report, for
 * clients that check it (Kata requires a minimum Firecracker version). */
#define AZOTE_FIRECRACKER_API_VERSION "1.16.0"

enum api_state { API_NOT_STARTED, API_RUNNING, API_PAUSED };

struct api_params {
	const struct vmm_ops *ops;
	void *ctx;                 /* passed to every op */
	struct metrics *metrics;   /* initialised by the caller */
	const char *instance_id;   /* GET / "id"; NULL: "anonymous-instance" */
	/* Opens a log or metrics destination (a file, created if missing,
	 * or a FIFO) for appending, non-blocking. NULL: the real one. Tests
	 * and fuzzers pass their own so that requests cannot create files. */
	int (*open_sink)(const char *path, struct azerr *e);
	unsigned metrics_period_ms; /* periodic flush; 0: Firecracker's 60 s */
	/* The MMDS data store's limit in bytes (--mmds-size-limit); 0:
	 * Firecracker's default, the HTTP body limit's default. */
	size_t mmds_size_limit;
};

struct api_response {
	int status;   /* 200, 204, 400, or 413 (the MMDS data store limit) */
	char *body;   /* JSON text, malloc'd; NULL with 204 */
};

struct api;

/* cfg: a configuration to start from (command line or config file); the
 * API takes over its contents and leaves *cfg empty. NULL: Firecracker's
 * defaults (1 vCPU, 128 MiB, no devices). Its logger and metrics settings
 * take effect here. */
struct api *api_new(const struct api_params *p, struct vm_config *cfg,
		    struct azerr *e);
void api_free(struct api *api);

/* Handles one request. method: "GET", "PUT", "PATCH"...; path: the path
 * of the request target as sent ("/drives/rootfs"; uri.h: nothing
 * decoded, a query included); body: len bytes (len 0: no body). Always
 * fills out; the caller frees it with api_response_free. */
void api_handle(struct api *api, const char *method, const char *path,
		const char *body, size_t len, struct api_response *out);
void api_response_free(struct api_response *r);

/* InstanceStart, exactly as PUT /actions does it. */
int api_start(struct api *api, struct azerr *e);

/* PUT /snapshot/load with mem_file_path, as --restore does it: the VM
 * built from the snapshot (docs/snapshot.md), paused unless resume. */
int api_snapshot_load(struct api *api, const char *snap_path, const char *mem_path,
		      bool resume, struct azerr *e);

/* An eventfd that becomes readable once the instance has started (by
 * InstanceStart or api_start), for a main thread that waits for it next to
 * its signals before running the VM loop. Owned by the API. */
int api_started_fd(const struct api *api);

enum api_state api_get_state(struct api *api);

/* Firecracker's --config-file: the JSON document with "boot-source",
 * "drives", "machine-config", "network-interfaces", "logger", "metrics",
 * checked by the same code as the API bodies, into cfg (which the caller
 * has vm_config_init'ed; on failure it may hold part of the file). Errors
 * name the file and the field. */
int api_config_file_load(const char *path, struct vm_config *cfg,
			 struct azerr *e);
/* A custom CPU template file (Firecracker's format; only its CPUID part is
 * taken) into cfg->cpu_template: --cpu-template and the config file's
 * "cpu-config". */
int api_cpu_template_load(const char *path, struct vm_config *cfg, struct azerr *e);
/* The same on a buffer; name stands for the file in messages. */
int api_config_load_buffer(const char *buf, size_t len, const char *name,
			   struct vm_config *cfg, struct azerr *e);

/* Firecracker's --metadata: the MMDS document in the file at path, as a
 * PUT /mmds before boot would set it (the data store limit applies). */
int api_mmds_load_file(struct api *api, const char *path, struct azerr *e);

/* The most a snapshot's recorded configuration may hold: a real one is a
 * few KiB (every device at its limit, with PATH_MAX paths, stays under),
 * while jansson takes ~80 bytes of heap per byte it parses, so a crafted
 * snapshot's section near its 256 MiB would cost gigabytes first. */
#define API_SNAPSHOT_CONFIG_MAX (1u << 20)

/* Snapshots (docs/snapshot.md, "The configuration"): cfg as the JSON a
 * snapshot records (malloc'd; NULL with e set when it cannot be recorded),
 * and that JSON back into cfg (vm_config_init'ed), through the same checks
 * as the API's bodies: drive images must exist, a vsock's socket must not.
 * name: the snapshot, for messages; vsock_uds: the vsock's socket instead
 * of the recorded one (Firecracker's vsock_override), or NULL. A
 * configuration longer than API_SNAPSHOT_CONFIG_MAX is refused unparsed. */
char *api_snapshot_config_json(const struct vm_config *cfg, struct azerr *e);
int api_snapshot_config_parse(const char *json, size_t len, const char *name,
			      const char *vsock_uds, struct vm_config *cfg, struct azerr *e);

#endif
