/* The entropy card's command line (src/cards/rng/opts.c): what it takes,
 * and each refusal's whole message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "card_opts_refusals.h"
#include "cards/rng/opts.h"

#define ARGV(...) ((char *[]){ "azote-card-rng", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-rng", __VA_ARGS__ }) / sizeof(char *)))

static void test_defaults(void **state)
{
	struct rng_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(rng_opts_parse(ARGC("--fd", "3"), ARGV("--fd", "3"), &o, &e),
			 CARD_OPTS_RUN);
	assert_int_equal(o.card.fd, 3);
	assert_null(o.card.socket);
	assert_int_equal(o.card.stats_fd, -1);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_KILL);
	assert_false(o.limit.has_bandwidth || o.limit.has_ops);
	assert_int_equal(rng_opts_parse(ARGC("--socket", "/run/r.sock", "--stats-fd", "4",
					     "--seccomp", "log"),
					ARGV("--socket", "/run/r.sock", "--stats-fd", "4",
					     "--seccomp", "log"), &o, &e), CARD_OPTS_RUN);
	assert_string_equal(o.card.socket, "/run/r.sock");
	assert_int_equal(o.card.stats_fd, 4);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_LOG);
	assert_int_equal(rng_opts_parse(ARGC("--help"), ARGV("--help"), &o, &e),
			 CARD_OPTS_HELP);
}

/* --bw-limit and --ops-limit: Firecracker's entropy rate_limiter. */
static void test_limits(void **state)
{
#define LIMITS "--fd", "3", "--bw-limit", "size=65536,refill_time=100", \
	"--ops-limit", "refill_time=1000,size=10,one_time_burst=5"
	struct rng_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(rng_opts_parse(ARGC(LIMITS), ARGV(LIMITS), &o, &e), CARD_OPTS_RUN);
	assert_true(o.limit.has_bandwidth && o.limit.has_ops);
	assert_int_equal(o.limit.bandwidth.size, 65536);
	assert_int_equal(o.limit.bandwidth.refill_time_ms, 100);
	assert_int_equal(o.limit.bandwidth.one_time_burst, 0);
	assert_int_equal(o.limit.ops.size, 10);
	assert_int_equal(o.limit.ops.refill_time_ms, 1000);
	assert_int_equal(o.limit.ops.one_time_burst, 5);
#undef LIMITS
}

static void test_refused(void **state)
{
	static const struct { const char *a[4]; const char *want; } bad[] = {
		{ { "--bw-limit", "size=1" },
		  "--bw-limit 'size=1': size and refill_time are required "
		  "(size=N,refill_time=MS[,one_time_burst=N])" },
		{ { "--ops-limit", "size=1,refill_time=x" },
		  "--ops-limit 'size=1,refill_time=x': refill_time 'x' must be a number "
		  "from 0 to 18446744073709" },
		{ { "--ops-limit", "size=1,refill_time=1,burst=2" },
		  "--ops-limit 'size=1,refill_time=1,burst=2': unknown key 'burst' "
		  "(size, refill_time, one_time_burst)" },
		{ { "--bw-limit", "size=1,size=2,refill_time=1" },
		  "--bw-limit 'size=1,size=2,refill_time=1': size given twice" },
		{ { "--bw-limit", "nokey" },
		  "--bw-limit 'nokey': 'nokey' is not KEY=VALUE "
		  "(size=N,refill_time=MS[,one_time_burst=N])" },
		{ { "--bw-limit" }, "option '--bw-limit' needs a value" },
		CARD_OPTS_REFUSALS,
	};
	struct rng_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = { "azote-card-rng", "--fd", "3" };
		int argc = 3;

		for (int k = 0; k < 4 && bad[i].a[k]; k++)
			argv[argc++] = (char *)bad[i].a[k];
		argv[argc] = NULL;
		assert_int_equal(rng_opts_parse(argc, argv, &o, &e), CARD_OPTS_ERROR);
		if (strcmp(e.msg, bad[i].want))
			fail_msg("case %zu: '%s', not '%s'", i, e.msg, bad[i].want);
	}
	/* Where the front-end is must be said. */
	assert_int_equal(rng_opts_parse(ARGC("--ops-limit", "size=1,refill_time=100"),
					ARGV("--ops-limit", "size=1,refill_time=100"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_string_equal(e.msg, "give exactly one of --socket PATH and --fd N");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
