#include "jailer/chroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* mkdir that accepts an existing directory. */
static int mkdir_at(int dfd, const char *name, mode_t mode)
{
	return mkdirat(dfd, name, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* Opens the directory rel (components separated by '/') under dfd,
 * creating missing ones, following no symbolic link; -1 with errno. */
static int open_dirs(int dfd, const char *rel)
{
	char comp[NAME_MAX + 1];
	int fd = dup(dfd);

	while (fd >= 0 && *rel) {
		size_t n = strcspn(rel, "/");
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		rel += n + (rel[n] == '/');
		if (n == 0)
			continue;
		int next = mkdir_at(fd, comp, 0755) < 0 ? -1 :
			   openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

int chroot_make(const char *base, const char *name, const char *id, char *dir, size_t len,
		int *root_fd, struct azerr *e)
{
	char rel[PATH_MAX];
	int base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (base_fd < 0)
		return azerr_set(e, "--chroot-base-dir %s: %s", base, strerror(errno));
	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s/root", name, id) >= sizeof(rel) ||
	    (size_t)snprintf(dir, len, "%s/%s", base, rel) >= len) {
		close(base_fd);
		return azerr_set(e, "chroot path under %s is too long", base);
	}
	*root_fd = open_dirs(base_fd, rel);
	close(base_fd);
	if (*root_fd < 0)
		return azerr_set(e, "cannot create %s: %s (a symbolic link on the way is "
				 "refused)", dir, strerror(errno));
	return 0;
}

/* Why a file of the chroot could not be opened for writing: with O_NONBLOCK
 * a FIFO (or socket) there fails ENXIO, which strerror does not say. */
static const char *open_fault(int err)
{
	return err == ENXIO ? "a FIFO or socket is there" : strerror(err);
}

static int copy_fd(int in, int out, off_t size)
{
	off_t off = 0;

	while (off < size) {
		ssize_t n = sendfile(out, in, &off, (size_t)(size - off));
		if (n <= 0)
			return n < 0 ? -1 : (errno = EIO, -1);
	}
	return 0;
}

int chroot_copy_in(int root_fd, const char *src, const char *name, uid_t uid, gid_t gid,
		   struct azerr *e)
{
	struct stat in_st, out_st;
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;

	if (in < 0 || fstat(in, &in_st) < 0) {
		azerr_set(e, "cannot read %s: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(in_st.st_mode)) {
		azerr_set(e, "%s is not a regular file", src);
		goto out;
	}
	/* No O_TRUNC: the checks come before anything is written. O_NONBLOCK:
	 * a FIFO left there would block the open forever (it fails ENXIO). */
	out = openat(root_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		     0700);
	if (out < 0 || fstat(out, &out_st) < 0) {
		azerr_set(e, "cannot create %s in the chroot: %s", name, open_fault(errno));
		goto out;
	}
	if (!S_ISREG(out_st.st_mode) || out_st.st_nlink != 1) {
		azerr_set(e, "%s in the chroot is not a regular file with one link: not "
			  "writing over it", name);
		goto out;
	}
	if (ftruncate(out, 0) < 0 || copy_fd(in, out, in_st.st_size) < 0 ||
	    fchown(out, uid, gid) < 0 || fchmod(out, in_st.st_mode & 07777 & ~(mode_t)06000) < 0) {
		azerr_set(e, "cannot copy %s into the chroot: %s", src, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	return rc;
}

int chroot_find_cards(const char *exec_path, struct path_set *cards, struct azerr *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *slash = strrchr(exec_path, '/');
	size_t dlen = slash ? (size_t)(slash - exec_path) : 0;
	const size_t plen = strlen(CHROOT_CARD_PREFIX);
	int rc = 0;

	if (dlen >= sizeof(dir))
		return azerr_set(e, "%s: path too long", exec_path);
	memcpy(dir, exec_path, dlen);
	dir[dlen] = '\0';
	DIR *d = opendir(dlen ? dir : "/");
	if (!d)
		return azerr_set(e, "cannot list %s: %s", dir, strerror(errno));
	for (struct dirent *de; rc == 0 && (de = readdir(d));) {
		struct stat st;
		if (strncmp(de->d_name, CHROOT_CARD_PREFIX, plen) || !de->d_name[plen])
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		/* path_set_add skips the exec file, should it be a card itself. */
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR))
			rc = path_set_add(cards, path, strlen(path), e);
	}
	closedir(d);
	return rc;
}

/* Binds the host file src, read-only, at the same path under root_fd. */
static int bind_lib(int root_fd, const char *src, struct azerr *e)
{
	char rel_dir[PATH_MAX], target[64];
	const char *base = strrchr(src, '/') + 1;
	size_t dlen = (size_t)(base - src);
	int dir = -1, file = -1, rc = -1;
	struct stat st;

	if (dlen >= sizeof(rel_dir))
		return azerr_set(e, "%s: path too long", src);
	memcpy(rel_dir, src, dlen);
	rel_dir[dlen] = '\0';
	dir = open_dirs(root_fd, rel_dir);
	/* What a reused jail holds there must be a regular file; O_NONBLOCK, as
	 * a FIFO would block the open forever. */
	if (dir < 0 || (file = openat(dir, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				      O_CLOEXEC, 0444)) < 0 || fstat(file, &st) < 0) {
		azerr_set(e, "cannot make a mount point for %s in the chroot: %s", src,
			  open_fault(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		azerr_set(e, "cannot make a mount point for %s in the chroot: something other "
			  "than a regular file is there", src);
		goto out;
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", file);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0) {
		azerr_set(e, "cannot bind %s into the chroot: %s", src, strerror(errno));
		goto out;
	}
	/* The fd names the file under the mount; the remount needs the mount. */
	close(file);
	file = openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", file);
	if (file < 0 || mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID |
			      MS_NODEV, NULL) < 0) {
		azerr_set(e, "cannot make %s read-only in the chroot: %s", src, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (file >= 0)
		close(file);
	if (dir >= 0)
		close(dir);
	return rc;
}

int chroot_enter(const char *dir, const struct path_set *libs, struct azerr *e)
{
	static const char old[] = "old_root";
	int root_fd;

	if (unshare(CLONE_NEWNS) < 0)
		return azerr_set(e, "unshare(CLONE_NEWNS): %s", strerror(errno));
	/* Host mounts still reach us; ours never reach the host. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return azerr_set(e, "cannot make the mounts slaves: %s", strerror(errno));
	/* pivot_root wants the new root to be a mount point; and only an fd
	 * opened in this namespace can be mounted on in it. */
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    (root_fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return azerr_set(e, "cannot bind %s onto itself: %s", dir, strerror(errno));
	for (unsigned i = 0; i < libs->n; i++) {
		if (bind_lib(root_fd, libs->path[i], e) < 0) {
			close(root_fd);
			return -1;
		}
	}
	int r = fchdir(root_fd);
	close(root_fd);
	/* As Firecracker's jailer, old_root is made, never taken: one already
	 * there is not the jailer's (a tenant's link, say). */
	if (r < 0 || mkdir(old, 0700) < 0)
		return azerr_set(e, "cannot make %s/%s: %s%s", dir, old, strerror(errno),
				 errno == EEXIST ? " (remove it: the jailer makes it itself)" : "");
	if (syscall(SYS_pivot_root, ".", old) < 0 || chdir("/") < 0 ||
	    umount2(old, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 || rmdir(old) < 0)
		return azerr_set(e, "cannot make %s the root (the host's root on /%s): %s", dir,
				 old, strerror(errno));
	return 0;
}

/* Opens the directory name under dfd (path, for messages), made if missing,
 * mode 0700, owned by uid:gid. A reused jail's tenant owns its root and may
 * have put anything at that name: a symbolic link, or a file moved there
 * (a hard link of a host file, such as the kernel a client linked in); it
 * is refused, not changed. The fd is the directory's. */
static int own_dir(int dfd, const char *name, const char *path, uid_t uid, gid_t gid,
		   struct azerr *e)
{
	int fd = mkdir_at(dfd, name, 0700) < 0 ? -1 :
		 openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && fchmod(fd, 0700) == 0 && fchown(fd, uid, gid) == 0)
		return fd;
	azerr_set(e, "cannot make %s in the chroot: %s%s", path, strerror(errno),
		  errno == ENOTDIR || errno == ELOOP ? " (something other than a directory "
						     "is there: refused)" : "");
	if (fd >= 0)
		close(fd);
	return -1;
}

static bool same_node(const struct stat *st, dev_t dev)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == dev && st->st_nlink == 1;
}

/* Makes the device node name in dir (path, for messages), mode 0600,
 * owned by uid:gid. A node a reused jail holds is made anew, which resets
 * its mode and owner; it must be the same device with one link (another
 * link could be another jail's node), anything else there is refused. */
static int own_node(int dir, const char *name, const char *path, unsigned major,
		    unsigned minor, uid_t uid, gid_t gid, struct azerr *e)
{
	struct stat st;
	dev_t dev = makedev(major, minor);
	int fd = -1, rc = -1;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!same_node(&st, dev)) {
			errno = EEXIST;
			goto out;
		}
		if (unlinkat(dir, name, 0) < 0)
			goto out;
	} else if (errno != ENOENT) {
		goto out;
	}
	if (mknodat(dir, name, S_IFCHR | 0600, dev) < 0 ||
	    (fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		goto out;
	/* Checked again through the fd: uid owns dir and may have swapped
	 * the name since mknodat. */
	if (!same_node(&st, dev)) {
		errno = EEXIST;
		goto out;
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == 0)
		rc = 0;
out:
	if (rc < 0)
		azerr_set(e, "cannot create %s (%u:%u) in the chroot: %s", path, major, minor,
			  errno == EEXIST ? "something else is there (only that device, with "
					    "one link, is replaced)" : strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int chroot_populate(uid_t uid, gid_t gid, int uffd_minor, struct azerr *e)
{
	enum { ROOT, DEV, NET, RUN, N_DIRS };
	int d[N_DIRS] = { -1, -1, -1, -1 }, rc = -1;

	if ((d[ROOT] = own_dir(AT_FDCWD, "/", "/", uid, gid, e)) < 0 ||
	    (d[DEV] = own_dir(d[ROOT], "dev", "/dev", uid, gid, e)) < 0 ||
	    (d[NET] = own_dir(d[DEV], "net", "/dev/net", uid, gid, e)) < 0 ||
	    (d[RUN] = own_dir(d[ROOT], "run", "/run", uid, gid, e)) < 0 ||
	    own_node(d[DEV], "kvm", "/dev/kvm", 10, 232, uid, gid, e) < 0 ||
	    own_node(d[NET], "tun", "/dev/net/tun", 10, 200, uid, gid, e) < 0 ||
	    own_node(d[DEV], "urandom", "/dev/urandom", 1, 9, uid, gid, e) < 0 ||
	    own_node(d[DEV], "null", "/dev/null", 1, 3, uid, gid, e) < 0 ||
	    (uffd_minor >= 0 && own_node(d[DEV], "userfaultfd", "/dev/userfaultfd", 10,
					 (unsigned)uffd_minor, uid, gid, e) < 0))
		goto out;
	rc = 0;
out:
	for (int i = 0; i < N_DIRS; i++)
		if (d[i] >= 0)
			close(d[i]);
	return rc;
}

int chroot_uffd_minor(void)
{
	char line[128];
	int minor = -1, m;
	FILE *f = fopen("/proc/misc", "re");

	if (!f)
		return -1;
	while (minor < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%d userfaultfd", &m) == 1 && strstr(line, " userfaultfd\n"))
			minor = m;
	fclose(f);
	return minor;
}
