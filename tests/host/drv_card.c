#include "drv_card.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail/spawn.h"

pid_t drv_spawn_card(char **argv, int *sock)
{
	struct azerr e;

	for (char **a = argv; *a; a++)
		if (!strcmp(*a, "{fd}"))
			*a = "3";
	/* A stray inheritable fd, as a careless parent would leak it. */
	int stray = open("/proc/self/status", O_RDONLY);
	pid_t pid = jail_spawn_card(argv, -1, sock, &e);
	if (stray >= 0)
		close(stray);
	if (pid < 0) {
		fprintf(stderr, "%s\n", e.msg);
		exit(2);
	}
	return pid;
}

pid_t drv_connect(struct vu_frontend *fe, char **args, const char *socket_path,
		  int timeout_ms)
{
	char **card = NULL;
	pid_t pid = 0;
	struct azerr e;
	int sock, r;

	for (char **a = args; *a; a++)
		if (!strcmp(*a, "--")) {
			*a = NULL;
			card = a + 1;
			break;
		}
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
