/* The block card's command line (src/cards/blk/opts.c): values land in the
 * options, each bad one is refused with a message naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/blk/opts.h"
#include "iface/card.h"

#define ARGV(...) ((char *[]){ "azote-card-blk", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-blk", __VA_ARGS__ }) / sizeof(char *)))

static void test_full(void **state)
{
#define FULL "--image", "d.img", "--fd", "3", "--ro", "--direct", "--queues", "16", \
	"--poll-us", "1000", "--seccomp", "log", "--stats-fd", "4", "--user", "1000:100", \
	"--log-level", "debug", "--control-fd", "5", "--lazy-mem-fd", "6", "--uffd-dev-fd", "7", \
	"--uring", "defer-taskrun"
	struct blk_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(blk_opts_parse(ARGC(FULL), ARGV(FULL), &o, &e), CARD_OPTS_RUN);
#undef FULL
	assert_string_equal(o.image, "d.img");
	assert_int_equal(o.card.fd, 3);
	assert_null(o.card.socket);
	assert_true(o.ro && o.direct);
	assert_int_equal(o.queues, CARD_BLK_MAX_QUEUES);
	assert_int_equal(o.poll_us, CARD_BLK_MAX_POLL_US);
	assert_int_equal(o.uring, BLK_URING_DEFER_TASKRUN);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_LOG);
	assert_int_equal(o.card.stats_fd, 4);
	assert_int_equal(o.card.control_fd, 5);
	assert_int_equal(o.card.lazy_mem_fd, 6);
	assert_int_equal(o.card.uffd_dev_fd, 7);
	assert_true(o.card.confine);
	assert_int_equal(o.card.user.uid, 1000);
	assert_int_equal(o.card.user.gid, 100);
	assert_int_equal(o.card.log_level, LOG_DEBUG);
	/* Defaults. */
	assert_int_equal(blk_opts_parse(ARGC("--image", "d", "--socket", "/run/b.sock"),
					ARGV("--image", "d", "--socket", "/run/b.sock"), &o, &e),
			 CARD_OPTS_RUN);
	assert_string_equal(o.card.socket, "/run/b.sock");
	assert_int_equal(o.card.fd, -1);
	assert_int_equal(o.card.stats_fd, -1);
	assert_int_equal(o.card.control_fd, -1);
	assert_int_equal(o.card.lazy_mem_fd, -1);
	assert_int_equal(o.card.page_relay_fd, -1);
	assert_int_equal(o.card.uffd_dev_fd, -1);
	assert_false(o.ro || o.direct || o.card.confine);
	/* A restore from a page-fault handler: the relay in the file's place. */
	assert_int_equal(blk_opts_parse(ARGC("--image", "d", "--fd", "3", "--page-relay-fd", "6"),
					ARGV("--image", "d", "--fd", "3", "--page-relay-fd", "6"),
					&o, &e), CARD_OPTS_RUN);
	assert_int_equal(o.card.page_relay_fd, 6);
	assert_int_equal(o.card.lazy_mem_fd, -1);
	assert_int_equal(o.queues, 1);
	assert_int_equal(o.poll_us, BLK_POLL_US_DEFAULT);
	assert_int_equal(o.uring, BLK_URING_DEFAULT);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_KILL);
	assert_int_equal(o.card.log_level, LOG_WARN);
	assert_int_equal(blk_opts_parse(ARGC("--help"), ARGV("--help"), &o, &e), CARD_OPTS_HELP);
}

static void test_refused(void **state)
{
	static const struct { const char *a[5]; const char *want; } bad[] = {
		{ { "--queues", "0" }, "--queues '0': must be a number from 1 to 16" },
		{ { "--queues", "17" }, "--queues '17': must be a number from 1 to 16" },
		{ { "--poll-us", "1001" }, "--poll-us '1001': must be a number from 0 to 1000" },
		{ { "--uring", "Default" },
		  "--uring 'Default': must be default, single-issuer or defer-taskrun" },
		{ { "--stats-fd", "2" }, "--stats-fd '2': must be a number from 3 to 65535" },
		{ { "--control-fd", "x" }, "--control-fd 'x': must be a number from 3 to 65535" },
		{ { "--lazy-mem-fd", "1" }, "--lazy-mem-fd '1': must be a number from 3 to 65535" },
		{ { "--uffd-dev-fd", "65536" }, "--uffd-dev-fd '65536': must be a number from 3 to 65535" },
		{ { "--page-relay-fd", "-1" }, "--page-relay-fd '-1': must be a number from 3 to 65535" },
		{ { "--lazy-mem-fd", "6", "--page-relay-fd", "7" },
		  "at most one of --lazy-mem-fd and --page-relay-fd" },
		{ { "--seccomp", "maybe" }, "--seccomp 'maybe': must be kill, log or off" },
		{ { "--user", "0" }, "--user '0': must be UID or UID:GID" },
		{ { "--log-level", "loud" }, "--log-level 'loud': must be error, warning, info or debug" },
		{ { "--bw-limit", "size=1" }, "--bw-limit 'size=1': size and refill_time "
					      "are required" },
		{ { "--ops-limit", "size=1,refill_time=x" }, "--ops-limit 'size=1,refill_time=x'"
							     ": refill_time 'x' must be a number" },
		{ { "--ops-limit", "size=1,refill_time=1,burst=2" }, "unknown key 'burst'" },
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "--queues" }, "option '--queues' needs a value" },
		{ { "--ro=yes" }, "option '--ro=yes' takes no value" },
		{ { "extra" }, "unexpected argument 'extra'" },
	};
	struct blk_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[12] = { "azote-card-blk", "--image", "d", "--socket", "s" };
		int argc = 5;
		for (int k = 0; bad[i].a[k]; k++)
			argv[argc++] = (char *)bad[i].a[k];
		argv[argc] = NULL;
		assert_int_equal(blk_opts_parse(argc, argv, &o, &e), CARD_OPTS_ERROR);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: '%s' not in '%s'", i, bad[i].want, e.msg);
	}
	/* What must be given, and given once. */
	assert_int_equal(blk_opts_parse(ARGC("--socket", "s"), ARGV("--socket", "s"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_string_equal(e.msg, "--image is required");
	assert_int_equal(blk_opts_parse(ARGC("--image", "d"), ARGV("--image", "d"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_non_null(strstr(e.msg, "exactly one of --socket PATH and --fd N"));
	assert_int_equal(blk_opts_parse(ARGC("--image", "d", "--socket", "s", "--fd", "3"),
					ARGV("--image", "d", "--socket", "s", "--fd", "3"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_non_null(strstr(e.msg, "exactly one of"));
}

/* --bw-limit and --ops-limit: Firecracker's drive rate_limiter. */
static void test_limits(void **state)
{
#define LIMITS "--image", "d", "--fd", "3", "--bw-limit", "size=1048576,refill_time=100", \
	"--ops-limit", "refill_time=1000,size=100,one_time_burst=50"
	struct blk_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(blk_opts_parse(ARGC(LIMITS), ARGV(LIMITS), &o, &e), CARD_OPTS_RUN);
#undef LIMITS
	assert_true(o.limit.has_bandwidth && o.limit.has_ops);
	assert_int_equal(o.limit.bandwidth.size, 1048576);
	assert_int_equal(o.limit.bandwidth.refill_time_ms, 100);
	assert_int_equal(o.limit.bandwidth.one_time_burst, 0);
	assert_int_equal(o.limit.ops.size, 100);
	assert_int_equal(o.limit.ops.refill_time_ms, 1000);
	assert_int_equal(o.limit.ops.one_time_burst, 50);
	/* None by default. */
	assert_int_equal(blk_opts_parse(ARGC("--image", "d", "--fd", "3"),
					ARGV("--image", "d", "--fd", "3"), &o, &e), CARD_OPTS_RUN);
	assert_false(o.limit.has_bandwidth || o.limit.has_ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
