#include "cards/vhost/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

int vu_server_listen(const char *path, struct azerr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return azerr_set(e, "socket path %s is longer than %zu bytes", path,
				 sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	/* A socket left by an earlier run is ours to replace; anything else
	 * at that path is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return azerr_set(e, "%s exists and is not a socket", path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return azerr_set(e, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		azerr_set(e, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int vu_server_check_fd(int fd, struct azerr *e)
{
	int type;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return azerr_set(e, "--fd %d is not a stream socket", fd);
	return 0;
}

/* Serves one front-end; azote is one that seals its memory (see
 * vu_backend.seals_required). */
static void serve_one(const struct vu_device *dev, int sock, const char *name, bool azote)
{
	static struct vu_backend b;
	struct azerr e;

	vu_backend_init(&b, dev);
	b.seals_required = azote;
	log_info("%s: front-end connected", name);
	if (vu_backend_serve(&b, sock, name, &e))
		log_error("%s: %s; connection dropped", name, e.msg);
	else
		log_info("%s: front-end disconnected", name);
}

int vu_server_run(const struct vu_device *dev, int fd, int listen_fd,
		  const char *path, struct azerr *e)
{
	if (listen_fd < 0) {
		char name[32];
		snprintf(name, sizeof(name), "fd %d", fd);
		serve_one(dev, fd, name, true);
		return 0;
	}
	for (;;) {
		int s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return azerr_set(e, "accept on %s: %s", path, strerror(errno));
		}
		serve_one(dev, s, path, false);
		close(s);
	}
}
