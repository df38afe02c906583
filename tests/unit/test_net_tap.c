/* Unit tests for the TAP side of the net card (src/cards/net/tap.c): the
 * message for every way attaching can fail, then the real thing on TAPs
 * this test creates in a network namespace of its own (as root; skipped
 * otherwise), so that no host interface is ever touched and nothing is
 * left behind: the namespace ends with the process. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cards/net/tap.h"
#include "virtio/virtio.h"

static bool have_netns;

static void assert_says(const struct azerr *e, const char *part)
{
	if (!strstr(e->msg, part))
		fail_msg("'%s' does not say '%s'", e->msg, part);
}

static void test_messages(void **state)
{
	struct azerr e;
	(void)state;

	tap_error(&e, TAP_LOOKUP, ENODEV, "tap7", TAP_TUN_DEV, 1);
	assert_says(&e, "TAP device tap7 does not exist");
	assert_says(&e, "never creates one");
	assert_says(&e, "`ip tuntap add dev tap7 mode tap`");
	tap_error(&e, TAP_LOOKUP, ENODEV, "tap7", TAP_TUN_DEV, 2);
	assert_says(&e, "mode tap multi_queue`");
	tap_error(&e, TAP_OPEN_DEV, ENOENT, "tap7", "/dev/net/tun", 1);
	assert_says(&e, "cannot open /dev/net/tun");
	assert_says(&e, "tun module");
	tap_error(&e, TAP_OPEN_DEV, EACCES, "tap7", "/dev/net/tun", 1);
	assert_says(&e, "permission denied");
	tap_error(&e, TAP_ATTACH, EPERM, "tap7", TAP_TUN_DEV, 1);
	assert_says(&e, "no permission to attach to TAP tap7");
	assert_says(&e, "user USER");
	assert_says(&e, "CAP_NET_ADMIN");
	tap_error(&e, TAP_ATTACH, EBUSY, "tap7", TAP_TUN_DEV, 1);
	assert_says(&e, "in use by another process");
	tap_error(&e, TAP_ATTACH, EINVAL, "tap7", TAP_TUN_DEV, 4);
	assert_says(&e, "not created with multi_queue, which --queues 4 needs");
	tap_error(&e, TAP_ATTACH, EINVAL, "tap7", TAP_TUN_DEV, 1);
	assert_says(&e, "cannot attach to TAP tap7: Invalid argument");
	tap_error(&e, TAP_CONFIG, EIO, "tap7", TAP_TUN_DEV, 1);
	assert_says(&e, "cannot set up TAP tap7");
}

/* ---- on real devices, in this process's own network namespace ---- */

static int group_setup(void **state)
{
	(void)state;
	have_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
		     access(TAP_TUN_DEV, R_OK | W_OK) == 0;
	if (!have_netns)
		print_message("no private network namespace (not root?): "
			      "real-TAP tests skipped\n");
	return 0;
}

/* Creates a persistent TAP (or TUN) the way `ip tuntap add` does, owned
 * by user owner (-1: nobody in particular). */
static void make_dev(const char *name, short flags, long owner)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd = open(TAP_TUN_DEV, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	if (owner >= 0)
		assert_int_equal(ioctl(fd, TUNSETOWNER, owner), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
}

static void expect_open_error(const char *name, unsigned queues, const char *part)
{
	struct tap t;
	struct azerr e;

	assert_int_equal(tap_open(&t, TAP_TUN_DEV, name, queues, &e), -1);
	assert_says(&e, part);
	assert_int_equal(t.nr, 0);
}

static void test_open_errors(void **state)
{
	(void)state;
	if (!have_netns)
		skip();
	make_dev("aztun0", IFF_TUN | IFF_NO_PI, -1);
	make_dev("aztap1", IFF_TAP | IFF_NO_PI, -1);
	expect_open_error("nope0", 1, "TAP device nope0 does not exist");
	expect_open_error("lo", 1, "lo is not a TAP device");
	expect_open_error("aztun0", 1, "aztun0 is a TUN device");
	expect_open_error("aztap1", 2, "not created with multi_queue, which --queues 2");
	expect_open_error("bad/name", 1, "not a valid interface name");
	expect_open_error("sixteen-chars-xx", 1, "not a valid interface name");

	struct tap t;
	struct azerr e;
	assert_int_equal(tap_open(&t, "/nonexistent/tun", "aztap1", 1, &e), -1);
	assert_says(&e, "cannot open /nonexistent/tun");

	/* A TAP without multi_queue serves one user. */
	assert_int_equal(tap_open(&t, TAP_TUN_DEV, "aztap1", 1, &e), 0);
	expect_open_error("aztap1", 1, "in use by another process");
	tap_close(&t);
}

static void test_open_single(void **state)
{
	struct tap t;
	struct azerr e;
	int sz = 0;
	(void)state;

	if (!have_netns)
		skip();
	make_dev("aztap2", IFF_TAP | IFF_NO_PI, -1);
	assert_int_equal(tap_open(&t, TAP_TUN_DEV, "aztap2", 1, &e), 0);
	assert_int_equal(t.nr, 1);
	assert_false(t.multi_queue);
	assert_int_equal(t.mtu, 1500);
	assert_int_equal(fcntl(t.fd[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	assert_int_equal(fcntl(t.fd[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* The modern header until a driver says otherwise. */
	assert_int_equal(ioctl(t.fd[0], TUNGETVNETHDRSZ, &sz), 0);
	assert_int_equal(sz, NET_HDR_LEN);
	struct net_mode legacy;
	net_mode_init(&legacy, 0, 0, 0);
	assert_int_equal(tap_set_mode(&t, &legacy, &e), 0);
	assert_int_equal(ioctl(t.fd[0], TUNGETVNETHDRSZ, &sz), 0);
	assert_int_equal(sz, NET_HDR_LEN_LEGACY);
	struct net_mode all;
	net_mode_init(&all, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		      VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6), 0, 0);
	assert_int_equal(tap_offloads(&all), TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	assert_int_equal(tap_set_mode(&t, &all, &e), 0);
	/* A single-queue TAP has no queues to detach. */
	assert_int_equal(tap_queue_enable(t.fd[0], false), -EINVAL);
	tap_close(&t);
	assert_int_equal(t.fd[0], -1);
}

static void test_open_multi_queue(void **state)
{
	struct tap t;
	struct azerr e;
	(void)state;

	if (!have_netns)
		skip();
	make_dev("aztap3", IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, -1);
	assert_int_equal(tap_open(&t, TAP_TUN_DEV, "aztap3", 3, &e), 0);
	assert_int_equal(t.nr, 3);
	assert_true(t.multi_queue);
	assert_int_equal(tap_queue_enable(t.fd[1], false), 0);
	assert_int_equal(tap_queue_enable(t.fd[1], true), 0);
	tap_close(&t);
	/* One queue on a multi_queue TAP works too. */
	assert_int_equal(tap_open(&t, TAP_TUN_DEV, "aztap3", 1, &e), 0);
	assert_true(t.multi_queue);
	tap_close(&t);
}

/* Drops CAP_NET_ADMIN from this process (which stays root). */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static void test_open_no_permission(void **state)
{
	int status;
	(void)state;

	if (!have_netns)
		skip();
	/* A TAP that belongs to user 1000 (`ip tuntap add ... user 1000`):
	 * root without CAP_NET_ADMIN may open /dev/net/tun but not attach. */
	make_dev("aztap4", IFF_TAP | IFF_NO_PI, 1000);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tap t;
		struct azerr e;
		if (drop_net_admin())
			_exit(2);
		int r = tap_open(&t, TAP_TUN_DEV, "aztap4", 1, &e);
		if (r == 0 || !strstr(e.msg, "no permission to attach to TAP aztap4"))
			fprintf(stderr, "got: %s\n", r ? e.msg : "success");
		_exit(r == -1 && strstr(e.msg, "no permission to attach to TAP aztap4") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_single),
		cmocka_unit_test(test_open_multi_queue),
		cmocka_unit_test(test_open_no_permission),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
