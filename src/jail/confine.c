#include "jail/confine.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "common/size.h"

int jail_identity_parse(const char *opt, const char *s, struct jail_identity *id,
			struct azerr *e)
{
	char num[16];
	const char *colon = strchr(s, ':');
	uint64_t uid, gid;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	/* (uid_t)-1 means "unchanged" to setresuid; 0 is root. */
	if (n >= sizeof(num))
		goto bad;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_uint(num, 1, UINT32_MAX - 1, &uid))
		goto bad;
	gid = uid;
	if (colon && parse_uint(colon + 1, 1, UINT32_MAX - 1, &gid))
		goto bad;
	id->uid = (uid_t)uid;
	id->gid = (gid_t)gid;
	return 0;
bad:
	return azerr_set(e, "%s '%s': must be UID or UID:GID, numbers from 1 to %u "
			 "(root is refused)", opt, s, UINT32_MAX - 1);
}

const char *jail_identity_format(const struct jail_identity *id, char *buf)
{
	snprintf(buf, JAIL_IDENTITY_STR_LEN, "%u:%u", (unsigned)id->uid, (unsigned)id->gid);
	return buf;
}

/* Where the empty tmpfs is mounted before it becomes the root: any
 * directory will do, since the old root is detached right after. /proc is
 * on every Linux system, but not in azote-jailer's chroot (nor in
 * Firecracker's jailer's), where a card of an azote run as root (Kata gives
 * the jailer --uid 0) confines itself too: there /dev is. */
static const char *mount_dir(void)
{
	static const char *const dirs[] = { "/proc", "/dev", "/run" };
	struct stat st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (lstat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			return dirs[i];
	return NULL;
}

/* Makes an empty read-only tmpfs the root, the old root unreachable: the
 * tmpfs goes on a directory of the old root (mount_dir; in this namespace
 * only), becomes the root by pivot_root(".", "."), which stacks the old
 * root under it, and the old root is then detached. */
static int empty_root(struct azerr *e)
{
	const char *dir;

	/* Nothing we mount may reach the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return azerr_set(e, "cannot make the mounts private: %s", strerror(errno));
	if (!(dir = mount_dir()))
		return azerr_set(e, "cannot confine: the root has none of /proc, /dev, /run "
				 "to mount an empty tmpfs on");
	if (mount("azote-card", dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") < 0)
		return azerr_set(e, "cannot mount an empty tmpfs on %s: %s", dir,
				 strerror(errno));
	if (chdir(dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return azerr_set(e, "cannot make the empty tmpfs the root: %s", strerror(errno));
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return azerr_set(e, "cannot detach the old root: %s", strerror(errno));
	return 0;
}

int jail_confine(const struct jail_identity *id, struct azerr *e)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return azerr_set(e, "cannot enter new mount, IPC and UTS namespaces: %s",
				 strerror(errno));
	if (empty_root(e))
		return -1;
	/* Groups first: after setresuid we could no longer change them. Going
	 * from uid 0 to another uid clears every capability (no KEEPCAPS). */
	if (setgroups(0, NULL) < 0 || setresgid(id->gid, id->gid, id->gid) < 0 ||
	    setresuid(id->uid, id->uid, id->uid) < 0)
		return azerr_set(e, "cannot become uid %u gid %u: %s", (unsigned)id->uid,
				 (unsigned)id->gid, strerror(errno));
	/* Other processes of the same uid may not ptrace us or read our
	 * memory through /proc (the uid change already cleared it; say so). */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return azerr_set(e, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	return 0;
}
