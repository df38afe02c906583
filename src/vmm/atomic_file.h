/* Writing a file so that its path holds either the old contents or the
 * whole new file, never a part: a temporary file in the same directory
 * (so the rename cannot cross filesystems), fsync'ed, renamed over the
 * path, then the directory fsync'ed so the rename itself survives a crash.
 * Used for snapshots, whose half-written file would be worse than none.
 *
 * Every error names the path and the system's reason ("No space left on
 * device"), and leaves no temporary file behind. */
#ifndef AZOTE_VMM_ATOMIC_FILE_H
#define AZOTE_VMM_ATOMIC_FILE_H

#include <stddef.h>

#include "common/err.h"

struct atomic_file {
	int fd;               /* the temporary file */
	char *path;           /* what it becomes */
	char *tmp;            /* its name until then */
};

/* Creates the temporary file for path (mode 0600: a snapshot holds the
 * guest's secrets). A directory at path, which the rename could not
 * replace, is refused here, before anything is written. */
int atomic_file_open(struct atomic_file *f, const char *path, struct azerr *e);
/* Appends len bytes (short writes and EINTR retried). */
int atomic_file_write(struct atomic_file *f, const void *buf, size_t len, struct azerr *e);
/* fsync, close, rename over the path, fsync the directory. On failure the
 * temporary file is removed and the path is left as it was. */
int atomic_file_commit(struct atomic_file *f, struct azerr *e);
/* atomic_file_commit in two halves, for a caller that writes two files
 * and wants whatever can fail about both to have failed before either
 * path changes: sync makes the temporary file whole on disk (fsync,
 * close; a full disk shows here), rename then puts it in place (and
 * fsyncs the directory). On failure, either removes the temporary file
 * and leaves the path as it was; after sync, only rename or abort. */
int atomic_file_sync(struct atomic_file *f, struct azerr *e);
int atomic_file_rename(struct atomic_file *f, struct azerr *e);
/* Removes the temporary file; the path is left as it was. */
void atomic_file_abort(struct atomic_file *f);

#endif
