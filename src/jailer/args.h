/* azote-jailer's command line: Firecracker's jailer options, spelled and
 * defaulted as Firecracker's jailer has them, so that a tool written for
 * it (firecracker-go-sdk, Kata, firecracker-containerd) drives this one
 * unchanged. Parsing only checks and records; src/jailer/main.c acts. */
#ifndef AZOTE_JAILER_ARGS_H
#define AZOTE_JAILER_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "jailer/cgroup.h"

/* Firecracker's instance ID rule: 1 to 64 letters, digits or '-'. */
#define JAILER_ID_MAX 64

/* Where chroots go unless --chroot-base-dir says otherwise. */
#define JAILER_DEFAULT_BASE "/srv/jailer"

/* Firecracker's default open-file limit for the jailed process. */
#define JAILER_DEFAULT_NOFILE 2048

struct jailer_args {
	const char *id;
	const char *exec_file;
	uid_t uid;
	gid_t gid;
	const char *chroot_base;
	const char *netns;         /* a netns file (/var/run/netns/NAME), or NULL */
	bool daemonize;
	bool new_pid_ns;
	struct cgroup_conf cgroup; /* parent NULL: the exec file's name */
	bool has_fsize;
	uint64_t fsize;            /* RLIMIT_FSIZE, bytes */
	uint64_t nofile;           /* RLIMIT_NOFILE */
	char **extra;              /* the arguments after "--", for the exec file */
	int n_extra;
	bool help;
	bool version;
};

extern const char jailer_usage[];

/* Parses argv into a (argv stays owned by the caller; a points into it).
 * With --help or --version nothing else is required. */
int jailer_args_parse(int argc, char **argv, struct jailer_args *a, struct azerr *e);

/* Releases what parsing allocated (the --cgroup copies). */
void jailer_args_free(struct jailer_args *a);

/* Checks an instance ID against Firecracker's rule. */
int jailer_id_check(const char *id, struct azerr *e);

#endif
