/* Confining a card once it holds what it serves (its image or TAP, its
 * socket): a mount namespace of its own whose root is an empty read-only
 * tmpfs, its own IPC and UTS namespaces, and a uid and gid of its own with
 * no supplementary groups and no capabilities. From then on the host's
 * files, other VMs' images and every other process's IPC are out of its
 * sight, whatever seccomp lets through. Needs root (CAP_SYS_ADMIN,
 * CAP_SETUID, CAP_SETGID); azote asks for it only when it runs as root. */
#ifndef AZOTE_JAIL_CONFINE_H
#define AZOTE_JAIL_CONFINE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"

struct jail_identity {
	uid_t uid;
	gid_t gid;
};

/* nobody:nogroup, the identity azote gives its cards unless told. */
#define JAIL_IDENTITY_DEFAULT ((struct jail_identity){ 65534, 65534 })

/* Parses "UID" or "UID:GID" (numbers, 1..4294967294; the gid defaults
 * to the uid), the value of option opt. Root (0) is refused: a confined
 * card holds no privilege. */
int jail_identity_parse(const char *opt, const char *s, struct jail_identity *id,
			struct azerr *e);

/* Formats id as jail_identity_parse takes it; buf holds at least
 * JAIL_IDENTITY_STR_LEN bytes. */
#define JAIL_IDENTITY_STR_LEN 24
const char *jail_identity_format(const struct jail_identity *id, char *buf);

/* Confines the calling process as above. Call it before the process starts
 * a thread: a mount namespace cannot be unshared by one thread of many. */
int jail_confine(const struct jail_identity *id, struct azerr *e);

#endif
