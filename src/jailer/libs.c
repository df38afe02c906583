#include "jailer/libs.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common/clock.h"

/* What the loader may print for one program; far more than any has. */
#define LIST_MAX (64 * 1024)

unsigned libs_list_timeout_ms = 10000;

int elf_interp(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (len < sizeof(eh))
		return -1;
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(ph) ||
	    eh.e_phoff > len || eh.e_phnum > (len - eh.e_phoff) / sizeof(ph))
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, buf + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_INTERP)
			continue;
		/* The name, NUL included, lies in the file and fits out. */
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset || ph.p_filesz < 2 ||
		    ph.p_filesz > outlen)
			return -1;
		const char *name = (const char *)buf + ph.p_offset;
		if (memchr(name, '\0', ph.p_filesz) != name + ph.p_filesz - 1)
			return -1;
		memcpy(out, name, ph.p_filesz);
		return 1;
	}
	return 0;
}

int path_set_add(struct path_set *set, const char *path, size_t n, struct azerr *e)
{
	for (unsigned i = 0; i < set->n; i++)
		if (strlen(set->path[i]) == n && !memcmp(set->path[i], path, n))
			return 0;
	if (set->n == LIBS_MAX)
		return azerr_set(e, "more than %d shared libraries", LIBS_MAX);
	if (!(set->path[set->n] = strndup(path, n)))
		return azerr_set(e, "out of memory");
	set->n++;
	return 0;
}

/* One line of the list: "\tNAME => PATH (0x...)", "\tPATH (0x...)" or,
 * for the vDSO, "\tNAME (0x...)". */
static int parse_line(const char *line, size_t len, struct path_set *set, struct azerr *e)
{
	const char *arrow = memmem(line, len, " => ", 4);
	const char *p = line, *end = line + len;

	while (p < end && (*p == '\t' || *p == ' '))
		p++;
	if (p == end)
		return 0;
	if (arrow)
		p = arrow + 4;
	if (end - p >= 9 && !memcmp(p, "not found", 9))
		return azerr_set(e, "the loader cannot find %.*s", (int)(arrow - line), line);
	const char *addr = memmem(p, (size_t)(end - p), " (0x", 4);
	if (!addr)
		return azerr_set(e, "unexpected line from the loader: '%.*s'", (int)len, line);
	if (*p != '/')
		return arrow ? azerr_set(e, "the loader names a relative path: '%.*s'",
					 (int)len, line) : 0;
	return path_set_add(set, p, (size_t)(addr - p), e);
}

int libs_parse_list(const char *text, struct path_set *set, struct azerr *e)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (parse_line(text, len, set, e) < 0)
			return -1;
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

/* The interpreter named by exe; 0 when it has none. */
static int read_interp(const char *exe, char *interp, size_t len, struct azerr *e)
{
	int fd = open(exe, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		azerr_set(e, "cannot read %s: %s", exe, strerror(errno));
		goto fail;
	}
	void *map = st.st_size > 0 ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
				   : MAP_FAILED;
	if (map == MAP_FAILED) {
		azerr_set(e, "cannot map %s: %s", exe, st.st_size ? strerror(errno) : "empty file");
		goto fail;
	}
	int r = elf_interp(map, (size_t)st.st_size, interp, len);
	munmap(map, (size_t)st.st_size);
	close(fd);
	if (r < 0)
		return azerr_set(e, "%s is not a 64-bit ELF executable (or its interpreter "
				 "name is malformed)", exe);
	return r;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The loader runs as root, though without capabilities (drop_caps): it
 * is trusted only if only root could have put it there. */
static int check_loader(const char *interp, struct azerr *e)
{
	struct stat st;

	if (interp[0] != '/')
		return azerr_set(e, "interpreter %s is not an absolute path", interp);
	if (stat(interp, &st) < 0)
		return azerr_set(e, "interpreter %s: %s", interp, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return azerr_set(e, "interpreter %s is not a root-owned file only root can "
				 "write: not running it", interp);
	return 0;
}

/* What the loader runs with: the jailer's uid 0, so that no other uid may
 * ptrace, stop or signal it (as the VM's uid it could, and so add lines to
 * the list, or hang the jailer), but no capability: with empty bounding
 * and inheritable sets execve gives it none, and no_new_privs keeps it so.
 * It only reads, and only files root can read without privileges. */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = { 0 };

	for (int cap = 0; prctl(PR_CAPBSET_READ, cap) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap) < 0)
			return -1;
	return syscall(SYS_capset, &h, none) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ?
	       -1 : 0;
}

/* The child: the loader, listing, with an empty environment. exe is
 * opened first and the loader reads it through its fd, as the loader
 * could not open it once without capabilities, were a directory on its
 * path another user's. */
static void run_loader(const char *interp, const char *exe, int out)
{
	char self[32];
	char *argv[] = { (char *)interp, "--list", self, NULL };
	char *envp[] = { NULL };
	int fd = open(exe, O_RDONLY);

	if (fd < 0 || dup2(out, 1) < 0)
		_exit(126);
	/* Not root (a unit test), it has no capability to drop. */
	if (geteuid() == 0 && drop_caps() < 0)
		_exit(126);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	execve(interp, argv, envp);
	_exit(127);
}

/* Reads the child's output on fd into buf (NUL-terminated) until it ends
 * and the child has exited (its status in *status), libs_list_timeout_ms
 * at most: 0, or -1 with errno (EFBIG: the output does not fit;
 * ETIMEDOUT). */
static int collect(pid_t pid, int fd, char *buf, size_t size, int *status)
{
	uint64_t end = clock_us(CLOCK_MONOTONIC) + libs_list_timeout_ms * 1000ULL;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	size_t n = 0;
	int rc = -1;

	buf[0] = '\0';
	if (pidfd < 0)
		return -1;
	/* poll ignores an fd < 0: each is set so once done with. */
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		uint64_t now = clock_us(CLOCK_MONOTONIC);
		int r = now >= end ? 0 : poll(p, 2, (int)((end - now + 999) / 1000));
		ssize_t got;
		if (r == 0) {
			errno = ETIMEDOUT;
			goto out;
		}
		if (r < 0 && errno != EINTR)
			goto out;
		if (r > 0 && p[0].revents) {
			if ((got = read(fd, buf + n, size - 1 - n)) < 0 && errno != EINTR)
				goto out;
			if (got == 0)
				p[0].fd = -1;
			else if (got > 0 && (n += (size_t)got) == size - 1) {
				errno = EFBIG;
				goto out;
			}
			buf[n] = '\0';
		}
		if (r > 0 && p[1].revents)
			p[1].fd = -1;
	}
	rc = waitpid(pid, status, 0) < 0 ? -1 : 0;
out:
	close(pidfd);
	return rc;
}

/* A file the loader lists is bound into the jail only if it looks like
 * what the loader maps: an ELF shared object, a regular file of root's
 * only root can write (as the loader itself, check_loader), so that
 * nothing else of the host can get in, such as a library found through a
 * RUNPATH others can write to. Opened O_PATH first: no device is opened. */
static int check_lib(const char *path, struct azerr *e)
{
	char self[32];
	struct stat st;
	Elf64_Ehdr eh;
	int fd = open(path, O_PATH | O_CLOEXEC), rfd = -1;
	bool ok = false;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		rfd = open(self, O_RDONLY | O_CLOEXEC);
		ok = rfd >= 0 && pread(rfd, &eh, sizeof(eh), 0) == sizeof(eh) &&
		     !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_type == ET_DYN;
	}
	if (rfd >= 0)
		close(rfd);
	if (fd >= 0)
		close(fd);
	if (!ok)
		return azerr_set(e, "the loader lists %s, which is not an ELF shared object of "
				 "root's only root can write: not binding it", path);
	return 0;
}

static int list_libs(const char *interp, const char *exe, struct path_set *set,
		     struct azerr *e)
{
	int p[2], status, rc = -1;
	unsigned first = set->n;
	char *buf = malloc(LIST_MAX);

	if (!buf || pipe2(p, O_CLOEXEC) < 0) {
		free(buf);
		return azerr_set(e, "cannot list %s's libraries: %s", exe, strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0)
		run_loader(interp, exe, p[1]);
	close(p[1]);
	if (pid < 0) {
		azerr_set(e, "fork: %s", strerror(errno));
	} else if (collect(pid, p[0], buf, LIST_MAX, &status) < 0) {
		azerr_set(e, "%s --list %s: %s", interp, exe,
			  errno == ETIMEDOUT ? "no answer in time: killed" :
			  errno == EFBIG ? "output too long" : strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	} else if (!WIFEXITED(status)) {
		azerr_set(e, "%s --list %s: killed by signal %d", interp, exe, WTERMSIG(status));
	} else if (WEXITSTATUS(status)) {
		azerr_set(e, "%s --list %s failed (exit status %d)", interp, exe,
			  WEXITSTATUS(status));
	} else if (libs_parse_list(buf, set, e) == 0) {
		rc = 0;
		for (unsigned i = first; rc == 0 && i < set->n; i++)
			rc = check_lib(set->path[i], e);
	}
	close(p[0]);
	free(buf);
	return rc;
}

int libs_of(const char *exe, struct path_set *set, struct azerr *e)
{
	char interp[256];
	int r = read_interp(exe, interp, sizeof(interp), e);

	if (r <= 0)
		return r;
	if (check_loader(interp, e) < 0 || path_set_add(set, interp, strlen(interp), e) < 0)
		return -1;
	return list_libs(interp, exe, set, e);
}

void path_set_free(struct path_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		free(set->path[i]);
	set->n = 0;
}
