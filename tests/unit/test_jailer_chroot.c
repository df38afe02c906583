/* Which cards the jailer copies into a chroot (src/jailer/chroot.c,
 * chroot_find_cards): the executables named azote-card-* beside the exec
 * file, whatever the exec file itself is called (Kata needs azote installed
 * as "firecracker"; azote still runs azote-card-KIND from its own directory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "jailer/chroot.h"

static char dir[64];

/* dir/name, a file of the given mode. */
static void make(const char *name, mode_t mode)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static bool has(const struct path_set *s, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], path))
			return true;
	return false;
}

static int setup(void **state)
{
	char sub[96];
	(void)state;

	snprintf(dir, sizeof(dir), "/tmp/test_jailer_chroot.XXXXXX");
	assert_non_null(mkdtemp(dir));
	make("firecracker", 0755);
	make("azote-card-blk", 0755);
	make("azote-card-net", 0700);
	make("azote-card-notes", 0644);      /* not executable */
	make("azote-card-", 0755);           /* no kind */
	make("firecracker-card-blk", 0755);  /* azote would never run it */
	snprintf(sub, sizeof(sub), "%s/azote-card-dir", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_cards_of_any_exec_name(void **state)
{
	struct path_set s = { 0 };
	struct azerr e;
	char exec[96];
	(void)state;

	snprintf(exec, sizeof(exec), "%s/firecracker", dir);
	assert_int_equal(chroot_find_cards(exec, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "azote-card-blk"));
	assert_true(has(&s, "azote-card-net"));
	path_set_free(&s);
}

static void test_card_as_exec_file_once(void **state)
{
	struct path_set s = { 0 };
	struct azerr e;
	char exec[96];
	(void)state;

	/* The exec file is first in the set (main.c); a card jailed by itself
	 * is not added twice. */
	snprintf(exec, sizeof(exec), "%s/azote-card-blk", dir);
	assert_int_equal(path_set_add(&s, exec, strlen(exec), &e), 0);
	assert_int_equal(chroot_find_cards(exec, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "azote-card-net"));
	path_set_free(&s);
}

static void test_missing_dir(void **state)
{
	struct path_set s = { 0 };
	struct azerr e;
	(void)state;

	assert_int_equal(chroot_find_cards("/nonexistent-dir/firecracker", &s, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent-dir"));
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cards_of_any_exec_name),
		cmocka_unit_test(test_card_as_exec_file_once),
		cmocka_unit_test(test_missing_dir),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
