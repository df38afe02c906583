/* The balloon card's command line (src/cards/balloon/opts.c): what it
 * takes, the features its options offer, and each refusal's whole
 * message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/balloon/opts.h"
#include "virtio/virtio_balloon.h"

#define ARGV(...) ((char *[]){ "azote-card-balloon", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-balloon", __VA_ARGS__ }) / \
			 sizeof(char *)))
#define PARSE(o, e, ...) balloon_opts_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, e)

#define F(bit) (1ULL << VIRTIO_BALLOON_F_##bit)

static void test_defaults(void **state)
{
	struct balloon_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(PARSE(&o, &e, "--fd", "3"), CARD_OPTS_RUN);
	assert_int_equal(o.card.fd, 3);
	assert_int_equal(o.card.control_fd, -1);
	assert_int_equal(o.card.seccomp, JAIL_SECCOMP_KILL);
	assert_int_equal(o.stats_interval_s, 0);
	assert_false(o.deflate_on_oom || o.reporting);
	/* No option, no feature of the balloon's own. */
	assert_int_equal(balloon_opts_features(&o), 0);
	assert_int_equal(PARSE(&o, &e, "--help"), CARD_OPTS_HELP);
	assert_int_equal(PARSE(&o, &e, "--fd", "3", "--help"), CARD_OPTS_HELP);
}

/* Each option turns on its feature and no other; FREE_PAGE_HINT and
 * PAGE_POISON never. */
static void test_features(void **state)
{
	struct balloon_opts o;
	struct azerr e;
	(void)state;

	assert_int_equal(PARSE(&o, &e, "--fd", "3", "--stats-interval", "1"), CARD_OPTS_RUN);
	assert_int_equal(o.stats_interval_s, 1);
	assert_int_equal(balloon_opts_features(&o), F(STATS_VQ));
	assert_int_equal(PARSE(&o, &e, "--fd", "3", "--deflate-on-oom"), CARD_OPTS_RUN);
	assert_int_equal(balloon_opts_features(&o), F(DEFLATE_ON_OOM));
	assert_int_equal(PARSE(&o, &e, "--fd", "3", "--free-page-reporting"), CARD_OPTS_RUN);
	assert_int_equal(balloon_opts_features(&o), F(PAGE_REPORTING));
	assert_int_equal(PARSE(&o, &e, "--socket", "/run/b.sock", "--stats-interval", "65535",
			       "--deflate-on-oom", "--free-page-reporting", "--control-fd", "5"),
			 CARD_OPTS_RUN);
	assert_string_equal(o.card.socket, "/run/b.sock");
	assert_int_equal(o.card.control_fd, 5);
	assert_int_equal(o.stats_interval_s, 65535);
	uint64_t all = balloon_opts_features(&o);
	assert_int_equal(all, F(STATS_VQ) | F(DEFLATE_ON_OOM) | F(PAGE_REPORTING));
	assert_false(all & (F(FREE_PAGE_HINT) | F(PAGE_POISON) | F(MUST_TELL_HOST)));
	/* 0 says no statistics ring, as the option's absence does. */
	assert_int_equal(PARSE(&o, &e, "--fd", "3", "--stats-interval", "0"), CARD_OPTS_RUN);
	assert_int_equal(balloon_opts_features(&o), 0);
	/* The rings the features make: 2 to 4, no gap. */
	assert_int_equal(balloon_nr_rings(all), 4);
	assert_int_equal(balloon_ring_role(F(PAGE_REPORTING), 2), BALLOON_RING_REPORTING);
}

/* argv after "--fd 3" must be refused with exactly want. */
static void refused(const char *a, const char *b, const char *want)
{
	char *argv[6] = { "azote-card-balloon", "--fd", "3", (char *)a, (char *)b, NULL };
	struct balloon_opts o;
	struct azerr e;

	assert_int_equal(balloon_opts_parse(b ? 5 : 4, argv, &o, &e), CARD_OPTS_ERROR);
	if (strcmp(e.msg, want))
		fail_msg("%s %s: '%s', not '%s'", a, b ? b : "", e.msg, want);
}

static void test_refused(void **state)
{
	(void)state;

	refused("--stats-interval", "65536",
		"--stats-interval '65536': must be a number of seconds from 0 to 65535");
	refused("--stats-interval", "-1",
		"--stats-interval '-1': must be a number of seconds from 0 to 65535");
	refused("--stats-interval", "1s",
		"--stats-interval '1s': must be a number of seconds from 0 to 65535");
	refused("--stats-interval", "",
		"--stats-interval '': must be a number of seconds from 0 to 65535");
	refused("--stats-interval", "99999999999999999999",
		"--stats-interval '99999999999999999999': must be a number of seconds "
		"from 0 to 65535");
	refused("--stats-interval", NULL, "option '--stats-interval' needs a value");
	refused("--deflate-on-oom", "yes", "unexpected argument 'yes'");
	refused("--bw-limit", "size=1,refill_time=1", "unknown option '--bw-limit'");
	refused("--stats-fd", "1", "--stats-fd '1': must be a number from 3 to 65535");
	struct balloon_opts o;
	struct azerr e;
	assert_int_equal(PARSE(&o, &e, "--stats-interval", "5"), CARD_OPTS_ERROR);
	assert_string_equal(e.msg, "give exactly one of --socket PATH and --fd N");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
