#include "drv_card.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/card_spawn.h"

static struct card_stats *stats_page;
static int control_fd = -1;

/* A stats page as azote makes one for its cards: returns the fd to hand
 * over and keeps a read-only mapping for drv_card_stats. */
static int make_stats_page(void)
{
	int fd = memfd_create("vu-drv-stats", MFD_CLOEXEC);
	struct card_stats *s;

	if (stats_page)
		munmap(stats_page, CARD_STATS_SIZE);

	if (fd < 0 || ftruncate(fd, CARD_STATS_SIZE) < 0) {
		fprintf(stderr, "stats page: %s\n", strerror(errno));
		exit(2);
	}
	s = mmap(NULL, CARD_STATS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		fprintf(stderr, "stats page: %s\n", strerror(errno));
		exit(2);
	}
	s->magic = CARD_STATS_MAGIC;
	stats_page = s;
	return fd;
}

pid_t drv_spawn_card(char **argv, int *sock)
{
	static char card_fd[8], extra_fd[8], ctl_fd[8];
	struct azerr e;
	int extra[2] = { -1, -1 }, ctl[2];
	size_t n = 0;

	while (argv[n])
		n++;
	/* argv stays as it was, for a second card started from it. */
	char **args = calloc(n + 1, sizeof(*args));
	if (!args) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	snprintf(card_fd, sizeof(card_fd), "%d", JAIL_CARD_FD);
	snprintf(extra_fd, sizeof(extra_fd), "%d", JAIL_EXTRA_FD);
	snprintf(ctl_fd, sizeof(ctl_fd), "%d", JAIL_EXTRA_FD + 1);
	for (size_t i = 0; i < n; i++) {
		args[i] = argv[i];
		if (!strcmp(argv[i], "{fd}")) {
			args[i] = card_fd;
		} else if (!strcmp(argv[i], "{stats}")) {
			extra[0] = make_stats_page();
			args[i] = extra_fd;
		} else if (!strcmp(argv[i], "{ctl}")) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
				fprintf(stderr, "control socketpair: %s\n", strerror(errno));
				exit(2);
			}
			if (control_fd >= 0)
				close(control_fd);
			control_fd = ctl[0];
			extra[1] = ctl[1];
			args[i] = ctl_fd;
		}
	}
	/* A stray inheritable fd, as a careless parent would leak it. */
	int stray = open("/proc/self/status", O_RDONLY);
	pid_t pid = jail_spawn_card(args, extra, 2, sock, &e);
	free(args);
	if (stray >= 0)
		close(stray);
	for (int i = 0; i < 2; i++)
		if (extra[i] >= 0)
			close(extra[i]);
	if (pid < 0) {
		fprintf(stderr, "%s\n", e.msg);
		exit(2);
	}
	return pid;
}

const struct card_stats *drv_card_stats(void)
{
	return stats_page;
}

int drv_card_control(void)
{
	return control_fd;
}

char **drv_card_argv(char **args)
{
	for (char **a = args; *a; a++)
		if (!strcmp(*a, "--")) {
			*a = NULL;
			return a + 1;
		}
	return NULL;
}

pid_t drv_connect(struct vu_frontend *fe, char **card, const char *socket_path,
		  int timeout_ms)
{
	pid_t pid = 0;
	struct azerr e;
	int sock, r;

	if (card && *card) {
		pid = drv_spawn_card(card, &sock);
		r = vu_fe_attach(fe, sock, "card (socketpair)", timeout_ms, &e);
	} else if (socket_path) {
		r = vu_fe_connect(fe, socket_path, timeout_ms, &e);
	} else {
		r = azerr_set(&e, "give --socket PATH or -- CARD ARGS...");
	}
	if (r) {
		fprintf(stderr, "%s\n", e.msg);
		exit(2);
	}
	return pid;
}

unsigned drv_card_bad_fds(pid_t pid, bool (*allowed)(int fd, const char *target),
			  unsigned *total)
{
	char path[64], target[512];
	unsigned bad = 0;

	*total = 0;
	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		ssize_t l = readlink(path, target, sizeof(target) - 1);
		if (l < 0)
			continue;
		target[l] = 0;
		(*total)++;
		if (!allowed(fd, target)) {
			bad++;
			printf("  unexpected fd %d -> %s\n", fd, target);
		}
	}
	return bad;
}

bool drv_card_seccomp(pid_t pid)
{
	char path[64], line[256];
	bool filtered = false;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			filtered = strtol(line + 8, NULL, 10) == 2;
	if (f)
		fclose(f);
	return filtered;
}

struct vu_fe_vring drv_fe_vring(const struct drv_vq *q)
{
	return (struct vu_fe_vring){
		.num = q->num, .desc = (uint64_t)q->desc, .avail = (uint64_t)q->avail,
		.used = (uint64_t)q->used, .kickfd = q->kickfd, .callfd = q->callfd,
	};
}

int drv_set_mem_table(struct vu_frontend *fe, const struct drv_mem *m, struct azerr *e)
{
	const uint64_t base = (uint64_t)m->base;
	struct vu_fe_region r[DRV_NR_REGIONS] = {
		{ 0, 16 << 20, base, m->fd, 0 },
		{ 16 << 20, 16 << 20, base + (16 << 20), m->fd, 16 << 20 },
		{ DRV_HIGH_GPA, 32 << 20, base + (32 << 20), m->fd, 32 << 20 },
	};

	return vu_fe_set_mem_table(fe, r, DRV_NR_REGIONS, e);
}
