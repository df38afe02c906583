#include "api/server.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/uri.h"
#include "common/log.h"

/* One open connection, and by when the client must have sent what it
 * owes: the request line within the idle time of its start or of the last
 * answer, then the whole request within the request time. libmicrohttpd
 * only times out a connection that sends nothing, so a client trickling
 * its headers one byte at a time would keep its slot for ever. */
struct watched {
	struct watched *next, **pprev;
	int fd;
	uint64_t deadline_ms;  /* CLOCK_MONOTONIC; 0: azote's turn, none */
	bool shut;             /* past its deadline: shut down */
};

struct api_server {
	struct MHD_Daemon *daemon;
	struct api *api;
	struct api_server_limits lim;
	char *path;
	/* Requests handled whose response is not yet sent: an
	 * InstanceStart whose guest ends at once must still get its 204. */
	_Atomic int unsent;
	/* The hand-over to the serving thread: the HTTP thread queues a
	 * complete request (one at a time: it waits for the answer), says
	 * so on ready_fd, and waits on cond until api_server_serve, on the
	 * owner's thread, has handled it; or until the server closes. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready_fd;
	struct upload *queued;
	bool closing;
	/* The connections' deadlines (under lock), checked by
	 * api_server_serve on the owner's thread when tick_fd, a 1 s
	 * timer, fires: in poll_fd (what api_server_fd gives, with
	 * ready_fd) only while a connection is open. The HTTP thread cannot
	 * check them itself: libmicrohttpd calls it for no connection that
	 * sends nothing complete. A connection's fd is shut down under lock,
	 * and libmicrohttpd reports a connection closed before it closes its
	 * fd, so the fd shut is never another's. */
	struct watched *watched;
	int poll_fd, tick_fd;
	bool ticking;
	/* Installs the HTTP thread's sandbox, before its first connection
	 * is read; NULL: none. sandboxed: it ran (ok: it worked). Both
	 * belong to the HTTP thread. */
	int (*sandbox)(struct azerr *e);
	bool sandboxed, sandbox_ok;
};

/* One request being received, from its request line on. */
struct upload {
	/* The request target as the client sent it (uri.h), and where the
	 * copied string ended in libmicrohttpd's line (only compared). */
	char *target;
	const char *target_end;
	bool seen;        /* its headers have been looked at */
	/* Its target names no path (fault says why): its body is dropped
	 * and it is refused once read. */
	bool bad_target;
	struct azerr fault;
	char *buf;
	size_t len;
	bool handled;     /* complete: a response is on its way */
	struct timespec begun;
	bool too_big;
	bool answered;  /* refused from its headers alone */
	/* Handed over to api_server_serve: */
	const char *method, *path;
	struct api_response r;
};

/* ---- the socket ---- */

static int bind_addr(const char *path, struct sockaddr_un *sa,
		     struct azerr *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!*path)
		return azerr_set(e, "API socket path is empty");
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

/* A request refused before azote's API sees it; msg is azote's own text,
 * no client bytes, so it needs no JSON escaping. */
static enum MHD_Result send_fault(struct MHD_Connection *conn, int status,
				  const char *msg)
{
	char *body;

	log_info("API request failed: %s", msg);
	if (asprintf(&body, "{\"fault_message\":\"%s\"}", msg) < 0)
		return MHD_NO;
	return send_response(conn, status, body);
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

static uint64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* conn's deadline: secs from now, or none (0). */
static void set_deadline(struct api_server *s, struct MHD_Connection *conn, unsigned secs)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct watched *w = ci ? ci->socket_context : NULL;

	if (!w)
		return;
	pthread_mutex_lock(&s->lock);
	w->deadline_ms = secs ? now_ms() + secs * 1000ull : 0;
	pthread_mutex_unlock(&s->lock);
}

/* On the owner's thread: shuts down every connection past its deadline;
 * libmicrohttpd then reads its end and closes it. */
static void close_late(struct api_server *s)
{
	uint64_t ticks, now = now_ms();
	unsigned n = 0;

	if (read(s->tick_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("API: timer: %s", strerror(errno));
	pthread_mutex_lock(&s->lock);
	for (struct watched *w = s->watched; w; w = w->next) {
		if (!w->deadline_ms || w->shut || now < w->deadline_ms)
			continue;
		if (shutdown(w->fd, SHUT_RDWR) < 0)
			log_debug("API: shutdown: %s", strerror(errno));
		w->shut = true;
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	if (n)
		log_info("API: closing %u connection%s that did not send a request line "
			 "within %u s or a whole request within %u s of it", n,
			 n > 1 ? "s" : "", s->lim.idle_timeout_s, s->lim.request_timeout_s);
}

static double elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) +
	       (now.tv_nsec - since->tv_nsec) / 1e9;
}

/* The path u's target names (uri.h), or why it names none. The copy
 * on_request_line made ends at the target's first NUL: libmicrohttpd
 * 0.9.75 (Debian 12's, whose source this was read from) parses the
 * request line in place and ends the target with a NUL where the space
 * before the version was, so the version follows the copy's end directly
 * unless the client's target held a NUL of its own, which would cut it
 * short ("/drives/rootfs\0x" is not "rootfs"). Another version may lay the
 * line out otherwise, and then this test would refuse every request: it
 * is made only where that layout was read. */
static int target_path(struct upload *u, const char *version, struct azerr *e)
{
#if MHD_VERSION == 0x00097500
	if (version != u->target_end + 1)
		return azerr_set(e, "Invalid URI: a NUL byte is not allowed in "
				 "the request target.");
#else
	(void)version;
#endif
	return api_uri_path(u->target, &u->path, e);
}

/* The first call for a request: headers only. A Content-Length over the
 * limit is answered at once, before the body is read (nor acknowledged
 * with 100 Continue). A target that names no path is refused instead, as
 * micro_http refuses the request line first; but once the request is read,
 * since libmicrohttpd closes a connection answered before that, and a bad
 * target is no reason to lose the connection's next request. */
static enum MHD_Result begin(struct api_server *s, struct MHD_Connection *conn,
			     const char *version, struct upload *u)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;

	u->seen = true;
	clock_gettime(CLOCK_MONOTONIC, &u->begun);
	if (target_path(u, version, &u->fault)) {
		u->bad_target = true;
		return MHD_YES;
	}
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
	if (u->bad_target) {
		*size = 0;
		return MHD_YES;
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

/* Has the serving thread handle u, and waits for it. False if the server
 * closed first: the request was not handled. */
static bool hand_over(struct api_server *s, struct upload *u)
{
	static const uint64_t one = 1;
	bool done = false;

	pthread_mutex_lock(&s->lock);
	if (!s->closing) {
		s->queued = u;
		if (write(s->ready_fd, &one, sizeof(one)) < 0)
			log_warn("API: cannot wake the serving thread: %s",
				 strerror(errno));
		while (s->queued == u && !s->closing)
			pthread_cond_wait(&s->cond, &s->lock);
		done = s->queued != u;
		s->queued = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return done;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **req_cls)
{
	struct api_server *s = cls;
	struct upload *u = *req_cls;

	/* url is the target libmicrohttpd has cut at '?' and
	 * percent-decoded: not what Firecracker routes on (u->path is). */
	(void)url;
	if (!u)
		return MHD_NO;  /* on_request_line was out of memory */
	if (!u->seen)
		return begin(s, conn, version, u);
	if (*size)
		return receive(s, u, data, size);
	if (u->bad_target)
		return send_fault(conn, MHD_HTTP_BAD_REQUEST, u->fault.msg);
	if (u->too_big)
		return u->answered ? MHD_YES :
				     send_too_big(s, conn, NULL);
	if (s->sandbox && !s->sandbox_ok)
		return send_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				     strdup("{\"fault_message\":\"The API thread "
					    "could not be sandboxed.\"}"));
	u->method = method;
	/* azote's turn: the client owes nothing until the answer. */
	set_deadline(s, conn, 0);
	/* Counted from here, so that a server stopping waits for this
	 * answer, whichever it is, to be sent. */
	u->handled = true;
	atomic_fetch_add(&s->unsent, 1);
	if (!hand_over(s, u))
		return send_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				     strdup("{\"fault_message\":\"The API is "
					    "shutting down.\"}"));
	return send_response(conn, u->r.status, u->r.body);
}

int api_server_fd(const struct api_server *s)
{
	return s->poll_fd;
}

void api_server_serve(struct api_server *s)
{
	struct upload *u;
	uint64_t n;

	if (read(s->ready_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("API: %s", strerror(errno));
	close_late(s);
	pthread_mutex_lock(&s->lock);
	u = s->closing ? NULL : s->queued;
	pthread_mutex_unlock(&s->lock);
	if (!u)
		return;
	/* The HTTP thread waits for this request's answer; only it and
	 * the server's closing (on this thread) change queued. */
	api_handle(s->api, u->method, u->path, u->buf ? u->buf : "", u->len, &u->r);
	pthread_mutex_lock(&s->lock);
	s->queued = NULL;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* A new connection is watched: its request line is due within the idle
 * time; the owner's thread checks while any is open. */
static void watch(struct api_server *s, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct watched *w = ci ? calloc(1, sizeof(*w)) : NULL;

	if (!w) {
		log_warn("API: a connection without a deadline (out of memory)");
		return;
	}
	w->fd = ci->connect_fd;
	w->deadline_ms = now_ms() + s->lim.idle_timeout_s * 1000ull;
	pthread_mutex_lock(&s->lock);
	w->next = s->watched;
	w->pprev = &s->watched;
	if (w->next)
		w->next->pprev = &w->next;
	s->watched = w;
	if (!s->ticking && !epoll_ctl(s->poll_fd, EPOLL_CTL_ADD, s->tick_fd,
				      &(struct epoll_event){ .events = EPOLLIN }))
		s->ticking = true;
	pthread_mutex_unlock(&s->lock);
	*socket_context = w;
}

/* Before libmicrohttpd closes the connection's fd. */
static void unwatch(struct api_server *s, void **socket_context)
{
	struct watched *w = *socket_context;

	if (!w)
		return;
	pthread_mutex_lock(&s->lock);
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	if (!s->watched && s->ticking &&
	    !epoll_ctl(s->poll_fd, EPOLL_CTL_DEL, s->tick_fd, NULL))
		s->ticking = false;
	pthread_mutex_unlock(&s->lock);
	free(w);
	*socket_context = NULL;
}

/* A connection was accepted: the HTTP thread enters its sandbox before it
 * reads the first byte of the first one. */
static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct api_server *s = cls;
	struct azerr e;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		unwatch(s, socket_context);
		return;
	}
	if (s->sandbox && !s->sandboxed) {
		s->sandboxed = true;
		if (s->sandbox(&e) < 0)
			log_error("API: %s; requests are refused", e.msg);
		else
			s->sandbox_ok = true;
	}
	watch(s, conn, socket_context);
}

/* A request line has arrived: the rest of the request is due within the
 * request time. Its state starts here, where libmicrohttpd shows the
 * target as the client sent it: before it cuts the query off and
 * percent-decodes the rest in place (for on_request's url). NULL (out of
 * memory): on_request closes the connection. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct api_server *s = cls;
	struct upload *u = calloc(1, sizeof(*u));
	/* Never NULL in practice: libmicrohttpd refuses a line without a
	 * target (and so without a version) before it gets here. */
	const char *target = uri ? uri : "";

	set_deadline(s, conn, s->lim.request_timeout_s);
	if (!u || !(u->target = strdup(target))) {
		free(u);
		return NULL;
	}
	u->target_end = target + strlen(target);
	return u;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode why)
{
	struct upload *u = *req_cls;

	struct api_server *s = cls;

	(void)why;
	/* Answered (or given up): the next request line is due. */
	set_deadline(s, conn, s->lim.idle_timeout_s);
	if (u && u->handled)
		atomic_fetch_sub(&s->unsent, 1);
	if (u) {
		free(u->target);
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

static void free_server(struct api_server *s)
{
	if (s->ready_fd >= 0)
		close(s->ready_fd);
	if (s->poll_fd >= 0)
		close(s->poll_fd);
	if (s->tick_fd >= 0)
		close(s->tick_fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

struct api_server *api_server_start(const char *sock_path, struct api *api,
				    const struct api_server_limits *limits,
				    int (*sandbox)(struct azerr *e), struct azerr *e)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int fd;

	if (!s || !(s->path = strdup(sock_path))) {
		free(s);
		azerr_set(e, "out of memory");
		return NULL;
	}
	s->api = api;
	s->lim = limits ? *limits : API_DEFAULT_LIMITS;
	s->sandbox = sandbox;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->poll_fd = s->tick_fd = -1;
	s->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ready_fd < 0) {
		azerr_set(e, "API: eventfd: %s", strerror(errno));
		goto fail;
	}
	/* Armed once, here: no sandboxed thread may set a timer. */
	s->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->tick_fd < 0 || s->poll_fd < 0 ||
	    timerfd_settime(s->tick_fd, 0, &(struct itimerspec){ .it_interval = { 1, 0 },
								  .it_value = { 1, 0 } }, NULL) ||
	    epoll_ctl(s->poll_fd, EPOLL_CTL_ADD, s->ready_fd,
		      &(struct epoll_event){ .events = EPOLLIN })) {
		azerr_set(e, "API: timer: %s", strerror(errno));
		goto fail;
	}
	fd = listen_unix(sock_path, e);
	if (fd < 0)
		goto fail;
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s,
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
	free_server(s);
	return NULL;
}

void api_server_stop(struct api_server *s)
{
	if (!s)
		return;
	/* A request waiting for the serving thread (this one) would wait
	 * for ever: it is answered 503 instead. */
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* Let responses already decided reach their clients (bounded: a
	 * client that does not read must not hold azote's exit). */
	for (int i = 0; i < 1000 && atomic_load(&s->unsent) > 0; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	/* MHD closes the listen socket it was given. */
	MHD_stop_daemon(s->daemon);
	unlink(s->path);
	free_server(s);
}
