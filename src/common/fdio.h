/* Whole reads and writes on a file descriptor: read(2) and write(2) may
 * do less than asked (a signal, a pipe, a large request), so every caller
 * that wants all of it loops; here, once. */
#ifndef AZOTE_COMMON_FDIO_H
#define AZOTE_COMMON_FDIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

/* Reads until len bytes or end of file; returns how many were read (less
 * than len only at end of file), or -1 with errno set. */
ssize_t read_full(int fd, void *buf, size_t len);
/* read_full at offset off (pread: the file's position is not moved). */
ssize_t pread_full(int fd, void *buf, size_t len, off_t off);
/* Writes all len bytes at offset off (pwrite, short writes and EINTR
 * retried): 0, or -1 with errno set (ENOSPC for a write that wrote
 * nothing). */
int pwrite_full(int fd, const void *buf, size_t len, off_t off);
/* One write of buf to fd, made only if fd can take bytes now (poll, no
 * wait): a console or log sink that stopped draining (a full pipe, a
 * terminal on hold) costs the bytes, never the caller's thread, even on a
 * blocking fd it shares with other processes (stdout, stderr), whose
 * O_NONBLOCK it must not set. Returns what write(2) returned, or -1 with
 * errno EAGAIN when fd was not ready; EINTR is not retried. */
ssize_t write_now(int fd, const void *buf, size_t len);
/* path opened with flags (O_CLOEXEC added), which must be a regular file:
 * the fd (blocking), its size in *size; or -1 with "WHAT PATH: reason" in
 * e (what: "kernel", "diff file"). A FIFO or terminal is refused without
 * being waited on or taken as the caller's terminal. */
int open_regular(const char *path, int flags, const char *what, uint64_t *size,
		 struct azerr *e);
/* open_regular for a disk image: a block device will do too (its size is
 * not asked). */
int open_image(const char *path, int flags, const char *what, struct azerr *e);

#endif
