/* Whole-or-nothing file writes: see atomic_file.h. */
#include "vmm/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary name: hidden, beside the path, unique to this process and
 * call. No random name (mkstemp): that would need getrandom under the
 * main thread's seccomp list, and O_EXCL already refuses anything there. */
static char *temp_name(const char *path)
{
	static unsigned counter;
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	char *tmp = NULL;

	if (asprintf(&tmp, "%.*s.%s.azote-tmp-%d-%u", dir_len, path,
		     slash ? slash + 1 : path, (int)getpid(), counter++) < 0)
		return NULL;
	return tmp;
}

/* A directory at path: the rename at the end would fail (EISDIR), after
 * everything was written; and a snapshot's memory file renamed by then
 * would be left beside a state file that failed. Said before anything is
 * written. lstat: a symbolic link there is replaced, not followed. */
static int refuse_directory(const char *path, struct azerr *e)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return azerr_set(e, "cannot write %s: %s", path, strerror(EISDIR));
	return 0;
}

int atomic_file_open(struct atomic_file *f, const char *path, struct azerr *e)
{
	f->fd = -1;
	f->tmp = NULL;
	f->path = NULL;
	if (refuse_directory(path, e) < 0)
		return -1;
	f->path = strdup(path);
	if (!f->path || !(f->tmp = temp_name(path))) {
		free(f->path);
		return azerr_set(e, "%s: out of memory", path);
	}
	/* These flags, exactly, are what the event loop's seccomp list
	 * allows openat (vmm/sandbox.c). */
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		azerr_set(e, "cannot write %s: %s (creating the temporary %s)", path,
			  strerror(errno), f->tmp);
		free(f->tmp);
		free(f->path);
		return -1;
	}
	return 0;
}

int atomic_file_write(struct atomic_file *f, const void *buf, size_t len, struct azerr *e)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(f->fd, p, len > (1u << 30) ? (1u << 30) : len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return azerr_set(e, "cannot write %s: %s", f->path,
					 n ? strerror(errno) : "the write wrote nothing");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void release(struct atomic_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
}

void atomic_file_abort(struct atomic_file *f)
{
	if (f->tmp)
		unlink(f->tmp);
	release(f);
}

/* The rename is only durable once the directory is: fsync it too. A
 * directory we cannot open for that (no read permission) is not worth
 * failing the write for: the data itself is synced. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : strdup(".");
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;  /* as above */

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int atomic_file_sync(struct atomic_file *f, struct azerr *e)
{
	/* Delayed allocation may report a full disk only here. */
	if (fsync(f->fd) < 0) {
		azerr_set(e, "cannot write %s (fsync): %s", f->path, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	int closed = close(f->fd);
	f->fd = -1;
	if (closed < 0) {
		azerr_set(e, "cannot write %s: %s", f->path, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	return 0;
}

int atomic_file_rename(struct atomic_file *f, struct azerr *e)
{
	if (rename(f->tmp, f->path) < 0) {
		azerr_set(e, "cannot rename to %s: %s", f->path, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	sync_dir(f->path);
	release(f);
	return 0;
}

int atomic_file_commit(struct atomic_file *f, struct azerr *e)
{
	return atomic_file_sync(f, e) < 0 ? -1 : atomic_file_rename(f, e);
}
