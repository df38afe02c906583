#include "jailer/args.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "common/size.h"

const char jailer_usage[] =
"Usage: azote-jailer --id ID --exec-file PATH --uid UID --gid GID [options]\n"
"                    [-- ARGS for the exec file...]\n"
"\n"
"Starts a program (azote) jailed, as Firecracker's jailer does and with its\n"
"options: the program is copied into the chroot\n"
"<chroot-base-dir>/<exec-file name>/<ID>/root, along with the cards beside\n"
"it (<exec-file name>-card-*) and, read-only, the shared libraries they\n"
"load; that directory becomes the root of a mount namespace of its own,\n"
"with /dev/kvm, /dev/net/tun, /dev/urandom, /dev/null (and\n"
"/dev/userfaultfd where the host has it) and an empty /run; the process\n"
"joins its cgroup, drops to UID:GID with no supplementary groups, an empty\n"
"environment and only fds 0-2, and runs /<exec-file name> --id ID and\n"
"Firecracker's --start-time-us, --start-time-cpu-us, --parent-cpu-time-us,\n"
"then ARGS.\n"
"Paths the program is given (kernel, drives, API socket) are inside the\n"
"chroot. Needs root.\n"
"\n"
"  --id ID                  1-64 letters, digits or '-'\n"
"  --exec-file PATH         the program to run (azote)\n"
"  --uid UID, --gid GID     the identity it runs as\n"
"  --chroot-base-dir DIR    where chroots go (default " JAILER_DEFAULT_BASE ")\n"
"  --netns PATH             join this network namespace (/var/run/netns/NAME)\n"
"  --daemonize              detach: a new session, stdin/out/err on /dev/null\n"
"  --new-pid-ns             run in a new PID namespace; the jailer writes the\n"
"                           program's pid to <chroot>/<exec-file name>.pid\n"
"                           and exits\n"
"  --cgroup FILE=VALUE      write VALUE to FILE of the VM's cgroup\n"
"                           (e.g. cpu.max=\"50000 100000\"); repeatable\n"
"  --cgroup-version 1|2     the cgroup hierarchy to use (default 1)\n"
"  --parent-cgroup PATH     the VM's cgroup is PATH/ID (default: the exec\n"
"                           file's name)\n"
"  --resource-limit fsize=BYTES|no-file=N\n"
"                           resource limits (default no-file=2048); repeatable\n"
"  --help, -h, --version   (wherever they are before '--')\n"
"\n"
"Exit status: the program's, as the jailer becomes it; 1 when the command\n"
"line is refused or the jail cannot be made (nothing runs then). With\n"
"--new-pid-ns, 0 once the pid file is written; with --daemonize, 0 once\n"
"detached (a later failure is then said to /dev/null).\n";

enum {
	OPT_ID = 256, OPT_EXEC_FILE, OPT_UID, OPT_GID, OPT_CHROOT_BASE, OPT_NETNS,
	OPT_DAEMONIZE, OPT_NEW_PID_NS, OPT_CGROUP, OPT_CGROUP_VERSION, OPT_PARENT_CGROUP,
	OPT_RESOURCE_LIMIT, OPT_HELP, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "exec-file", required_argument, NULL, OPT_EXEC_FILE },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "chroot-base-dir", required_argument, NULL, OPT_CHROOT_BASE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "daemonize", no_argument, NULL, OPT_DAEMONIZE },
	{ "new-pid-ns", no_argument, NULL, OPT_NEW_PID_NS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "cgroup-version", required_argument, NULL, OPT_CGROUP_VERSION },
	{ "parent-cgroup", required_argument, NULL, OPT_PARENT_CGROUP },
	{ "resource-limit", required_argument, NULL, OPT_RESOURCE_LIMIT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

int jailer_id_check(const char *id, struct azerr *e)
{
	size_t n = strlen(id);

	if (n == 0 || n > JAILER_ID_MAX || strspn(id, "abcdefghijklmnopqrstuvwxyz"
						      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						      "0123456789-") != n)
		return azerr_set(e, "--id '%s': must be 1 to %d letters, digits or '-'", id,
				 JAILER_ID_MAX);
	return 0;
}

/* An option that takes one value may be given once. */
static int set_once(const char **dst, const char *arg, const char *opt, struct azerr *e)
{
	if (*dst)
		return azerr_set(e, "%s given twice ('%s', then '%s')", opt, *dst, arg);
	*dst = arg;
	return 0;
}

static int parse_id_number(const char *opt, const char *s, uint32_t *out, struct azerr *e)
{
	uint64_t v;

	/* (uid_t)-1 tells setresuid "unchanged": it cannot be an identity. */
	if (parse_uint(s, 0, UINT32_MAX - 1, &v))
		return azerr_set(e, "%s '%s': must be a number from 0 to %u", opt, s,
				 UINT32_MAX - 1);
	*out = (uint32_t)v;
	return 0;
}

static int parse_resource_limit(const char *s, struct jailer_args *a, struct azerr *e)
{
	const char *eq = strchr(s, '=');
	uint64_t v;

	if (!eq)
		return azerr_set(e, "--resource-limit '%s': must be fsize=BYTES or no-file=N", s);
	if (parse_uint(eq + 1, 0, UINT64_MAX, &v))
		return azerr_set(e, "--resource-limit '%s': '%s' is not a number", s, eq + 1);
	if (!strncmp(s, "fsize=", 6)) {
		a->has_fsize = true;
		a->fsize = v;
	} else if (!strncmp(s, "no-file=", 8)) {
		a->nofile = v;
	} else {
		return azerr_set(e, "--resource-limit '%s': unknown limit '%.*s' (fsize or "
				 "no-file)", s, (int)(eq - s), s);
	}
	return 0;
}

static int parse_cgroup(const char *s, struct jailer_args *a, struct azerr *e)
{
	struct cgroup_conf *c = &a->cgroup;

	if (c->n_props == CGROUP_MAX_PROPS)
		return azerr_set(e, "--cgroup '%s': at most %d --cgroup options", s,
				 CGROUP_MAX_PROPS);
	if (cgroup_prop_parse(s, &c->props[c->n_props], e) < 0)
		return -1;
	c->n_props++;
	return 0;
}

/* One option; -1 with e filled when it is wrong. */
static int parse_opt(int opt, const char *arg, struct jailer_args *a,
		     const char **uid, const char **gid, const char **version, struct azerr *e)
{
	switch (opt) {
	case OPT_ID:             return set_once(&a->id, arg, "--id", e);
	case OPT_EXEC_FILE:      return set_once(&a->exec_file, arg, "--exec-file", e);
	case OPT_UID:            return set_once(uid, arg, "--uid", e);
	case OPT_GID:            return set_once(gid, arg, "--gid", e);
	case OPT_CHROOT_BASE:    return set_once(&a->chroot_base, arg, "--chroot-base-dir", e);
	case OPT_NETNS:          return set_once(&a->netns, arg, "--netns", e);
	case OPT_CGROUP_VERSION: return set_once(version, arg, "--cgroup-version", e);
	case OPT_PARENT_CGROUP:  return set_once(&a->cgroup.parent, arg, "--parent-cgroup", e);
	case OPT_CGROUP:         return parse_cgroup(arg, a, e);
	case OPT_RESOURCE_LIMIT: return parse_resource_limit(arg, a, e);
	case OPT_DAEMONIZE:      a->daemonize = true; return 0;
	case OPT_NEW_PID_NS:     a->new_pid_ns = true; return 0;
	case OPT_HELP:           a->help = true; return 0;
	case OPT_VERSION:        a->version = true; return 0;
	default:                 return azerr_set(e, "unknown option (see --help)");
	}
}

/* What must be given, and the values checked once all are known. */
static int check_args(struct jailer_args *a, const char *uid, const char *gid,
		      const char *version, struct azerr *e)
{
	uint32_t v = 0;

	if (!a->id || !a->exec_file || !uid || !gid)
		return azerr_set(e, "missing --%s (see --help)",
				 !a->id ? "id" : !a->exec_file ? "exec-file" : !uid ? "uid" : "gid");
	if (jailer_id_check(a->id, e) < 0 ||
	    parse_id_number("--uid", uid, &v, e) < 0)
		return -1;
	a->uid = v;
	if (parse_id_number("--gid", gid, &v, e) < 0)
		return -1;
	a->gid = v;
	if (version && cgroup_version_parse(version, &a->cgroup.version, e) < 0)
		return -1;
	if (a->cgroup.parent && cgroup_parent_check(a->cgroup.parent, e) < 0)
		return -1;
	if (!*a->exec_file)
		return azerr_set(e, "--exec-file is empty");
	return 0;
}

void jailer_args_free(struct jailer_args *a)
{
	for (unsigned i = 0; i < a->cgroup.n_props; i++)
		free((char *)a->cgroup.props[i].file);
	a->cgroup.n_props = 0;
}

int jailer_args_parse(int argc, char **argv, struct jailer_args *a, struct azerr *e)
{
	const char *uid = NULL, *gid = NULL, *version = NULL;
	int opt, idx = 0;

	*a = (struct jailer_args){
		.chroot_base = NULL, .nofile = JAILER_DEFAULT_NOFILE,
		.cgroup = { .version = 1 },
	};
	switch (args_ask(argc, argv)) {
	case ARGS_HELP:
		a->help = true;
		return 0;
	case ARGS_VERSION:
		a->version = true;
		return 0;
	case ARGS_RUN:
		break;
	}
	optind = 0;
	opterr = 0;
	/* "+": stop at the first argument that is not an option; only "--"
	 * may end the options. */
	while ((opt = getopt_long(argc, argv, "+", long_opts, &idx)) != -1) {
		if (opt == '?')
			return args_refuse(argc, argv, optind, optopt, " (see --help)", e);
		/* As Firecracker's jailer, a value never begins with "--": in
		 * "--id --new-pid-ns" --id lacks its value. */
		if (optarg && !strncmp(optarg, "--", 2))
			return azerr_set(e, "option '--%s' needs a value, not '%s' (a value does "
					 "not begin with '--')", long_opts[idx].name, optarg);
		if (parse_opt(opt, optarg, a, &uid, &gid, &version, e) < 0)
			return -1;
	}
	if (optind < argc && strcmp(argv[optind - 1], "--"))
		return azerr_set(e, "unexpected argument '%s': the exec file's arguments go "
				 "after '--'", argv[optind]);
	a->extra = argv + optind;
	a->n_extra = argc - optind;
	if (!a->chroot_base)
		a->chroot_base = JAILER_DEFAULT_BASE;
	if (a->help || a->version)
		return 0;
	return check_args(a, uid, gid, version, e);
}
