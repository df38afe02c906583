/* PUT /snapshot/create and PUT /snapshot/load: Firecracker's bodies and
 * states (docs/snapshot.md). create needs the VM paused; load is only for
 * a fresh process (nothing configured but the logger and metrics) and
 * builds the VM from what the snapshot recorded. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api_internal.h"
#include "api/json_schema.h"
#include "api/res_internal.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "iface/card.h"

/* ---- create ---- */

static const char *const snapshot_types[] = { "Full", "Diff" };

static const struct jfield create_fields[] = {
	{ "snapshot_path", JT_STRING, true, 0 },
	{ "mem_file_path", JT_STRING, true, 0 },
	{ "snapshot_type", JT_STRING, false, 0 },
};

/* The directory holding path's last name, as the kernel finds it
 * (symbolic links, "." and ".." on the way followed), stat'ed into *dir;
 * *name: that last name. False when the directory cannot be stat'ed:
 * the create fails on it anyway. */
static bool entry_of(const char *path, struct stat *dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	char d[PATH_MAX];   /* path is shorter: res_check_path_string */

	*name = slash ? slash + 1 : path;
	if (!slash)
		strcpy(d, ".");
	else  /* "/x": the root, "/" */
		snprintf(d, sizeof(d), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return stat(d, dir) == 0;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Do a and b name one file, however written? The same name in the same
 * directory ("/d/x", "/d/./x", through a link to /d), existing or not:
 * each file is renamed over its path, the state file last, over the
 * memory. Or, both existing, one file (a symbolic or hard link): a Diff
 * merged in place would write through a symbolic link into the file the
 * state file then replaces; and one file under two names is never what
 * a snapshot's two files were meant to be. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	const char *na, *nb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && same_inode(&sa, &sb))
		return true;
	return entry_of(a, &sa, &na) && entry_of(b, &sb, &nb) && same_inode(&sa, &sb) &&
	       !strcmp(na, nb);
}

static int create_check(const json_t *body, struct azerr *e)
{
	const char *snap = jstr(body, "snapshot_path"), *mem = jstr(body, "mem_file_path");

	if (jcheck(body, "", JFIELDS(create_fields), e) ||
	    jenum(body, "", "snapshot_type", JFIELDS(snapshot_types), false, 0, e) < 0 ||
	    res_check_path_string(snap, "snapshot_path", e) ||
	    res_check_path_string(mem, "mem_file_path", e))
		return -1;
	/* The state file, written last, would replace the memory. */
	if (!strcmp(snap, mem))
		return azerr_set(e, "invalid value for field `mem_file_path`: `%.200s` is also "
				 "the snapshot_path", mem);
	if (same_file(snap, mem))
		return azerr_set(e, "invalid value for field `mem_file_path`: `%.200s` is the same "
				 "file as the snapshot_path `%.200s`", mem, snap);
	return 0;
}

static int apply_create(struct api *api, const json_t *body, struct azerr *e)
{
	int type = jenum(body, "", "snapshot_type", JFIELDS(snapshot_types), false, 0, NULL);
	struct azerr why;

	/* Firecracker's text for a snapshot of running vCPUs. */
	if (api->state != API_PAUSED)
		return azerr_set(e, "Create snapshot error: Cannot save the microVM state: "
				 "Operation not allowed: save/restore unavailable while running");
	if (!api->p.ops->snapshot_create)
		return azerr_set(e, "The requested operation is not supported: snapshots");
	/* Firecracker's refusal until 1.13 (which then took mincore(2)'s
	 * resident pages instead: docs/api.md). */
	if (type == SNAPSHOT_DIFF && !api->cfg.track_dirty_pages)
		return azerr_set(e, "The requested operation is not supported: Diff snapshots "
				 "are not allowed on uVMs with dirty page tracking disabled.");
	char *json = api_snapshot_config_json(&api->cfg, &why);
	if (!json)
		return azerr_set(e, "Create snapshot error: %s", why.msg);
	int ret = api->p.ops->snapshot_create(api->p.ctx, (enum snapshot_type)type,
					      jstr(body, "snapshot_path"),
					      jstr(body, "mem_file_path"), json, &why);
	free(json);
	if (ret)
		return azerr_set(e, "Create snapshot error: %s", why.msg);
	log_info("snapshot written to %s, guest memory to %s", jstr(body, "snapshot_path"),
		 jstr(body, "mem_file_path"));
	return 0;
}

const struct body_op op_snapshot_create = { .check = create_check, .when = POST_BOOT,
					    .apply = apply_create };

/* ---- load ---- */

static const char *const backend_types[] = { "File", "Uffd" };

static const struct jfield load_fields[] = {
	{ "snapshot_path", JT_STRING, true, 0 },
	{ "mem_file_path", JT_STRING, false, 0 },
	{ "mem_backend", JT_OBJECT, false, 0 },
	{ "enable_diff_snapshots", JT_BOOL, false, 0 },
	{ "track_dirty_pages", JT_BOOL, false, 0 },
	{ "resume_vm", JT_BOOL, false, 0 },
	{ "network_overrides", JT_ARRAY, false, 0 },
	{ "vsock_override", JT_OBJECT, false, 0 },
	{ "clock_realtime", JT_BOOL, false, 0 },
};

static const struct jfield backend_fields[] = {
	{ "backend_type", JT_STRING, true, 0 },
	{ "backend_path", JT_STRING, true, 0 },
};

static const struct jfield override_fields[] = {
	{ "iface_id", JT_STRING, true, 0 },
	{ "host_dev_name", JT_STRING, true, 0 },
};

static int overrides_check(const json_t *list, struct azerr *e)
{
	const json_t *o;
	char where[48];
	size_t i;

	json_array_foreach(list, i, o) {
		snprintf(where, sizeof(where), "network_overrides[%zu]", i);
		if (jcheck(o, where, JFIELDS(override_fields), e))
			return -1;
		if (!ifname_valid(jstr(o, "host_dev_name")))
			return azerr_set(e, "invalid value for field `%s.host_dev_name`: `%.32s` "
					 "is not a network interface name", where,
					 jstr(o, "host_dev_name"));
	}
	return 0;
}

static const struct jfield vsock_override_fields[] = {
	{ "uds_path", JT_STRING, true, 0 },
};

/* The new socket's form; whether it is free is checked with the recorded
 * vsock (res_vsock), once the snapshot is read. */
static int vsock_override_check(const json_t *o, struct azerr *e)
{
	const char *uds = jstr(o, "uds_path"), *why;

	if (jcheck(o, "vsock_override", JFIELDS(vsock_override_fields), e) ||
	    res_check_path_string(uds, "vsock_override.uds_path", e))
		return -1;
	if ((why = card_vsock_uds_problem(uds)))
		return azerr_set(e, "invalid value for field `vsock_override.uds_path`: "
				 "`%.200s` is %s", uds, why);
	return 0;
}

static int load_check(const json_t *body, struct azerr *e)
{
	const json_t *backend = json_object_get(body, "mem_backend");

	if (jcheck(body, "", JFIELDS(load_fields), e) ||
	    res_check_path_string(jstr(body, "snapshot_path"), "snapshot_path", e))
		return -1;
	if (jhas(body, "mem_file_path") == jhas(body, "mem_backend"))
		return azerr_set(e, jhas(body, "mem_file_path") ?
				 "too many fields: either `mem_backend` or `mem_file_path` "
				 "exclusively is required" :
				 "missing field: either `mem_backend` or `mem_file_path` is required");
	if (backend && (jcheck(backend, "mem_backend", JFIELDS(backend_fields), e) ||
			jenum(backend, "mem_backend", "backend_type", JFIELDS(backend_types),
			      false, 0, e) < 0 ||
			res_check_path_string(jstr(backend, "backend_path"),
					      "mem_backend.backend_path", e)))
		return -1;
	if (jhas(body, "mem_file_path") &&
	    res_check_path_string(jstr(body, "mem_file_path"), "mem_file_path", e))
		return -1;
	if (jhas(body, "vsock_override") &&
	    vsock_override_check(json_object_get(body, "vsock_override"), e))
		return -1;
	return jhas(body, "network_overrides") ?
		overrides_check(json_object_get(body, "network_overrides"), e) : 0;
}

/* What the recorded configuration gets from the request: new TAPs for
 * interfaces (network_overrides), a new socket for the vsock
 * (vsock_override), and dirty page tracking; and from this process, the
 * serial console's settings (PUT /serial before the load). */
struct load_args {
	const json_t *overrides;    /* NULL: none */
	const char *vsock_uds;      /* NULL: as recorded */
	int track_dirty;            /* -1: as recorded */
	const struct serial_config *serial;
};

static int configure(void *arg, const char *json, size_t len, const char *name,
		     struct vm_config *cfg, struct azerr *e)
{
	const struct load_args *a = arg;
	const json_t *o;
	size_t i;

	if (api_snapshot_config_parse(json, len, name, a->vsock_uds, cfg, e))
		return -1;
	json_array_foreach(a->overrides, i, o) {
		int n = vm_config_find(cfg, &vm_nets, jstr(o, "iface_id"));
		if (n < 0)
			return azerr_set(e, "network_overrides[%zu]: %s has no network "
					 "interface `%s`", i, name, jstr(o, "iface_id"));
		char *tap;
		if (res_strdup(&tap, jstr(o, "host_dev_name"), e))
			return -1;
		res_replace(&cfg->nets[n].tap, tap);
	}
	if (a->track_dirty >= 0)
		cfg->track_dirty_pages = a->track_dirty;
	cfg->serial = *a->serial;
	return res_strdup(&cfg->serial.out_path, a->serial->out_path, e);
}

/* PUT /snapshot/load and --restore: req's paths, backend and resume (its
 * configure hook is set here), and what args changes in the recorded
 * configuration (its serial, this process's, is set here). */
static int load_locked(struct api *api, struct snapshot_load_req *req, struct load_args *args,
		       struct azerr *e)
{
	struct vm_config old = api->cfg;
	struct azerr why;

	if (api->state != API_NOT_STARTED)
		return azerr_set(e, MSG_POST_BOOT);
	if (api->boot_path)
		return azerr_set(e, "Loading a microVM snapshot not allowed after configuring "
				 "boot-specific resources.");
	if (!api->p.ops->snapshot_load)
		return azerr_set(e, "The requested operation is not supported: snapshots");
	/* The machine becomes the snapshot's, in api->cfg itself (the VMM
	 * keeps a pointer to it, as after start); the logger and metrics stay
	 * this process's. On failure the old configuration comes back. */
	args->serial = &old.serial;
	req->configure = configure;
	req->arg = args;
	vm_config_init(&api->cfg);
	if (api->p.ops->snapshot_load(api->p.ctx, req, &api->cfg, &why)) {
		vm_config_free(&api->cfg);
		api->cfg = old;
		return azerr_set(e, "Failed to restore from snapshot: %s", why.msg);
	}
	api->cfg.logger = old.logger;
	api->cfg.metrics_path = old.metrics_path;
	memset(&old.logger, 0, sizeof(old.logger));
	old.metrics_path = NULL;
	vm_config_free(&old);
	api_started_locked(api, req->resume ? API_RUNNING : API_PAUSED);
	log_info("microVM restored from %s (%s)", req->snapshot_path,
		 req->resume ? "resumed" : "paused");
	return 0;
}

static int apply_load(struct api *api, const json_t *body, struct azerr *e)
{
	const json_t *backend = json_object_get(body, "mem_backend");
	struct snapshot_load_req req = {
		.snapshot_path = jstr(body, "snapshot_path"),
		.mem_path = backend ? jstr(backend, "backend_path") : jstr(body, "mem_file_path"),
		.mem_uffd = backend && !strcmp(jstr(backend, "backend_type"), "Uffd"),
		.resume = jbool(body, "resume_vm", false),
		.clock_realtime = jbool(body, "clock_realtime", false),
	};

	/* Firecracker's reading: the old name is an alias, and a loaded VM
	 * tracks dirty pages only when the load asks, whatever the snapshot's
	 * machine did. */
	if (jbool(body, "enable_diff_snapshots", false))
		log_warn("PUT /snapshot/load: mem_file_path and enable_diff_snapshots fields "
			 "are deprecated.");
	struct load_args args = {
		.overrides = json_object_get(body, "network_overrides"),
		.vsock_uds = jstr(json_object_get(body, "vsock_override"), "uds_path"),
		.track_dirty = jbool(body, "track_dirty_pages", false) ||
			       jbool(body, "enable_diff_snapshots", false),
	};
	return load_locked(api, &req, &args, e);
}

const struct body_op op_snapshot_load = { .check = load_check, .when = PRE_BOOT,
					  .apply = apply_load };

int api_snapshot_load(struct api *api, const char *snap_path, const char *mem_path,
		      bool resume, struct azerr *e)
{
	struct snapshot_load_req req = {
		.snapshot_path = snap_path, .mem_path = mem_path, .resume = resume,
	};
	struct load_args args = { .track_dirty = -1 };
	int ret;

	pthread_mutex_lock(&api->lock);
	ret = load_locked(api, &req, &args, e);
	pthread_mutex_unlock(&api->lock);
	return ret;
}
