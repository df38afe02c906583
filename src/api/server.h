/* The API's transport: HTTP/1.1 on a Unix socket, served by libmicrohttpd
 * on a thread of its own. Each complete request goes to api_handle.
 *
 * Limits, so that a slow or hostile client cannot tie azote up:
 * - bodies larger than max_body are refused (400) without being read;
 * - a request must arrive whole within request_timeout_s of its headers;
 * - a connection idle for idle_timeout_s is closed;
 * - at most max_connections at once (further ones wait in the backlog);
 * - headers are bounded by libmicrohttpd's per-connection memory limit.
 * The socket is created mode 0600; a stale socket file (nobody listening)
 * is replaced, a live one is an error. */
#ifndef AZOTE_API_SERVER_H
#define AZOTE_API_SERVER_H

#include <stddef.h>

#include "api/api.h"
#include "common/err.h"

struct api_server_limits {
	size_t max_body;
	unsigned idle_timeout_s;
	unsigned request_timeout_s;
	unsigned max_connections;
};

/* Firecracker's default payload limit (--http-api-max-payload-size) and
 * micro_http's connection limit; timeouts generous enough for keep-alive
 * clients such as firecracker-go-sdk. */
#define API_DEFAULT_MAX_BODY        51200
#define API_DEFAULT_IDLE_TIMEOUT    60
#define API_DEFAULT_REQUEST_TIMEOUT 10
#define API_DEFAULT_MAX_CONNECTIONS 10

/* Firecracker's default is /run/firecracker.socket. */
#define API_DEFAULT_SOCKET "/run/azote.socket"

struct api_server;

/* limits: NULL for the defaults above. */
struct api_server *api_server_start(const char *sock_path, struct api *api,
				    const struct api_server_limits *limits,
				    struct azerr *e);
/* Stops serving (a request being handled completes first), closes the
 * socket and removes its file. NULL is fine. */
void api_server_stop(struct api_server *s);

#endif
