/* A card's fd hygiene (src/cards/fds.c): jail_close_fds closes the
 * process's fds, so each case runs in a child of its own, which says by
 * its exit status what it found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cards/fds.h"

/* The child's verdicts. */
enum { OK, CALL_FAILED, NOT_NULL, NEW_FD_IS_STDERR, STDERR_REPLACED };

/* Whether fd is open on the same file as st. */
static bool same_file(int fd, const struct stat *st)
{
	struct stat f;

	return fstat(fd, &f) == 0 && f.st_dev == st->st_dev && f.st_ino == st->st_ino &&
	       f.st_rdev == st->st_rdev;
}

/* In the child: fds 0..2 closed where closed[fd], a log file as stderr
 * otherwise; then jail_close_fds and one open, as a card's image. */
static int child(const bool closed[3])
{
	const int keep[] = { -1 };
	struct stat null, log;

	if (stat("/dev/null", &null) < 0 || dup2(memfd_create("log", 0), 2) < 0 ||
	    fstat(2, &log) < 0)
		return CALL_FAILED;
	for (int fd = 0; fd < 3; fd++)
		if (closed[fd])
			close(fd);
	if (jail_close_fds(keep, 1, NULL))
		return CALL_FAILED;
	int image = memfd_create("image", 0);
	if (image == 2)
		return NEW_FD_IS_STDERR;
	for (int fd = 0; fd < 2; fd++)
		if (!same_file(fd, &null))
			return NOT_NULL;
	if (!same_file(2, closed[2] ? &null : &log))
		return closed[2] ? NOT_NULL : STDERR_REPLACED;
	return OK;
}

static int run(bool in, bool out, bool err)
{
	const bool closed[3] = { in, out, err };
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child(closed));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* stdin and stdout end on /dev/null, stderr stays the log. */
static void test_std_fds(void **state)
{
	(void)state;
	assert_int_equal(run(false, false, false), OK);
	assert_int_equal(run(true, true, false), OK);
}

/* A card started without stderr (`2>&-`): /dev/null becomes it, so the
 * next fd the card opens (its image) is not stderr, the log's. */
static void test_no_stderr(void **state)
{
	(void)state;
	assert_int_equal(run(false, false, true), OK);
	assert_int_equal(run(true, false, true), OK);
	assert_int_equal(run(true, true, true), OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_std_fds),
		cmocka_unit_test(test_no_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
