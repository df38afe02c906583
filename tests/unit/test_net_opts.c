/* The net card's command line (src/cards/net/opts.c): values land in the
 * options, each bad one is refused with a message naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/net/opts.h"

#define ARGV(...) ((char *[]){ "azote-card-net", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-net", __VA_ARGS__ }) / sizeof(char *)))

static void test_full(void **state)
{
	struct net_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(net_opts_parse(ARGC("--tap", "tap0", "--fd", "3", "--mac",
					     "06:00:ac:10:00:02", "--queues", "4", "--mtu",
					     "9000", "--seccomp", "log", "--log-level", "info",
					     "--stats-fd", "4", "--user", "1000:100"),
					ARGV("--tap", "tap0", "--fd", "3", "--mac",
					     "06:00:ac:10:00:02", "--queues", "4", "--mtu",
					     "9000", "--seccomp", "log", "--log-level", "info",
					     "--stats-fd", "4", "--user", "1000:100"),
					&o, &e), CARD_OPTS_RUN);
	assert_string_equal(o.tap, "tap0");
	assert_int_equal(o.card.fd, 3);
	assert_null(o.card.socket);
	assert_true(o.has_mac);
	assert_memory_equal(o.mac, "\x06\x00\xac\x10\x00\x02", 6);
	assert_int_equal(o.queues, 4);
	assert_int_equal(o.mtu, 9000);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_LOG);
	assert_int_equal(o.card.log_level, LOG_INFO);
	assert_int_equal(o.card.stats_fd, 4);
	assert_true(o.card.confine);
	assert_int_equal(o.card.user.uid, 1000);
	assert_int_equal(o.card.user.gid, 100);
	/* Defaults. */
	assert_int_equal(net_opts_parse(ARGC("--tap", "t", "--socket", "/run/n.sock"),
					ARGV("--tap", "t", "--socket", "/run/n.sock"), &o, &e),
			 CARD_OPTS_RUN);
	assert_int_equal(o.card.fd, -1);
	assert_int_equal(o.card.stats_fd, -1);
	assert_false(o.has_mac);
	assert_int_equal(o.queues, 1);
	assert_int_equal(o.mtu, 0);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_KILL);
	assert_false(o.card.confine);
	assert_int_equal(net_opts_parse(ARGC("--help"), ARGV("--help"), &o, &e), CARD_OPTS_HELP);
}

static void test_refused(void **state)
{
	static const struct { const char *a[4]; const char *want; } bad[] = {
		{ { "--mtu", "10" }, "--mtu '10': must be a number from 68 to 65535" },
		{ { "--mtu", "65536" }, "--mtu '65536'" },
		{ { "--mtu", "1500x" }, "--mtu '1500x'" },
		{ { "--mac", "01:02:03:04:05:06" }, "--mac '01:02:03:04:05:06': a multicast" },
		{ { "--mac", "06:00:ac:10:00" }, "--mac '06:00:ac:10:00': expected six pairs" },
		{ { "--mac", "00:00:00:00:00:00" }, "all-zero" },
		{ { "--queues", "0" }, "--queues '0': must be a number from 1 to 8" },
		{ { "--queues", "9" }, "--queues '9'" },
		{ { "--fd", "2" }, "--fd '2'" },
		{ { "--stats-fd", "x" }, "--stats-fd 'x': must be a number from 3" },
		{ { "--seccomp", "maybe" }, "--seccomp 'maybe'" },
		{ { "--log-level", "loud" }, "--log-level 'loud'" },
		{ { "--user", "0" }, "--user '0': must be UID or UID:GID" },
		{ { "--rx-bw-limit", "size=1" }, "--rx-bw-limit 'size=1': size and "
						 "refill_time are required" },
		{ { "--rx-ops-limit", "refill_time=1,size=-1" }, "--rx-ops-limit "
			"'refill_time=1,size=-1': size '-1' must be a number" },
		{ { "--tx-bw-limit", "size=1;refill_time=1" }, "--tx-bw-limit" },
		{ { "--tx-ops-limit", "" }, "--tx-ops-limit '': '' is not KEY=VALUE" },
		{ { "--frob" }, "unknown option '--frob'" },
		{ { "--tap", "" }, "--tap '': not a valid interface name" },
		{ { "--tap", "sixteen-chars-xx" }, "--tap 'sixteen-chars-xx': not a valid "
			"interface name (1-15 characters" },
		{ { "--mtu" }, "option '--mtu' needs a value" },
		{ { "extra" }, "unexpected argument 'extra'" },
	};
	struct net_opts o;
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = { "azote-card-net", "--tap", "t", "--fd", "3" };
		int argc = 5;
		for (int j = 0; j < 4 && bad[i].a[j]; j++)
			argv[argc++] = (char *)bad[i].a[j];
		assert_int_equal(net_opts_parse(argc, argv, &o, &e), CARD_OPTS_ERROR);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].want);
	}
	assert_int_equal(net_opts_parse(ARGC("--fd", "3"), ARGV("--fd", "3"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_non_null(strstr(e.msg, "--tap NAME is required"));
	assert_int_equal(net_opts_parse(ARGC("--tap", "t"), ARGV("--tap", "t"), &o, &e),
			 CARD_OPTS_ERROR);
	assert_non_null(strstr(e.msg, "exactly one of --socket PATH and --fd N"));
	assert_int_equal(net_opts_parse(ARGC("--tap", "t", "--fd", "3", "--socket", "s"),
					ARGV("--tap", "t", "--fd", "3", "--socket", "s"), &o, &e),
			 CARD_OPTS_ERROR);
}

/* --{rx,tx}-{bw,ops}-limit: Firecracker's rx_rate_limiter and
 * tx_rate_limiter, each bucket to its place. */
static void test_limits(void **state)
{
#define LIMITS "--tap", "t", "--fd", "3", "--rx-bw-limit", "size=1,refill_time=2", \
	"--rx-ops-limit", "size=3,refill_time=4", "--tx-bw-limit", \
	"size=5,refill_time=6,one_time_burst=7", "--tx-ops-limit", "size=8,refill_time=9"
	struct net_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(net_opts_parse(ARGC(LIMITS), ARGV(LIMITS), &o, &e), CARD_OPTS_RUN);
#undef LIMITS
	assert_true(o.rx_limit.has_bandwidth && o.rx_limit.has_ops);
	assert_true(o.tx_limit.has_bandwidth && o.tx_limit.has_ops);
	assert_int_equal(o.rx_limit.bandwidth.size, 1);
	assert_int_equal(o.rx_limit.bandwidth.refill_time_ms, 2);
	assert_int_equal(o.rx_limit.ops.size, 3);
	assert_int_equal(o.rx_limit.ops.refill_time_ms, 4);
	assert_int_equal(o.tx_limit.bandwidth.size, 5);
	assert_int_equal(o.tx_limit.bandwidth.refill_time_ms, 6);
	assert_int_equal(o.tx_limit.bandwidth.one_time_burst, 7);
	assert_int_equal(o.tx_limit.ops.size, 8);
	assert_int_equal(o.tx_limit.ops.refill_time_ms, 9);
	/* One alone leaves the others unset. */
	assert_int_equal(net_opts_parse(ARGC("--tap", "t", "--fd", "3", "--tx-ops-limit",
					     "size=1,refill_time=1"),
					ARGV("--tap", "t", "--fd", "3", "--tx-ops-limit",
					     "size=1,refill_time=1"), &o, &e), CARD_OPTS_RUN);
	assert_true(o.tx_limit.has_ops);
	assert_false(o.tx_limit.has_bandwidth || o.rx_limit.has_bandwidth ||
		     o.rx_limit.has_ops);
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
