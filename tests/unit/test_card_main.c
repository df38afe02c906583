/* The card start-up skeleton (src/cards/card_main.c) with a fake card
 * kind: which steps run in which order, what is given back when one
 * fails, the messages and the exit statuses. Every step records itself in
 * `order`; card_start, card_stop and the socket side are faked here (the
 * test links neither card.c nor server.c), confinement and seccomp through
 * the linker's --wrap (mk/40-cards.mk), so that nothing is closed,
 * confined or filtered in the test process. The options are parsed for
 * real (card_opts.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "cards/card.h"
#include "cards/card_main.h"
#include "cards/vhost/server.h"
#include "common/log.h"
#include "jail/confine.h"
#include "jail/seccomp.h"

#define ARGV(...) ((char *[]){ "azote-card-fake", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "azote-card-fake", __VA_ARGS__ }) / sizeof(char *)))
#define RUN(...) card_main(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), &fake_kind)

/* What happened, as "start open ...", and the step made to fail. */
static char order[256];
static const char *fail_step;
static FILE *usage_to;           /* where usage was printed, or NULL */
static int log_fd = -1;          /* the log, as the test reads it back */

/* What the fakes were handed. */
static struct card_stats fake_stats;
static struct card_stats *stopped;
static const struct vu_device *run_dev;
static int run_fd, run_listen_fd, listen_fd;
static const char *run_path;
static struct jail_identity confined;

/* Records a step; true if it is the one to fail. */
static bool step(const char *name)
{
	size_t n = strlen(order);

	snprintf(order + n, sizeof(order) - n, "%s%s", n ? " " : "", name);
	return fail_step && !strcmp(fail_step, name);
}

/* ---- the fake card kind ---- */

struct fake_card {
	struct card_opts card;
	const char *thing;
};

static struct fake_card fake;
static struct vu_device fake_vu;

static int fake_own(int c, const char *arg, void *card, struct azerr *e)
{
	(void)c;
	(void)e;
	((struct fake_card *)card)->thing = arg;
	return 0;
}

static enum card_opts_action fake_parse(int argc, char **argv, void *card,
					const struct card_opts **common, struct azerr *e)
{
	static const struct option longopts[] = {
		CARD_OPTS_LONGOPTS,
		{ "thing", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct fake_card *c = card;
	enum card_opts_action a;

	*c = (struct fake_card){ 0 };
	*common = &c->card;
	a = card_opts_parse(argc, argv, longopts, &c->card, fake_own, c, e);
	if (a != CARD_OPTS_RUN)
		return a;
	if (!c->thing) {
		azerr_set(e, "--thing is required");
		return CARD_OPTS_ERROR;
	}
	return CARD_OPTS_RUN;
}

static void fake_usage(FILE *f)
{
	usage_to = f;
}

static int fake_open(void *card, struct azerr *e)
{
	if (step("open"))
		return azerr_set(e, "cannot open fake thing %s", ((struct fake_card *)card)->thing);
	return 0;
}

static struct vu_device *fake_create(void *card, struct card_stats *stats, struct azerr *e)
{
	(void)card;
	assert_ptr_equal(stats, fake.card.stats_fd >= 0 ? &fake_stats : NULL);
	if (step("create")) {
		azerr_set(e, "cannot start worker 0");
		return NULL;
	}
	return &fake_vu;
}

static void fake_describe(void *card, char *buf, size_t size)
{
	step("describe");
	snprintf(buf, size, "fake %s", ((struct fake_card *)card)->thing);
}

static void fake_destroy(void *card)
{
	(void)card;
	step("destroy");
}

static const int fake_syscalls[] = { 1 };
static const struct jail_filter fake_filter = { .syscalls = fake_syscalls, .nr_syscalls = 1 };

static const struct card_kind fake_kind = {
	.name = "azote-card-fake",
	.card = &fake,
	.parse = fake_parse,
	.usage = fake_usage,
	.filter = &fake_filter,
	.open = fake_open,
	.create = fake_create,
	.describe = fake_describe,
	.destroy = fake_destroy,
};

/* ---- the steps that are not the card's, faked ---- */

int card_start(const struct card_opts *o, struct card_stats **stats, struct azerr *e)
{
	assert_int_equal(o->fd, fake.card.fd);
	assert_int_equal(o->control_fd, fake.card.control_fd);
	/* As the real one: the page is mapped before the socket is checked. */
	*stats = o->stats_fd >= 0 ? &fake_stats : NULL;
	if (step("start"))
		return azerr_set(e, "--fd %d is not a stream socket", o->fd);
	return 0;
}

void card_stop(struct card_stats *stats)
{
	step("stop");
	stopped = stats;
}

int vu_server_listen(const char *path, struct azerr *e)
{
	if (step("listen"))
		return azerr_set(e, "%s exists and is not a socket", path);
	/* A real fd, so that the test sees the skeleton close it. */
	listen_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(listen_fd >= 0);
	return listen_fd;
}

/* No test here restores lazily (--lazy-mem-fd): tests/host/uffd_share.c
 * and the snapshot tests do. */
void vu_backend_set_pager(struct uffd_pager *p)
{
	(void)p;
	fail_msg("a pager without --lazy-mem-fd");
}

int vu_server_run(const struct vu_device *dev, int fd, int lfd, const char *path,
		  struct azerr *e)
{
	run_dev = dev;
	run_fd = fd;
	run_listen_fd = lfd;
	run_path = path;
	if (step("run"))
		return azerr_set(e, "accept on %s: boom", path);
	return 0;
}

int __wrap_jail_confine(const struct jail_identity *id, struct azerr *e);
int __wrap_jail_confine(const struct jail_identity *id, struct azerr *e)
{
	confined = *id;
	if (step("confine"))
		return azerr_set(e, "cannot become uid %u", (unsigned)id->uid);
	return 0;
}

/* Whether list allows nr whatever its arguments. */
static bool allows(const struct jail_filter *list, int nr)
{
	for (unsigned i = 0; i < list->nr_syscalls; i++)
		if (list->syscalls[i] == nr)
			return true;
	return false;
}

int __wrap_jail_seccomp_apply(enum jail_seccomp_mode mode, const struct jail_filter *f,
			      const struct jail_filter *also, unsigned *nr_rules, struct azerr *e);
int __wrap_jail_seccomp_apply(enum jail_seccomp_mode mode, const struct jail_filter *f,
			      const struct jail_filter *also, unsigned *nr_rules, struct azerr *e)
{
	char name[32];

	assert_ptr_equal(f, &fake_filter);
	/* Every card's additions come with the card's own list: the kick
	 * reads and the lazy restore's file reads. */
	assert_non_null(also);
	assert_true(allows(also, SYS_preadv2) && allows(also, SYS_pread64));
	snprintf(name, sizeof(name), "seccomp:%s", jail_seccomp_name(mode));
	if (step(name))
		return azerr_set(e, "seccomp_load: Invalid argument");
	*nr_rules = 7;
	return 0;
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	(void)state;
	order[0] = '\0';
	fail_step = NULL;
	usage_to = NULL;
	stopped = NULL;
	run_dev = NULL;
	run_fd = run_listen_fd = listen_fd = -2;
	run_path = NULL;
	confined = (struct jail_identity){ 0 };
	log_fd = memfd_create("log", MFD_CLOEXEC);
	assert_true(log_fd >= 0);
	log_set_output(dup(log_fd), true, false, NULL, NULL); /* the log closes its copy */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_output(2, true, false, NULL, NULL);
	close(log_fd);
	return 0;
}

/* The log so far. */
static const char *logged(void)
{
	static char buf[2048];
	ssize_t n = pread(log_fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* ---- the tests ---- */

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(RUN("--help"), CARD_EXIT_OK);
	assert_ptr_equal(usage_to, stdout);
	assert_string_equal(order, "");
	assert_string_equal(logged(), "");
	/* Help wins over what would be refused after it. */
	assert_int_equal(RUN("--help", "--thing", "t"), CARD_EXIT_OK);
	assert_string_equal(order, "");
}

static void test_refused(void **state)
{
	static const struct { const char *a[5]; const char *want; } bad[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "--fd", "2" }, "--fd '2': must be a number from 3 to 65535" },
		{ { "--seccomp", "maybe" }, "--seccomp 'maybe': must be kill, log or off" },
		{ { "--socket", "s", "--fd", "3" }, "give exactly one of --socket PATH and --fd N" },
		{ { "--socket", "s", "extra" }, "unexpected argument 'extra'" },
	};
	char line[256];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[12] = { "azote-card-fake", "--thing", "t" };
		int argc = 3;
		for (int k = 0; bad[i].a[k]; k++)
			argv[argc++] = (char *)bad[i].a[k];
		argv[argc] = NULL;
		teardown(NULL);
		setup(NULL);
		assert_int_equal(card_main(argc, argv, &fake_kind), CARD_EXIT_USAGE);
		snprintf(line, sizeof(line), "azote-card-fake: error: %s (see --help)\n",
			 bad[i].want);
		assert_string_equal(logged(), line);
		assert_null(usage_to);
		assert_string_equal(order, "");
	}
	/* The card's own check, after the common options. */
	assert_int_equal(RUN("--fd", "3"), CARD_EXIT_USAGE);
	assert_non_null(strstr(logged(), "error: --thing is required (see --help)\n"));
	assert_string_equal(order, "");
}

/* A failing open: nothing after it, and what start took is given back;
 * destroy is not called (open leaves nothing open when it fails). */
static void test_open_fails(void **state)
{
	(void)state;
	fail_step = "open";
	assert_int_equal(RUN("--thing", "t", "--fd", "3", "--stats-fd", "4"), CARD_EXIT_FAILED);
	assert_string_equal(order, "start open stop");
	assert_ptr_equal(stopped, &fake_stats);
	assert_string_equal(logged(), "azote-card-fake: error: cannot open fake thing t\n");
}

/* card_start may fail with the page already mapped: it is given back. */
static void test_start_fails(void **state)
{
	(void)state;
	fail_step = "start";
	assert_int_equal(RUN("--thing", "t", "--fd", "9", "--stats-fd", "4"), CARD_EXIT_FAILED);
	assert_string_equal(order, "start stop");
	assert_ptr_equal(stopped, &fake_stats);
	assert_string_equal(logged(), "azote-card-fake: error: --fd 9 is not a stream socket\n");
}

/* The normal order with an inherited socket: no listening, no
 * confinement without --user, the device before the filter, the filter
 * before the front-end; nothing given back once the workers run. */
static void test_order_fd(void **state)
{
	(void)state;
	assert_int_equal(RUN("--thing", "t", "--fd", "3", "--log-level", "info"), CARD_EXIT_OK);
	assert_string_equal(order, "start open create seccomp:kill describe run");
	assert_ptr_equal(run_dev, &fake_vu);
	assert_int_equal(run_fd, 3);
	assert_int_equal(run_listen_fd, -1);
	assert_null(run_path);
	assert_string_equal(logged(), "azote-card-fake: info: serving fake t, seccomp: 7 rules\n");
	/* At the default level (warning) the card says nothing. */
	teardown(NULL);
	setup(NULL);
	assert_int_equal(RUN("--thing", "t", "--fd", "3"), CARD_EXIT_OK);
	assert_string_equal(logged(), "");
}

/* --socket and --user: listening and confinement between open and the
 * device, the --seccomp mode given through. A failing accept ends the
 * card with 1, and the listening socket is closed. */
static void test_order_socket_user(void **state)
{
	(void)state;
	fail_step = "run";
	assert_int_equal(RUN("--thing", "t", "--socket", "/run/f.sock", "--user", "1000:100",
			     "--seccomp", "log"), CARD_EXIT_FAILED);
	assert_string_equal(order, "start open listen confine create seccomp:log describe run");
	assert_int_equal(confined.uid, 1000);
	assert_int_equal(confined.gid, 100);
	assert_int_equal(run_fd, -1);
	assert_true(listen_fd >= 0);
	assert_int_equal(run_listen_fd, listen_fd);
	assert_string_equal(run_path, "/run/f.sock");
	assert_string_equal(logged(), "azote-card-fake: error: accept on /run/f.sock: boom\n");
	assert_int_equal(fcntl(listen_fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

/* Each later step failing: what has run, what is given back, the
 * message, status 1. Before create the resource is destroyed and the
 * page given back; from create on the workers may hold both. */
static void test_later_fails(void **state)
{
	static const struct { const char *step, *order, *msg; } cases[] = {
		{ "listen", "start open listen destroy stop",
		  "/run/f.sock exists and is not a socket" },
		{ "confine", "start open listen confine destroy stop", "cannot become uid 7" },
		{ "create", "start open listen confine create", "cannot start worker 0" },
		{ "seccomp:kill", "start open listen confine create seccomp:kill",
		  "seccomp_load: Invalid argument" },
	};
	char line[256];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		teardown(NULL);
		setup(NULL);
		fail_step = cases[i].step;
		assert_int_equal(RUN("--thing", "t", "--socket", "/run/f.sock", "--user", "7",
				     "--stats-fd", "4"), CARD_EXIT_FAILED);
		assert_string_equal(order, cases[i].order);
		snprintf(line, sizeof(line), "azote-card-fake: error: %s\n", cases[i].msg);
		assert_string_equal(logged(), line);
		if (listen_fd >= 0)
			assert_int_equal(fcntl(listen_fd, F_GETFD), -1);
	}
}

/* --uffd-dev-fd without a lazy restore: the fd is closed all the same,
 * not held for the card's life. */
static void test_uffd_dev_fd_closed(void **state)
{
	char num[16];
	int dev = eventfd(0, EFD_CLOEXEC);
	(void)state;

	snprintf(num, sizeof(num), "%d", dev);
	assert_int_equal(RUN("--thing", "t", "--fd", "3", "--uffd-dev-fd", num), CARD_EXIT_OK);
	assert_int_equal(fcntl(dev, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

/* A card with nothing to open (no open, no destroy hook): the same
 * start-up without that step, and nothing destroyed on a failure. */
static void test_no_resource(void **state)
{
	struct card_kind k = fake_kind;
	char *argv[] = { "azote-card-fake", "--thing", "t", "--socket", "/run/f.sock", NULL };
	(void)state;

	k.open = NULL;
	k.destroy = NULL;
	assert_int_equal(card_main(5, argv, &k), CARD_EXIT_OK);
	assert_string_equal(order, "start listen create seccomp:kill describe run");
	teardown(NULL);
	setup(NULL);
	fail_step = "listen";
	assert_int_equal(card_main(5, argv, &k), CARD_EXIT_FAILED);
	assert_string_equal(order, "start listen stop");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_socket_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_later_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_resource, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uffd_dev_fd_closed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
