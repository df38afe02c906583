/* The azote command line, parsed into a VM configuration. */
#ifndef AZOTE_VMM_CLI_H
#define AZOTE_VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"
#include "jail/confine.h"
#include "jail/seccomp.h"
#include "vmm/vm_config.h"

/* CLI_DESCRIBE_SNAPSHOT: print what describe_snapshot holds;
 * CLI_SNAPSHOT_VERSION: print the snapshot format version azote writes. */
enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION, CLI_DESCRIBE_SNAPSHOT,
		  CLI_SNAPSHOT_VERSION };

/* Where Firecracker serves its API when not told (--api-sock). */
#define CLI_DEFAULT_API_SOCK "/run/firecracker.socket"

struct cli_opts {
	enum cli_action action;
	enum log_level log_level;
	char *api_sock;      /* --api-sock: serve the API here */
	char *config_file;   /* --config-file: Firecracker's JSON */
	char *cpu_template;  /* --cpu-template: Firecracker's custom template */
	char *id;            /* --id: the instance ID the API reports */
	char *describe_snapshot; /* --describe-snapshot: the state file */
	/* --restore: the VM is the snapshot's (docs/snapshot.md), its RAM
	 * from --restore-mem, else the memory file the snapshot names. */
	char *restore;
	char *restore_mem;
	bool eager_mem;      /* --eager-mem: no lazy loading (vmm/lazy_mem.h) */
	bool prefetch_mem;   /* --prefetch-mem: lazy, and the rest in the background */
	bool no_api;         /* --no-api */
	enum jail_seccomp_mode seccomp; /* --seccomp, --no-seccomp (default kill) */
	bool seccomp_given;
	char *seccomp_filter; /* --seccomp-filter: Firecracker's compiled filters */
	/* --card-user: given, and then whether the cards are confined and as
	 * whom (jail/confine.h). Not given: nobody:nogroup when azote runs
	 * as root, else not confined. */
	bool card_user_given;
	bool card_confine;
	struct jail_identity card_user;
	bool vm_options;     /* some option describing the VM was given */
	bool transport_given;  /* --transport */
	bool enable_pci;       /* Firecracker's --enable-pci */
	bool log_level_given;
	/* Firecracker's --http-api-max-payload-size; 0: the default. */
	size_t max_payload;
	char *metadata;      /* --metadata: the MMDS document to start with */
	/* Firecracker's --mmds-size-limit; 0: max_payload's value. */
	size_t mmds_size_limit;
	/* Firecracker's jailer's --start-time-us, --start-time-cpu-us and
	 * --parent-cpu-time-us: when the jailer began (CLOCK_MONOTONIC) and
	 * its CPU time, for the startup-time metrics. */
	bool has_start_time, has_start_cpu_time;
	uint64_t start_time_us, start_cpu_time_us, parent_cpu_time_us;
};

/* Frees the strings in o. */
void cli_opts_free(struct cli_opts *o);

/* Fills c (initialised by the caller with vm_config_init) and o from argv.
 * On error, e names the option and value at fault. */
int cli_parse(int argc, char **argv, struct vm_config *c, struct cli_opts *o,
	      struct azerr *e);

extern const char cli_usage[];

#endif
