/* The identity a confined card takes (src/jail/confine.c): "UID" or
 * "UID:GID", never root, never (uid_t)-1, and a message naming the option
 * and the value for anything else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jail/confine.h"

static void test_parse(void **state)
{
	struct jail_identity id;
	struct azerr e;
	char buf[JAIL_IDENTITY_STR_LEN];
	(void)state;

	assert_int_equal(jail_identity_parse("--user", "65534", &id, &e), 0);
	assert_int_equal(id.uid, 65534);
	assert_int_equal(id.gid, 65534);
	assert_int_equal(jail_identity_parse("--user", "1000:100", &id, &e), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 100);
	assert_string_equal(jail_identity_format(&id, buf), "1000:100");
	assert_int_equal(jail_identity_parse("--user", "4294967294:1", &id, &e), 0);
	assert_int_equal(id.uid, 4294967294u);
	/* The default is nobody:nogroup, and formats back to what parses. */
	id = JAIL_IDENTITY_DEFAULT;
	assert_string_equal(jail_identity_format(&id, buf), "65534:65534");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "0", "0:0", "1000:0", "4294967295", "1:4294967295", "-1", "x",
		"1000:", ":1000", "1000:100:1", "1000 ", "12345678901234567890",
		"99999999999999999:1",
	};
	struct jail_identity id = { 7, 7 };
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jail_identity_parse("--card-user", bad[i], &id, &e), -1);
		char want[64];
		snprintf(want, sizeof(want), "--card-user '%s': must be UID or UID:GID", bad[i]);
		if (strncmp(e.msg, want, strlen(want)))
			fail_msg("'%s': %s", bad[i], e.msg);
	}
	/* Nothing was written on a refusal. */
	assert_int_equal(id.uid, 7);
	assert_int_equal(id.gid, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
