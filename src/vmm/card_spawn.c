#include "vmm/card_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: puts the card's socket at JAIL_CARD_FD and execs. On
 * failure writes errno to the report pipe (close-on-exec, so a successful
 * exec closes it and the parent reads EOF).
 *
 * A card outlives no hypervisor: when azote ends, however it ends, the
 * kernel closes its end of the socketpair and the card exits on the
 * hang-up. (PR_SET_PDEATHSIG would tie the card to the thread that forked
 * it, not to azote.) The card never writes
 * on the guest's console: stdin is /dev/null and stdout goes to stderr.
 * It starts with no signal blocked: azote blocks its stop signals (read
 * from a signalfd), and an exec keeps the mask, which would make the
 * SIGTERM that ends a card that outlives its socket do nothing. */
static void child(char *const argv[], int card, const int *extra, unsigned nr_extra,
		  int report)
{
	int err = 0, moved[JAIL_MAX_EXTRA];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* First move everything above the fds we place, so that no dup2
	 * below lands on a descriptor still needed. */
	report = fcntl(report, F_DUPFD_CLOEXEC, 10);
	card = fcntl(card, F_DUPFD_CLOEXEC, 10);
	if (report < 0 || card < 0)
		_exit(127);
	for (unsigned i = 0; i < nr_extra; i++) {
		moved[i] = extra[i] >= 0 ? fcntl(extra[i], F_DUPFD_CLOEXEC, 10) : -1;
		if (extra[i] >= 0 && moved[i] < 0)
			_exit(127);
	}
	/* dup2 clears close-on-exec on the copies the card keeps. */
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
	    dup2(card, JAIL_CARD_FD) < 0)
		err = errno;
	for (unsigned i = 0; !err && i < nr_extra; i++)
		if (moved[i] >= 0 && dup2(moved[i], JAIL_EXTRA_FD + (int)i) < 0)
			err = errno;
	if (!err) {
		execv(argv[0], argv);
		err = errno;
	}
	(void)!write(report, &err, sizeof(err));
	_exit(127);
}

pid_t jail_spawn_card(char *const argv[], const int *extra, unsigned nr_extra, int *sock,
		      struct azerr *e)
{
	int sv[2], report[2], err = 0;
	pid_t pid;

	if (nr_extra > JAIL_MAX_EXTRA)
		return azerr_set(e, "%s: %u extra fds, at most %d", argv[0], nr_extra,
				 JAIL_MAX_EXTRA);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return azerr_set(e, "%s: socketpair: %s", argv[0], strerror(errno));
	if (pipe2(report, O_CLOEXEC) < 0) {
		azerr_set(e, "%s: pipe: %s", argv[0], strerror(errno));
		goto fail_sv;
	}
	pid = fork();
	if (pid < 0) {
		azerr_set(e, "%s: fork: %s", argv[0], strerror(errno));
		goto fail_pipe;
	}
	if (pid == 0)
		child(argv, sv[1], extra, nr_extra, report[1]);
	close(report[1]);
	close(sv[1]);
	ssize_t n;
	do {
		n = read(report[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n > 0) {
		waitpid(pid, NULL, 0);
		close(sv[0]);
		return azerr_set(e, "cannot run %s: %s", argv[0], strerror(err));
	}
	*sock = sv[0];
	return pid;
fail_pipe:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
fail_sv:
	close(sv[0]);
	close(sv[1]);
	return -1;
}
