/* The jail's filesystem: a chroot directory holding the program, its cards
 * and, bound read-only, the libraries they load, made the root of a mount
 * namespace of its own with the host's root detached, then given the few
 * device nodes a VM needs. Every path inside the chroot is walked without
 * following symbolic links: the chroot may be one an earlier jailed (and
 * perhaps compromised) process has written in, and a link it left there
 * must not lead the jailer, still root and still seeing the host, out. */
#ifndef AZOTE_JAILER_CHROOT_H
#define AZOTE_JAILER_CHROOT_H

#include <sys/types.h>

#include "common/err.h"
#include "jailer/libs.h"

/* Creates DIR = <base>/<name>/<id>/root (missing levels mode 0755) and
 * opens it into *root_fd. base must exist. */
int chroot_make(const char *base, const char *name, const char *id, char *dir, size_t len,
		int *root_fd, struct azerr *e);

/* Copies the executable src to /<name> of the chroot, owned by uid:gid
 * with src's mode. An existing /<name> must be a regular file with one
 * link (a hard link could be a host file's other name). */
int chroot_copy_in(int root_fd, const char *src, const char *name, uid_t uid, gid_t gid,
		   struct azerr *e);

/* The prefix of the card programs azote runs: "azote-card-<kind>", from
 * the directory of its own executable (card_path, src/vmm/vhost_dev.c),
 * whatever name that executable has. */
#define CHROOT_CARD_PREFIX "azote-card-"

/* Adds to set each executable beside exec_path named CHROOT_CARD_PREFIX*. */
int chroot_find_cards(const char *exec_path, struct path_set *cards,
		      struct azerr *e);

/* In a new mount namespace (the caller's own from here on), whose mounts
 * no longer propagate to the host: binds each file of libs read-only at
 * its own path inside dir, then makes dir the root and detaches the old
 * one. The working directory is then the new root. */
int chroot_enter(const char *dir, const struct path_set *libs, struct azerr *e);

/* Inside the new root: /, /dev, /dev/net and /run owned by uid:gid, mode
 * 0700, and the device nodes a VM and its cards open, owned by uid:gid,
 * mode 0600: kvm, net/tun, urandom, null, and userfaultfd when uffd_minor
 * is not negative. What a reused chroot holds there must be a directory,
 * or the same device node with one link (made anew), or it is refused. */
int chroot_populate(uid_t uid, gid_t gid, int uffd_minor, struct azerr *e);

/* The minor of the host's userfaultfd misc device, -1 without one. */
int chroot_uffd_minor(void);

#endif
