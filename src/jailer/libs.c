#include "jailer/libs.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* What the loader may print for one program; far more than any has. */
#define LIST_MAX (64 * 1024)

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

/* The loader runs as root only in the sense that the jailer is: it is
 * trusted only if only root could have put it there. */
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

/* The child: the loader, listing, as uid:gid with an empty environment.
 * uid may not be able to reach exe (a directory of mode 0700 on its path),
 * so exe is opened first and the loader reads it through its fd. */
static void run_loader(const char *interp, const char *exe, uid_t uid, gid_t gid, int out)
{
	char self[32];
	char *argv[] = { (char *)interp, "--list", self, NULL };
	char *envp[] = { NULL };
	int fd = open(exe, O_RDONLY);

	if (fd < 0 || dup2(out, 1) < 0)
		_exit(126);
	/* Not root (a unit test), there is no identity to change. */
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
			       setresuid(uid, uid, uid) < 0))
		_exit(126);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	execve(interp, argv, envp);
	_exit(127);
}

/* Reads the child's output into buf (NUL-terminated); -1 if it overflows. */
static int read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while ((r = read(fd, buf + n, size - 1 - n)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0 && (n += (size_t)r) == size - 1)
			return -1;
	buf[n] = '\0';
	return r < 0 ? -1 : 0;
}

static int list_libs(const char *interp, const char *exe, uid_t uid, gid_t gid,
		     struct path_set *set, struct azerr *e)
{
	int p[2], status, rc = -1;
	char *buf = malloc(LIST_MAX);

	if (!buf || pipe2(p, O_CLOEXEC) < 0) {
		free(buf);
		return azerr_set(e, "cannot list %s's libraries: %s", exe, strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0)
		run_loader(interp, exe, uid, gid, p[1]);
	close(p[1]);
	int overflow = pid > 0 ? read_all(p[0], buf, LIST_MAX) : 0;
	close(p[0]);
	if (pid < 0)
		azerr_set(e, "fork: %s", strerror(errno));
	else if (waitpid(pid, &status, 0) < 0)
		azerr_set(e, "%s --list %s: %s", interp, exe, strerror(errno));
	else if (!WIFEXITED(status))
		azerr_set(e, "%s --list %s: killed by signal %d", interp, exe, WTERMSIG(status));
	else if (WEXITSTATUS(status))
		azerr_set(e, "%s --list %s failed (exit status %d)", interp, exe,
			  WEXITSTATUS(status));
	else if (overflow)
		azerr_set(e, "%s --list %s: output too long", interp, exe);
	else
		rc = libs_parse_list(buf, set, e);
	free(buf);
	return rc;
}

int libs_of(const char *exe, uid_t uid, gid_t gid, struct path_set *set, struct azerr *e)
{
	char interp[256];
	int r = read_interp(exe, interp, sizeof(interp), e);

	if (r <= 0)
		return r;
	if (check_loader(interp, e) < 0 || path_set_add(set, interp, strlen(interp), e) < 0)
		return -1;
	return list_libs(interp, exe, uid, gid, set, e);
}

void path_set_free(struct path_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		free(set->path[i]);
	set->n = 0;
}
