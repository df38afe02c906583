/* The vsock card's command line (src/cards/vsock/opts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/vsock/opts.h"

#define ARGV(...) ((char *[]){ "azote-card-vsock", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-vsock", __VA_ARGS__ }) / sizeof(char *)))

static void test_full(void **state)
{
	struct vsock_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(vsock_opts_parse(ARGC("--cid", "3", "--uds", "/run/v.sock", "--fd", "3"),
					  ARGV("--cid", "3", "--uds", "/run/v.sock", "--fd", "3"),
					  &o, &e), CARD_OPTS_RUN);
	assert_int_equal(o.cid, 3);
	assert_string_equal(o.uds, "/run/v.sock");
	assert_int_equal(o.card.fd, 3);
	assert_int_equal(vsock_opts_parse(ARGC("--cid", "4294967295", "--uds", "v", "--socket",
					       "/x"),
					  ARGV("--cid", "4294967295", "--uds", "v", "--socket",
					       "/x"), &o, &e), CARD_OPTS_RUN);
	assert_true(o.cid == 4294967295u);
	assert_int_equal(vsock_opts_parse(ARGC("--help"), ARGV("--help"), &o, &e),
			 CARD_OPTS_HELP);
}

static void test_refused(void **state)
{
	static const char long_path[] =
		"/0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/"
		"0123456789/0123456789/0123456789/v.sock";
	static const struct { const char *a[6]; const char *want; } bad[] = {
		{ { "--cid", "2", "--uds", "v", "--fd", "3" },
		  "--cid '2': must be a number from 3 to 4294967295" },
		{ { "--cid", "4294967296", "--uds", "v", "--fd", "3" },
		  "--cid '4294967296': must be a number from 3 to 4294967295" },
		{ { "--cid", "x", "--uds", "v", "--fd", "3" },
		  "--cid 'x': must be a number from 3 to 4294967295" },
		{ { "--cid", "3", "--uds", "/run/", "--fd", "3" }, "--uds '/run/': not a file name" },
		{ { "--cid", "3", "--uds", "..", "--fd", "3" }, "--uds '..': not a file name" },
		{ { "--cid", "3", "--uds", long_path, "--fd", "3" }, NULL },
		{ { "--uds", "v", "--fd", "3" }, "--cid N is required" },
		{ { "--cid", "3", "--fd", "3" }, "--uds PATH is required" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = { "azote-card-vsock" };
		int argc = 1;
		struct vsock_opts o;
		struct azerr e;

		for (int k = 0; k < 6 && bad[i].a[k]; k++)
			argv[argc++] = (char *)bad[i].a[k];
		assert_int_equal(vsock_opts_parse(argc, argv, &o, &e), CARD_OPTS_ERROR);
		if (bad[i].want)
			assert_string_equal(e.msg, bad[i].want);
		else
			assert_non_null(strstr(e.msg, "longer than 96 bytes (<path>_<port>"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
