#include "drv_card.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

pid_t drv_spawn_card(char **argv, int *sock)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "socketpair: %s\n", strerror(errno));
		exit(2);
	}
	int stray = open("/proc/self/status", O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(sv[1], 3);
		for (char **a = argv; *a; a++)
			if (!strcmp(*a, "{fd}"))
				*a = "3";
		execv(argv[0], argv);
		_exit(127);
	}
	close(stray);
	close(sv[1]);
	*sock = sv[0];
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
