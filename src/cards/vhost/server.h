/* The socket side of a card: listen on a path and serve one front-end
 * after another, or serve the connected socket the card inherited (azote
 * starts its cards over a socketpair). Every card's main uses it. */
#ifndef AZOTE_CARDS_VHOST_SERVER_H
#define AZOTE_CARDS_VHOST_SERVER_H

#include "common/err.h"
#include "cards/vhost/backend.h"

/* Listens on path, replacing a socket an earlier run left there (but
 * nothing else). Returns the listening fd. */
int vu_server_listen(const char *path, struct azerr *e);

/* Checks that fd (--fd N) is a connected stream socket. */
int vu_server_check_fd(int fd, struct azerr *e);

/* Serves dev on the inherited socket fd until the front-end goes away
 * (listen_fd < 0; returns 0), or accepts front-ends on listen_fd one after
 * another, forever (returns -1 only when accept fails). path names the
 * socket in messages. The front-end on fd is azote's, which hands only
 * memory fds that can be sealed against shrinking: others are refused
 * there, and taken with a warning from one that connects (QEMU's
 * memory-backend-file has no seals). */
int vu_server_run(const struct vu_device *dev, int fd, int listen_fd,
		  const char *path, struct azerr *e);

#endif
