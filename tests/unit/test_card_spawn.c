/* Unit tests for src/vmm/card_spawn.c: what a card inherits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/card_spawn.h"

/* azote blocks its stop signals (they are read from a signalfd); a card
 * must not inherit that, or the SIGTERM that ends a card outliving its
 * socket is held pending for ever. */
static void test_card_takes_sigterm(void **state)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	sigset_t stop;
	struct azerr e;
	int sock, status = 0;
	pid_t pid, done = 0;
	(void)state;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	assert_int_equal(sigprocmask(SIG_BLOCK, &stop, NULL), 0);
	pid = jail_spawn_card(argv, NULL, 0, &sock, &e);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGTERM), 0);
	for (int i = 0; i < 300 && !done; i++) {
		done = waitpid(pid, &status, WNOHANG);
		if (!done)
			nanosleep(&tick, NULL);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	assert_int_equal(done, pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	close(sock);
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &stop, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_takes_sigterm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
