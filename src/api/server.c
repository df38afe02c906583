#include "api/server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

struct api_server {
	struct MHD_Daemon *daemon;
	struct api *api;
	struct api_server_limits lim;
	char *path;
	/* Requests handled whose response is not yet sent: an
	 * InstanceStart whose guest ends at once must still get its 204. */
	_Atomic int unsent;
};

/* One request being received. */
struct upload {
	char *buf;
	size_t len;
	bool handled;     /* api_handle ran: a response is on its way */
	struct timespec begun;
	bool too_big;
	bool answered;  /* refused from its headers alone */
};

/* ---- the socket ---- */

static int bind_addr(const char *path, struct sockaddr_un *sa,
		     struct azerr *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return azerr_set(e, "API socket path is longer than %zu "
				 "characters: %s", sizeof(sa->sun_path) - 1,
				 path);
	strcpy(sa->sun_path, path);
	return 0;
}

/* A socket file nobody listens on is left over from an earlier azote:
 * replace it. Anything else at that path is the user's and stays. */
static int remove_stale(const struct sockaddr_un *sa, struct azerr *e)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 :
			azerr_set(e, "API socket %s: %s", sa->sun_path,
				  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return azerr_set(e, "API socket %s: exists and is not a socket",
				 sa->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return azerr_set(e, "socket: %s", strerror(errno));
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (!ret)
		return azerr_set(e, "API socket %s: another process is serving "
				 "it", sa->sun_path);
	if (errno != ECONNREFUSED)
		return azerr_set(e, "API socket %s: %s", sa->sun_path,
				 strerror(errno));
	log_info("removing stale API socket %s", sa->sun_path);
	if (unlink(sa->sun_path) && errno != ENOENT)
		return azerr_set(e, "API socket %s: %s", sa->sun_path,
				 strerror(errno));
	return 0;
}

static int listen_unix(const char *path, struct azerr *e)
{
	struct sockaddr_un sa;
	int fd;

	if (bind_addr(path, &sa, e) || remove_stale(&sa, e))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return azerr_set(e, "socket: %s", strerror(errno));
	/* Only the owner may drive the VM: mode 0600 from the start (bind
	 * creates the file with the umask applied). */
	if (fchmod(fd, 0600) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		azerr_set(e, "API socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) || listen(fd, 16)) {
		azerr_set(e, "API socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* ---- requests ---- */

static enum MHD_Result send_response(struct MHD_Connection *conn, int status,
				     char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body ? strlen(body) : 0, body,
					       body ? MHD_RESPMEM_MUST_FREE :
						      MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, "azote API");
	if (body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* size: the Content-Length, NULL when the body came without one. */
static enum MHD_Result send_too_big(struct api_server *s,
				    struct MHD_Connection *conn,
				    const char *size)
{
	char *body;

	if (asprintf(&body, "{\"fault_message\":\"Request payload%s%s is "
		     "larger than the limit of %zu allowed by server.\"}",
		     size ? " with size " : "", size ? size : "",
		     s->lim.max_body) < 0)
		return MHD_NO;
	return send_response(conn, 400, body);
}

static double elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) +
	       (now.tv_nsec - since->tv_nsec) / 1e9;
}

/* The first call for a request: headers only. A Content-Length over the
 * limit is answered at once, before the body is read (nor acknowledged
 * with 100 Continue). */
static enum MHD_Result begin(struct api_server *s, struct MHD_Connection *conn,
			     void **req_cls)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct upload *u = calloc(1, sizeof(*u));
	char *end;

	if (!u)
		return MHD_NO;
	clock_gettime(CLOCK_MONOTONIC, &u->begun);
	*req_cls = u;
	/* libmicrohttpd has already refused malformed lengths; cl is
	 * digits, which the message can quote. */
	if (cl && strtoull(cl, &end, 10) > s->lim.max_body && !*end) {
		u->too_big = u->answered = true;
		return send_too_big(s, conn, cl);
	}
	return MHD_YES;
}

static enum MHD_Result receive(struct api_server *s, struct upload *u,
			       const char *data, size_t *size)
{
	char *nb;

	if (elapsed_s(&u->begun) > s->lim.request_timeout_s) {
		log_info("API: closing a connection whose request took over "
			 "%u s", s->lim.request_timeout_s);
		return MHD_NO;
	}
	/* Without a Content-Length (chunked), the limit shows only now;
	 * libmicrohttpd cannot answer in the middle of a body, so the rest
	 * is read and dropped (within the request timeout), then refused. */
	if (u->too_big || *size > s->lim.max_body - u->len) {
		u->too_big = true;
		*size = 0;
		return MHD_YES;
	}
	nb = realloc(u->buf, u->len + *size + 1);
	if (!nb)
		return MHD_NO;
	memcpy(nb + u->len, data, *size);
	u->buf = nb;
	u->len += *size;
	u->buf[u->len] = '\0';
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **req_cls)
{
	struct api_server *s = cls;
	struct upload *u = *req_cls;
	struct api_response r;

	(void)version;
	if (!u)
		return begin(s, conn, req_cls);
	if (*size)
		return receive(s, u, data, size);
	if (u->too_big)
		return u->answered ? MHD_YES :
				     send_too_big(s, conn, NULL);
	api_handle(s->api, method, url, u->buf ? u->buf : "", u->len, &r);
	u->handled = true;
	atomic_fetch_add(&s->unsent, 1);
	return send_response(conn, r.status, r.body);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode why)
{
	struct upload *u = *req_cls;

	struct api_server *s = cls;

	(void)conn;
	(void)why;
	if (u && u->handled)
		atomic_fetch_sub(&s->unsent, 1);
	if (u) {
		free(u->buf);
		free(u);
		*req_cls = NULL;
	}
}

/* libmicrohttpd's messages, at debug level (a bad client is not an
 * error of azote's). */
static void __attribute__((format(printf, 2, 0)))
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* ---- lifecycle ---- */

struct api_server *api_server_start(const char *sock_path, struct api *api,
				    const struct api_server_limits *limits,
				    struct azerr *e)
{
	static const struct api_server_limits defaults = {
		.max_body = API_DEFAULT_MAX_BODY,
		.idle_timeout_s = API_DEFAULT_IDLE_TIMEOUT,
		.request_timeout_s = API_DEFAULT_REQUEST_TIMEOUT,
		.max_connections = API_DEFAULT_MAX_CONNECTIONS,
	};
	struct api_server *s = calloc(1, sizeof(*s));
	int fd;

	if (!s || !(s->path = strdup(sock_path))) {
		free(s);
		azerr_set(e, "out of memory");
		return NULL;
	}
	s->api = api;
	s->lim = limits ? *limits : defaults;
	fd = listen_unix(sock_path, e);
	if (fd < 0)
		goto fail;
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, s->lim.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, s->lim.idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_END);
	if (!s->daemon) {
		azerr_set(e, "API socket %s: cannot start the HTTP server",
			  sock_path);
		close(fd);
		unlink(sock_path);
		goto fail;
	}
	log_info("API server listening on %s", sock_path);
	return s;
fail:
	free(s->path);
	free(s);
	return NULL;
}

void api_server_stop(struct api_server *s)
{
	if (!s)
		return;
	/* Let responses already decided reach their clients (bounded: a
	 * client that does not read must not hold azote's exit). */
	for (int i = 0; i < 1000 && atomic_load(&s->unsent) > 0; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	/* MHD closes the listen socket it was given. */
	MHD_stop_daemon(s->daemon);
	unlink(s->path);
	free(s->path);
	free(s);
}
