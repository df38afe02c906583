/*
 * fio: the benchmarks' check (bench/, metric fio), for the initramfs
 * variant that carries Debian's fio (build-initramfs.sh --fio; the tests'
 * initramfs has no fio, and there the check fails with error=no-fio).
 *
 * lg.fio= is fio's command line as a comma list of its long options
 * without their dashes, e.g.
 *	lg.fio=filename=/dev/vda,direct=1,name=r,rw=randread,bs=4k
 * (options before the first name= are global, as on fio's own command
 * line; a value can hold neither a comma nor a blank). The init runs
 *	/usr/bin/fio --output-format=json --output=/fio.json --eta=never --OPTION...
 * waits for it to end, then prints what it wrote between two marker lines,
 *	LINUX fio-begin
 *	... fio's output: its JSON, after any message fio logged there ...
 *	LINUX fio-end
 * and the result line, LINUX fio PASS|FAIL status=N bytes=N: PASS when
 * fio exited with status 0 and wrote something. The figures are the host's
 * to judge (bench/azbench/metrics/fio.py). fio's stderr is the console.
 * From the first marker to the result line kernel messages below
 * emergencies stay off the console (they stay in the kernel's log).
 */
#include "lg.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define FIO "/usr/bin/fio"
#define FIO_OUT "/fio.json"
#define MAX_OPTS 96
/* syslog(2)'s actions: the console's log level to its minimum and back */
#define SYSLOG_ACTION_CONSOLE_OFF 6
#define SYSLOG_ACTION_CONSOLE_ON 7

extern char **environ;

/* Writes the file at path to the console a line at a time (one write()
 * per line, so that a kernel message cannot land inside one); returns
 * its size, or -1 when it cannot be read. */
static long print_file(const char *path)
{
	struct stat st;
	char *buf, *p, *nl;
	size_t len;

	if (stat(path, &st) < 0 || !(buf = malloc((size_t)st.st_size + 2)))
		return -1;
	if (read_text(path, buf, (size_t)st.st_size + 2) < 0) {
		free(buf);
		return -1;
	}
	len = strlen(buf);	/* read_text dropped the last newline */
	buf[len] = '\n';
	for (p = buf; p < buf + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(buf + len + 1 - p));
		if (write(STDOUT_FILENO, p, (size_t)(nl + 1 - p)) < 0)
			break;
	}
	free(buf);
	return (long)len;
}

bool check_fio(void)
{
	struct line l = { .len = 0 };
	static char opts[2048], args[MAX_OPTS][256];
	char *argv[MAX_OPTS + 5], *item, *save = NULL;
	const char *want = param("lg.fio");
	int argc = 0, status = 0, err, off_errno;
	bool quiet, passed;
	pid_t pid;
	long bytes;

	if (!want || !*want || strlen(want) >= sizeof(opts)) {
		line_fail(&l, "error=bad-lg.fio");
		return line_emit(&l, "fio");
	}
	if (access(FIO, X_OK) < 0) {
		line_fail(&l, "error=no-fio");
		return line_emit(&l, "fio");
	}
	argv[argc++] = FIO;
	argv[argc++] = "--output-format=json";
	argv[argc++] = "--output=" FIO_OUT;
	argv[argc++] = "--eta=never";
	strcpy(opts, want);
	for (item = strtok_r(opts, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		int i = argc - 4;

		if (i >= MAX_OPTS || strlen(item) + 3 > sizeof(args[i])) {
			line_fail(&l, "error=lg.fio-too-long");
			return line_emit(&l, "fio");
		}
		args[i][0] = args[i][1] = '-';
		strcpy(args[i] + 2, item);
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;

	say("LINUX fio-run options=%d", argc - 4);
	err = posix_spawn(&pid, FIO, NULL, NULL, argv, environ);
	if (err) {
		line_fail(&l, "error=spawn errno=%d", err);
		return line_emit(&l, "fio");
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			line_fail(&l, "error=waitpid errno=%d", errno);
			return line_emit(&l, "fio");
		}
	}
	/* printk writes to the UART itself, past the tty's buffered output,
	 * so a kernel message could land inside a line of the report (it did,
	 * in the box): until the result line has gone out, only emergencies
	 * reach the console; the rest stay in the kernel's log. */
	quiet = klogctl(SYSLOG_ACTION_CONSOLE_OFF, NULL, 0) == 0;
	off_errno = quiet ? 0 : errno;
	say("LINUX fio-begin");
	bytes = print_file(FIO_OUT);
	say("LINUX fio-end");
	if (WIFEXITED(status))
		line_add(&l, "status=%d", WEXITSTATUS(status));
	else
		line_fail(&l, "signal=%d", WTERMSIG(status));
	line_add(&l, "bytes=%ld", bytes);
	if (!quiet)
		line_add(&l, "console_off_errno=%d", off_errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || bytes <= 0)
		l.failed = true;
	passed = line_emit(&l, "fio");
	tcdrain(STDOUT_FILENO);
	if (quiet)
		klogctl(SYSLOG_ACTION_CONSOLE_ON, NULL, 0);
	return passed;
}
