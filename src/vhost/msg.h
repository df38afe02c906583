/* vhost-user messages on the wire: one header, a payload whose size the
 * header gives, and file descriptors passed with SCM_RIGHTS on the first
 * byte. Receiving validates the framing; vu_msg_check validates a message
 * against what its request type allows (payload size, fd count), so that
 * the server and the client dispatch only well-formed messages. */
#ifndef AZOTE_VHOST_MSG_H
#define AZOTE_VHOST_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "vhost/protocol.h"

struct vu_msg {
	struct vhost_user_header hdr;
	union vhost_user_payload p;
	int fds[VHOST_USER_MAX_FDS];
	unsigned nfds;
};

/* Name of a request for messages ("SET_MEM_TABLE"), "request N" if
 * unknown. The buffer form is thread-safe. */
const char *vu_request_name(uint32_t req, char buf[32]);

/* Time the rest of a message may take once its first bytes arrived. */
#define VU_MSG_TAIL_MS 5000

/* Reads one message from sock into m, waiting at most timeout_ms (-1:
 * forever) for it to start and VU_MSG_TAIL_MS for the rest. Returns 1 with
 * a message, 0 on orderly EOF before a header, -1 on errors: timeout,
 * short read, bad version, a payload larger than
 * any request allows (the stream cannot be resynchronised then), more fds
 * than VHOST_USER_MAX_FDS, out-of-band data (MSG_OOB). Received fds are close-on-exec; on error none
 * are left open. */
int vu_msg_recv(int sock, struct vu_msg *m, int timeout_ms, struct azerr *e);

/* Sends m (header, hdr.size payload bytes, m->nfds fds). */
int vu_msg_send(int sock, const struct vu_msg *m, struct azerr *e);

/* Checks that a request received by a back-end has the payload size and fd
 * count its type requires; unknown requests fail. */
int vu_msg_check_request(const struct vu_msg *m, struct azerr *e);

/* Checks that m is a well-formed reply to request req. */
int vu_msg_check_reply(const struct vu_msg *m, uint32_t req, struct azerr *e);

/* True for requests that always carry a reply (GET_*), so REPLY_ACK does
 * not apply to them. */
bool vu_request_has_reply(uint32_t req);

/* Parses raw bytes (as read from the socket) into m, then checks them as a
 * request, with nfds placeholder fds (-1). For tests and fuzzing the codec
 * without a socket. */
int vu_msg_parse(struct vu_msg *m, const void *buf, size_t len, unsigned nfds,
		 struct azerr *e);

/* Closes m's fds and forgets them. */
void vu_msg_close_fds(struct vu_msg *m);

#endif
