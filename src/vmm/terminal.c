#include "vmm/terminal.h"

#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_active;

void terminal_restore(void)
{
	if (raw_active) {
		tcsetattr(saved_fd, TCSANOW, &saved);
		raw_active = 0;
	}
}

/* A crash must not leave the user's shell in raw mode: restore, then let
 * the signal do what it would have done. */
static void fatal_signal(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

void terminal_raw(int fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return;
	saved_fd = fd;
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return;
	raw_active = 1;
	atexit(terminal_restore);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction sa = { .sa_handler = fatal_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(fatal[i], &sa, NULL);
	}
}
