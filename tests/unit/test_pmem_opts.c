/* The pmem card's command line (src/cards/pmem/opts.c): what it takes,
 * and each refusal's whole message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "card_opts_refusals.h"
#include "cards/pmem/opts.h"

#define ARGV(...) ((char *[]){ "azote-card-pmem", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-pmem", __VA_ARGS__ }) / sizeof(char *)))

static void test_defaults(void **state)
{
#define MIN "--fd", "3", "--file", "/srv/pmem.img"
#define MORE "--socket", "/run/p.sock", "--file", "f", "--ro", "--stats-fd", "4", \
	"--control-fd", "5", "--seccomp", "log", "--log-level", "debug"
	struct pmem_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(pmem_opts_parse(ARGC(MIN), ARGV(MIN), &o, &e), CARD_OPTS_RUN);
	assert_int_equal(o.card.fd, 3);
	assert_null(o.card.socket);
	assert_string_equal(o.file, "/srv/pmem.img");
	assert_false(o.ro);
	assert_int_equal(o.card.stats_fd, -1);
	assert_int_equal(o.card.control_fd, -1);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_KILL);
	assert_false(o.limit.has_bandwidth || o.limit.has_ops);
	assert_int_equal(pmem_opts_parse(ARGC(MORE), ARGV(MORE), &o, &e), CARD_OPTS_RUN);
	assert_string_equal(o.card.socket, "/run/p.sock");
	assert_string_equal(o.file, "f");
	assert_true(o.ro);
	assert_int_equal(o.card.stats_fd, 4);
	assert_int_equal(o.card.control_fd, 5);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_LOG);
	assert_int_equal(o.card.log_level, LOG_DEBUG);
	/* --help wins over what is missing. */
	assert_int_equal(pmem_opts_parse(ARGC("--help"), ARGV("--help"), &o, &e),
			 CARD_OPTS_HELP);
#undef MIN
#undef MORE
}

/* --bw-limit and --ops-limit: Firecracker's pmem rate_limiter, each
 * bucket read back as azote writes it (token_bucket_format). */
static void test_limits(void **state)
{
	char *argv[] = { "azote-card-pmem", "--fd", "3", "--file", "f",
			 "--bw-limit", "size=1048576,refill_time=100",
			 "--ops-limit", "refill_time=1000,size=10,one_time_burst=5", NULL };
	struct pmem_opts o;
	struct azerr e;
	char bw[96], ops[96];
	(void)state;

	assert_int_equal(pmem_opts_parse(9, argv, &o, &e), CARD_OPTS_RUN);
	assert_true(o.limit.has_bandwidth && o.limit.has_ops);
	assert_int_equal(token_bucket_format(&o.limit.bandwidth, bw, sizeof(bw)), 0);
	assert_int_equal(token_bucket_format(&o.limit.ops, ops, sizeof(ops)), 0);
	assert_string_equal(bw, "size=1048576,refill_time=100");
	assert_string_equal(ops, "size=10,refill_time=1000,one_time_burst=5");
}

static void test_refused(void **state)
{
	static const struct { const char *a[4]; const char *want; } bad[] = {
		/* The buckets' own refusals are test_rate_limit's; these show
		 * each option names itself. */
		{ { "--bw-limit", "refill_time=1" },
		  "--bw-limit 'refill_time=1': size and refill_time are required "
		  "(size=N,refill_time=MS[,one_time_burst=N])" },
		{ { "--ops-limit", "size=1,refill_time=1,one_time_burst=x" },
		  "--ops-limit 'size=1,refill_time=1,one_time_burst=x': one_time_burst 'x' must "
		  "be a number from 0 to 18446744073709551615" },
		{ { "--file" }, "option '--file' needs a value" },
		{ { "--ro=yes" }, "option '--ro=yes' takes no value" },
		CARD_OPTS_REFUSALS,
	};
	struct pmem_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[10] = { "azote-card-pmem", "--fd", "3", "--file", "f" };
		int argc = 5;

		for (int k = 0; k < 4 && bad[i].a[k]; k++)
			argv[argc++] = (char *)bad[i].a[k];
		argv[argc] = NULL;
		assert_int_equal(pmem_opts_parse(argc, argv, &o, &e), CARD_OPTS_ERROR);
		if (strcmp(e.msg, bad[i].want))
			fail_msg("case %zu: '%s', not '%s'", i, e.msg, bad[i].want);
	}
}

/* Where the front-end is must be said first (the common options' check
 * runs before the card's); then the backing file must be named. */
static void test_required(void **state)
{
	struct pmem_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(pmem_opts_parse(ARGC("--file", "f"), ARGV("--file", "f"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_string_equal(e.msg, "give exactly one of --socket PATH and --fd N");
	assert_int_equal(pmem_opts_parse(ARGC("--ro"), ARGV("--ro"), &o, &e), CARD_OPTS_ERROR);
	assert_string_equal(e.msg, "give exactly one of --socket PATH and --fd N");
	for (int empty = 0; empty < 2; empty++) {
		char *argv[] = { "azote-card-pmem", "--fd", "3", "--file", "", NULL };

		assert_int_equal(pmem_opts_parse(empty ? 5 : 3, argv, &o, &e), CARD_OPTS_ERROR);
		assert_string_equal(e.msg, "--file PATH is required: the backing file");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
