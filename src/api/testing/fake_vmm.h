/* A VMM that boots nothing: it records what the API asked of it and can be
 * told to fail. Used by the unit tests, the fuzzers and azote-api-fake. */
#ifndef AZOTE_API_TESTING_FAKE_VMM_H
#define AZOTE_API_TESTING_FAKE_VMM_H

#include <stdio.h>

#include "api/vmm_ops.h"

struct fake_vmm {
	unsigned starts, pauses, resumes, ctrl_alt_dels;
	unsigned drive_updates, net_updates, pmem_updates, mmds_updates;
	/* When set, the next op fails with this message (then it is
	 * cleared). */
	const char *fail_next;
	/* What the last calls carried. */
	unsigned start_cpus, start_drives, start_nets;
	char start_kernel[256];
	unsigned update_index;
	char update_path[256];
	struct rate_limiter update_rl, update_rx, update_tx;
	bool update_has_rl, update_has_rx, update_has_tx;
	char mmds_json[1024];        /* the last update_mmds's document */
	/* The balloon: the last target and interval asked for, and what
	 * balloon_status gives. */
	unsigned balloon_updates, balloon_stats_updates, balloon_status_reads;
	uint32_t balloon_mib;
	uint16_t balloon_interval;
	struct balloon_status balloon;
	/* Snapshots: what create was given; load hands snap_config (by
	 * default the last create's) to the API's configure. */
	unsigned snapshot_creates, snapshot_loads;
	enum snapshot_type snap_type;
	char snap_path[256], mem_path[256];
	char snap_config[8192];
	bool load_resume, load_uffd, load_clock_realtime;
	/* The serial console the last start or load built the machine with. */
	char serial_out[256];       /* "" for stdout */
	bool serial_limited;
	struct token_bucket serial_limit;
	/* When set, each op writes its name as a line ("start", "pause"). */
	FILE *trace;
};

extern const struct vmm_ops fake_vmm_ops;

#endif
