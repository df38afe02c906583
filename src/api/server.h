/* The API's transport: HTTP/1.1 on a Unix socket, served by libmicrohttpd
 * on a thread of its own. Each complete request goes to api_handle on the
 * owner's thread, not on the HTTP thread: the HTTP thread hands it over
 * (api_server_fd becomes readable; the owner calls api_server_serve) and
 * waits for the answer. So the thread that parses what clients send does
 * nothing else, and can be sandboxed tightly: with a sandbox hook, it
 * installs its sandbox as its first connection is accepted, before it
 * reads a byte.
 *
 * The path handed to api_handle is the request target as the client sent
 * it, as Firecracker routes (uri.h): not libmicrohttpd's percent-decoded
 * URL. A target holding a NUL byte, which libmicrohttpd would cut there,
 * or one that is not UTF-8, is refused (400) without reaching the API.
 *
 * Limits, so that a slow or hostile client cannot tie azote up:
 * - bodies larger than max_body are refused (400) without being read;
 * - a request line must arrive within idle_timeout_s of the connection's
 *   start or of its last answer, and the whole request within
 *   request_timeout_s of its request line, however the bytes trickle in
 *   (checked once a second on the owner's thread, in api_server_serve);
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
#define API_DEFAULT_LIMITS ((struct api_server_limits){				\
	.max_body = API_DEFAULT_MAX_BODY, .idle_timeout_s = API_DEFAULT_IDLE_TIMEOUT,	\
	.request_timeout_s = API_DEFAULT_REQUEST_TIMEOUT,				\
	.max_connections = API_DEFAULT_MAX_CONNECTIONS })

/* Firecracker's default is /run/firecracker.socket. */
#define API_DEFAULT_SOCKET "/run/azote.socket"

struct api_server;

/* limits: NULL for the defaults above. sandbox: run once on the HTTP
 * thread before it reads from its first connection (NULL: none); if it
 * fails, every request is refused (500). */
struct api_server *api_server_start(const char *sock_path, struct api *api,
				    const struct api_server_limits *limits,
				    int (*sandbox)(struct azerr *e), struct azerr *e);

/* Readable when a request waits for api_server_serve, or, while a
 * connection is open, once a second to check the deadlines above. */
int api_server_fd(const struct api_server *s);
/* Closes the connections past their deadline, then handles the waiting
 * request, if any, on the calling thread. */
void api_server_serve(struct api_server *s);

/* Stops serving (a request still waiting for api_server_serve is answered
 * 503), closes the socket and removes its file. Call it from the thread
 * that serves. NULL is fine. */
void api_server_stop(struct api_server *s);

#endif
