/* azote-jailer: starts azote (or any program) jailed, with Firecracker's
 * jailer's command line and order of work: everything that needs the host's
 * view (the files to copy, the libraries to bind, the network namespace,
 * cgroups) is done first, as root; then the chroot becomes the root of a
 * mount namespace of its own; then the process sets the resource limits,
 * drops to the VM's uid and gid and execs, with an empty environment and
 * only fds 0-2. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common/clock.h"
#include "jailer/args.h"
#include "jailer/cgroup.h"
#include "jailer/chroot.h"
#include "jailer/libs.h"

/* Start-up times passed on as Firecracker's jailer passes them: when the
 * jailer began (CLOCK_MONOTONIC, µs), and the CPU time the jailer's
 * processes used before the current one (a forked child's CPU clock
 * starts at zero). */
static uint64_t start_us, cpu_before_us;

/* fork, or clone with flags, counting the parent's CPU time in the child. */
static pid_t fork_counted(int flags)
{
	uint64_t cpu = clock_us(CLOCK_PROCESS_CPUTIME_ID);
	pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);

	if (pid == 0)
		cpu_before_us += cpu;
	return pid;
}

/* What the jail is built from, found while the host is still in sight. */
struct plan {
	char exec_path[PATH_MAX];
	char name[NAME_MAX + 1];       /* the exec file's name, in / of the jail */
	char base[PATH_MAX];           /* --chroot-base-dir, resolved */
	char dir[PATH_MAX];            /* the chroot */
	struct path_set bins;          /* the exec file, then its cards */
	struct path_set libs;
};

static int find_inputs(const struct jailer_args *a, struct plan *p, struct azerr *e)
{
	struct stat st;

	if (!realpath(a->exec_file, p->exec_path) || stat(p->exec_path, &st) < 0)
		return azerr_set(e, "--exec-file %s: %s", a->exec_file, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return azerr_set(e, "--exec-file %s is not a regular file", a->exec_file);
	snprintf(p->name, sizeof(p->name), "%s", strrchr(p->exec_path, '/') + 1);
	if (!realpath(a->chroot_base, p->base) || stat(p->base, &st) < 0)
		return azerr_set(e, "--chroot-base-dir %s: %s", a->chroot_base, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return azerr_set(e, "--chroot-base-dir %s is not a directory", a->chroot_base);
	if (path_set_add(&p->bins, p->exec_path, strlen(p->exec_path), e) < 0 ||
	    chroot_find_cards(p->exec_path, &p->bins, e) < 0)
		return -1;
	for (unsigned i = 0; i < p->bins.n; i++)
		if (libs_of(p->bins.path[i], &p->libs, e) < 0)
			return -1;
	return 0;
}

static int copy_bins(const struct jailer_args *a, const struct plan *p, int root_fd,
		     struct azerr *e)
{
	for (unsigned i = 0; i < p->bins.n; i++)
		if (chroot_copy_in(root_fd, p->bins.path[i], strrchr(p->bins.path[i], '/') + 1,
				   a->uid, a->gid, e) < 0)
			return -1;
	return 0;
}

/* --netns's file, opened before anything is made for the jail, so that a
 * wrong path leaves no chroot behind; an fd, or -1 with e set. */
static int open_netns(const char *path, struct azerr *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		azerr_set(e, "--netns %s: %s", path, strerror(errno));
	else if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		azerr_set(e, "--netns %s is not a network namespace", path);
		close(fd);
		fd = -1;
	}
	return fd;
}

static int join_netns(int fd, const char *path, struct azerr *e)
{
	int r = setns(fd, CLONE_NEWNET);

	close(fd);
	if (r < 0)
		return azerr_set(e, "--netns %s: cannot join: %s", path, strerror(errno));
	return 0;
}

static int set_limit(int resource, const char *what, uint64_t v, struct azerr *e)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };

	if (setrlimit(resource, &rl) < 0)
		return azerr_set(e, "--resource-limit %s=%llu: %s", what, (unsigned long long)v,
				 strerror(errno));
	return 0;
}

/* Detaches as a daemon does: the jailer's parent sees it end, the program
 * runs in a session of its own with no terminal. */
static int daemonize(int null_fd, struct azerr *e)
{
	for (int round = 0; round < 2; round++) {
		pid_t pid = fork_counted(0);
		if (pid < 0)
			return azerr_set(e, "--daemonize: fork: %s", strerror(errno));
		if (pid > 0)
			_exit(0);
		if (round == 0 && setsid() < 0)
			return azerr_set(e, "--daemonize: setsid: %s", strerror(errno));
	}
	if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		return azerr_set(e, "--daemonize: %s", strerror(errno));
	close(null_fd);
	return 0;
}

/* Makes /<name>.pid (inside the chroot), where Firecracker's jailer leaves
 * the pid of the process that runs the exec file in every case and
 * clients such as Kata read it; its fd. As Firecracker's, it makes the
 * file (create_new): one left by an earlier jail of the same --id is not
 * overwritten, so a client never reads a pid that is not this run's. It is
 * made before any child is, so that a jailer that stops here leaves none. */
static int open_pid_file(const char *name, struct azerr *e)
{
	char path[NAME_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "/%s.pid", name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		azerr_set(e, "cannot create %s in the chroot: %s%s", path, strerror(errno),
			  errno == EEXIST ? " (an earlier jail of this --id left it: remove the "
					    "jail, as Firecracker's jailer wants too)" : "");
	return fd;
}

/* Writes pid to the pid file open_pid_file made, and closes it; one it
 * could not write is removed, not left to stop the next run. */
static int write_pid_file(int fd, const char *name, pid_t pid, struct azerr *e)
{
	char path[NAME_MAX + 8];
	int ok = dprintf(fd, "%d", (int)pid) > 0;

	snprintf(path, sizeof(path), "/%s.pid", name);
	if (!ok) {
		azerr_set(e, "cannot write %s in the chroot: %s", path, strerror(errno));
		unlink(path);
	}
	close(fd);
	return ok ? 0 : -1;
}

/* Forks into a new PID namespace; the parent records the child's pid (as
 * the jailer's namespace sees it) and ends, as Firecracker's jailer does.
 * Should that fail, the child is killed: nothing runs that the jailer
 * reported as not started. */
static int enter_pid_ns(int pid_fd, const char *name, struct azerr *e)
{
	bool leader = getsid(0) == getpid();
	pid_t pid = fork_counted(CLONE_NEWPID);

	if (pid < 0)
		return azerr_set(e, "--new-pid-ns: clone: %s", strerror(errno));
	if (pid == 0) {
		close(pid_fd);
		return leader && setsid() < 0 ? azerr_set(e, "setsid: %s", strerror(errno)) : 0;
	}
	if (write_pid_file(pid_fd, name, pid, e) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "azote-jailer: %s\n", e->msg);
		_exit(1);
	}
	_exit(0);
}

/* Runs /<name> --id ID and Firecracker's jailer's three start-up times,
 * then the arguments after "--". */
static int exec_jailed(const struct jailer_args *a, const char *name, struct azerr *e)
{
	char path[NAME_MAX + 2], start[24], cpu[24], parent_cpu[24];
	char **argv = calloc((size_t)a->n_extra + 10, sizeof(*argv));
	char *envp[] = { NULL };
	uint64_t cpu_now = clock_us(CLOCK_PROCESS_CPUTIME_ID);

	if (!argv)
		return azerr_set(e, "out of memory");
	snprintf(path, sizeof(path), "/%s", name);
	snprintf(start, sizeof(start), "%llu", (unsigned long long)start_us);
	snprintf(cpu, sizeof(cpu), "%llu", (unsigned long long)cpu_now);
	snprintf(parent_cpu, sizeof(parent_cpu), "%llu",
		 (unsigned long long)(cpu_before_us + cpu_now));
	char *head[] = { path, "--id", (char *)a->id, "--start-time-us", start,
			 "--start-time-cpu-us", cpu, "--parent-cpu-time-us", parent_cpu };
	memcpy(argv, head, sizeof(head));
	memcpy(argv + 9, a->extra, (size_t)a->n_extra * sizeof(*argv));
	/* The limits are the program's: set last, as root (no-file may go
	 * above the hard limit), they cannot fail the jailer's own work. */
	if (set_limit(RLIMIT_NOFILE, "no-file", a->nofile, e) < 0 ||
	    (a->has_fsize && set_limit(RLIMIT_FSIZE, "fsize", a->fsize, e) < 0))
		return -1;
	if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0 ||
	    setresuid(a->uid, a->uid, a->uid) < 0)
		return azerr_set(e, "cannot become %u:%u: %s", (unsigned)a->uid, (unsigned)a->gid,
				 strerror(errno));
	execve(path, argv, envp);
	return azerr_set(e, "cannot run %s in the chroot: %s", path, strerror(errno));
}

static int jail(struct jailer_args *a, struct plan *p, struct azerr *e)
{
	int root_fd = -1, null_fd = -1, pid_fd, netns_fd = -1;

	if (geteuid() != 0)
		return azerr_set(e, "must run as root (it makes device nodes, mounts and "
				 "changes identity)");
	if (find_inputs(a, p, e) < 0 ||
	    (a->netns && (netns_fd = open_netns(a->netns, e)) < 0) ||
	    chroot_make(p->base, p->name, a->id, p->dir, sizeof(p->dir), &root_fd, e) < 0)
		return -1;
	if (!a->cgroup.parent)
		a->cgroup.parent = p->name;
	a->cgroup.id = a->id;
	int uffd_minor = chroot_uffd_minor();
	int copied = copy_bins(a, p, root_fd, e);
	close(root_fd);
	if (copied < 0 ||
	    (a->netns && join_netns(netns_fd, a->netns, e) < 0) ||
	    cgroup_apply(&a->cgroup, "/proc/mounts", getpid(), e) < 0)
		return -1;
	if (a->daemonize && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return azerr_set(e, "/dev/null: %s", strerror(errno));
	if (chroot_enter(p->dir, &p->libs, e) < 0 ||
	    chroot_populate(a->uid, a->gid, uffd_minor, e) < 0)
		return -1;
	if ((a->daemonize && daemonize(null_fd, e) < 0) ||
	    (pid_fd = open_pid_file(p->name, e)) < 0 ||
	    (a->new_pid_ns ? enter_pid_ns(pid_fd, p->name, e) :
			     write_pid_file(pid_fd, p->name, getpid(), e)) < 0)
		return -1;
	return exec_jailed(a, p->name, e);
}

int main(int argc, char **argv)
{
	struct jailer_args a;
	struct azerr e;
	static struct plan p;

	start_us = clock_us(CLOCK_MONOTONIC);
	/* Nothing the caller left open reaches the jail: where that cannot
	 * be made sure of (a kernel before 5.9, a seccomp profile that
	 * refuses close_range), nothing is jailed, as Firecracker's jailer
	 * refuses ("Failed to sanitize the Jailer process"). */
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0) {
		fprintf(stderr, "azote-jailer: cannot close the file descriptors it was "
			"given (close_range: %s): nothing jailed\n", strerror(errno));
		return 1;
	}
	/* An fd of 0-2 the caller closed is opened on /dev/null (as Rust's
	 * runtime does for Firecracker): else the program's first open (guest
	 * memory, /dev/kvm) would become its stdin, stdout or stderr. open
	 * takes the lowest free fd, which is this one. */
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
			fprintf(stderr, "azote-jailer: cannot open /dev/null on fd %d, which it "
				"was given closed: %s\n", fd, strerror(errno));
			return 1;
		}
	}
	if (jailer_args_parse(argc, argv, &a, &e) < 0) {
		fprintf(stderr, "azote-jailer: %s\n", e.msg);
		jailer_args_free(&a);
		return 1;
	}
	if (a.help) {
		fputs(jailer_usage, stdout);
		return 0;
	}
	if (a.version) {
		printf("azote-jailer %s\n", AZOTE_VERSION);
		return 0;
	}
	/* jail() returns only when it failed: it ends in exec. */
	jail(&a, &p, &e);
	fprintf(stderr, "azote-jailer: %s\n", e.msg);
	jailer_args_free(&a);
	path_set_free(&p.bins);
	path_set_free(&p.libs);
	return 1;
}
