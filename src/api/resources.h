/* Firecracker's configuration resources (boot-source, machine-config,
 * drives, network-interfaces, logger, metrics) as JSON bodies applied to a
 * vm_config. The HTTP API and the config file both go through these, so a
 * body means the same thing and fails with the same message either way.
 *
 * Each resource has two steps:
 * - check: the shape of the body only (fields, types, enums, ids); touches
 *   neither the file system nor any configuration;
 * - apply: the checks that need the host or the rest of the configuration
 *   (files exist, one root drive, unique TAP names and MACs, limits), then
 *   the change. On failure the configuration is left unchanged.
 * apply must only be called on a body that passed check. */
#ifndef AZOTE_API_RESOURCES_H
#define AZOTE_API_RESOURCES_H

#include <jansson.h>

#include "common/err.h"
#include "vmm/vm_config.h"

struct resource {
	const char *name;
	int (*check)(const json_t *body, struct azerr *e);
	int (*apply)(struct vm_config *cfg, const json_t *body,
		     struct azerr *e);
};

extern const struct resource res_boot_source;
extern const struct resource res_machine_config;       /* PUT */
extern const struct resource res_machine_config_patch; /* PATCH */
extern const struct resource res_drive;                /* PUT */
extern const struct resource res_net;                  /* PUT */
extern const struct resource res_vsock;                /* PUT */
extern const struct resource res_entropy;              /* PUT */
extern const struct resource res_balloon;              /* PUT */
extern const struct resource res_pmem;                 /* PUT */
extern const struct resource res_serial;               /* PUT */
extern const struct resource res_logger;
extern const struct resource res_metrics;
extern const struct resource res_cpu_config;   /* PUT /cpu-config */
extern const struct resource res_mmds_config;  /* PUT /mmds/config */

/* PATCH bodies after boot: checked here, applied by the API through the
 * VMM (they change a running device). */
int res_drive_patch_check(const json_t *body, struct azerr *e);
int res_net_patch_check(const json_t *body, struct azerr *e);
int res_pmem_patch_check(const json_t *body, struct azerr *e);
int res_balloon_patch_check(const json_t *body, struct azerr *e);        /* PATCH /balloon */
int res_balloon_stats_patch_check(const json_t *body, struct azerr *e);  /* .../statistics */

/* Firecracker's texts for a balloon target larger than the guest's
 * memory: PUT /balloon's (TooManyPagesRequested) and machine-config's
 * (IncompatibleBalloonSize); and azote's for free page hinting. */
#define RES_BALLOON_TOO_MANY_PAGES \
	"Balloon config error: Amount of pages requested is too large."
#define RES_BALLOON_MEM_TOO_SMALL \
	"The memory size (MiB) is smaller than the previously set balloon device target size."
#define RES_BALLOON_NO_HINTING \
	"The requested operation is not supported: azote does not implement free page " \
	"hinting (Firecracker's developer preview)"
/* 0 when a balloon of amount_mib fits a guest of mem_bytes; else -1, e
 * being what, then the field and both sizes in parentheses. */
int res_balloon_fits(uint32_t amount_mib, uint64_t mem_bytes, const char *what,
		     struct azerr *e);
/* The token bucket member `name` of body into tb; false when absent. */
bool res_bucket(const json_t *body, const char *name, struct token_bucket *tb);
/* The rate limiter member `name` of body into rl; false when absent. */
bool res_rate_limiter(const json_t *body, const char *name,
		      struct rate_limiter *rl);
/* Is path usable as a drive image (read_only: read access suffices)? */
int res_check_drive_path(const char *path, bool read_only, struct azerr *e);

/* Is path usable as a pmem backing file (read_only: read access
 * suffices)? A regular file, not empty. */
int res_check_pmem_path(const char *path, bool read_only, struct azerr *e);

/* Firecracker's resource id rule: 1 to VM_ID_MAX-1 characters, ASCII
 * letters, digits and '_'. */
int res_check_id(const char *id, struct azerr *e);

/* Firecracker uses these when boot_args or the machine config are not
 * given. azote's default command line lacks Firecracker's 8250.nr_uarts=0
 * (azote's console is the 16550). */
/* Firecracker's answer to a PATCH that changes nothing, as is: not a
 * deserialization error, though a body check finds it. */
#define RES_EMPTY_PATCH "Empty PATCH request."

#define RES_DEFAULT_CMDLINE \
	"reboot=k panic=1 nomodule i8042.noaux i8042.nomux i8042.nopnp " \
	"i8042.dumbkbd"
#define RES_MAX_VCPUS 32

/* Strings as given in JSON, for GET /vm/config and GET /machine-config. */
extern const char *const res_cache_types[2];  /* by enum drive_cache_type */
extern const char *const res_io_engines[2];   /* by enum drive_io_engine */

#endif
