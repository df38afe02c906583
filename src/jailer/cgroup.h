/* The jailed process's cgroup, as Firecracker's jailer makes it (options
 * --cgroup FILE=VALUE, --cgroup-version 1|2, --parent-cgroup PATH), so that
 * a tool written for Firecracker limits an azote VM the same way: the VM's
 * cgroup is <hierarchy>/<parent>/<id>, each FILE of it gets its VALUE, and
 * the jailer (which then execs the VM) moves itself in. The hierarchies are
 * found in a mounts file (/proc/mounts; a parameter so that tests can point
 * at a fake tree). The options are checked here too, where the rules live. */
#ifndef AZOTE_JAILER_CGROUP_H
#define AZOTE_JAILER_CGROUP_H

#include <sys/types.h>

#include "common/err.h"

#define CGROUP_MAX_PROPS 32

/* One --cgroup option: the file of the VM's cgroup ("cpu.max"; the
 * controller is the part before the first '.') and the value written to it. */
struct cgroup_prop {
	const char *file;
	const char *value;
};

struct cgroup_conf {
	unsigned version;          /* 1 or 2 */
	const char *parent;        /* relative path, as cgroup_parent_check accepts */
	const char *id;            /* the VM's id, a single path component */
	struct cgroup_prop props[CGROUP_MAX_PROPS]; /* as cgroup_prop_parse makes them */
	unsigned n_props;
};

/* Checks "FILE=VALUE" (one '=', neither part empty, FILE a file name
 * CONTROLLER.NAME and not cgroup.*, no newline) and splits it into p. arg stays the caller's;
 * p->file is the start of one allocation holding both parts (free that to
 * release them; the jailer execs instead). */
int cgroup_prop_parse(const char *arg, struct cgroup_prop *p, struct azerr *e);

/* Checks a --parent-cgroup path as Firecracker does: relative, with no
 * ".." component and no leading "." (it must not lead out of the
 * hierarchy); empty components and inner "." are taken, and left out of
 * the levels cgroup_apply makes. */
int cgroup_parent_check(const char *parent, struct azerr *e);

/* Parses a --cgroup-version value, "1" or "2", into *version. */
int cgroup_version_parse(const char *s, unsigned *version, struct azerr *e);

/* Version 1: for each controller the properties name, creates
 * <its hierarchy>/<parent>/<id> (missing levels mode 0755), gives each of
 * its properties first the value the closest ancestor has (a new v1
 * cpuset's cpus and mems are empty and refuse values and tasks), then
 * VALUE, and writes pid to its tasks.
 * Version 2: creates <unified>/<parent>/<id>, refuses a property whose
 * controller the unified root does not list in cgroup.controllers, enables
 * each controller in cgroup.subtree_control from the root down to the
 * parent, writes the properties and pid to cgroup.procs. Without any
 * property, only moves pid into <unified>/<parent> if that exists.
 * Hierarchies are read from mounts_path. */
int cgroup_apply(const struct cgroup_conf *c, const char *mounts_path, pid_t pid,
		 struct azerr *e);

#endif
