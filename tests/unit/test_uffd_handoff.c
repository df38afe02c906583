/* Unit tests for the handshake with an external page-fault handler
 * (vmm/uffd_handoff.h), as Firecracker's Uffd backend makes it: the
 * regions' JSON field by field, the one message with the userfaultfd
 * attached as a handler receives it, and the errors, each naming the
 * socket. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../host/fd_recv.h"
#include "common/uffd_pager.h"
#include "vmm/uffd_handoff.h"

#define PG 4096ULL
#define MIB (1ULL << 20)

static json_int_t get(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* The region's five fields, and nothing else. */
static void assert_region(json_t *o, const struct guest_mem_region *r)
{
	assert_int_equal(json_object_size(o), 5);
	assert_int_equal(get(o, "base_host_virt_addr"), (json_int_t)(uintptr_t)r->hva);
	assert_int_equal(get(o, "size"), (json_int_t)r->size);
	assert_int_equal(get(o, "offset"), (json_int_t)r->fd_offset);
	assert_int_equal(get(o, "page_size"), PG);
	assert_int_equal(get(o, "page_size_kib"), PG);
}

static void test_json(void **state)
{
	struct guest_mem m;
	(void)state;

	/* 3 GiB below the hole, 1 GiB above 4 GiB, at memfd offset 3 GiB. */
	guest_mem_layout(&m, 4096 * MIB, 3072 * MIB, 4096 * MIB);
	m.regions[0].hva = (uint8_t *)(uintptr_t)0x7f0000000000ULL;
	m.regions[1].hva = (uint8_t *)(uintptr_t)0x7f2000000000ULL;
	char *text = uffd_handoff_json(&m, PG);
	assert_non_null(text);
	json_t *list = json_loads(text, 0, NULL);
	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), 2);
	assert_region(json_array_get(list, 0), &m.regions[0]);
	assert_region(json_array_get(list, 1), &m.regions[1]);
	assert_int_equal(get(json_array_get(list, 1), "offset"), 3072 * MIB);
	json_decref(list);
	free(text);
}

static char dir[] = "/tmp/test-uffd-handoff-XXXXXX";

static int listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0 && strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

/* A userfaultfd, or the test skipped where this host gives none. */
static int make_uffd(void)
{
	struct azerr e;
	int uffd = uffd_open(-1, 0, &e);

	if (uffd < 0 && (errno == EPERM || errno == ENOSYS))
		skip();
	assert_true(uffd >= 0);
	return uffd;
}

static void test_handshake(void **state)
{
	struct guest_mem m;
	struct azerr e;
	char path[128], buf[4096], link[64], target[64];
	(void)state;

	guest_mem_layout(&m, 4 * MIB, 3 * MIB, 5 * MIB);
	assert_int_equal(guest_mem_create(&m, &e), 0);
	int uffd = make_uffd();
	snprintf(path, sizeof(path), "%s/h.sock", dir);
	int l = listener(path);
	int conn = uffd_handoff(&m, uffd, path, &e);
	assert_true(conn >= 0);
	int peer = accept(l, NULL, NULL);
	assert_true(peer >= 0);
	int got = fd_recv(peer, buf, sizeof(buf));
	assert_true(got >= 0);
	char *want = uffd_handoff_json(&m, PG);
	assert_string_equal(buf, want);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", got);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	assert_string_equal(target, "anon_inode:[userfaultfd]");
	/* The connection stays open (azote keeps it): nothing more comes. */
	assert_int_equal(recv(peer, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	free(want);
	close(got);
	close(peer);
	close(conn);
	close(l);
	close(uffd);
	unlink(path);
	guest_mem_destroy(&m);
}

static void test_errors(void **state)
{
	struct guest_mem m;
	struct azerr e;
	char path[200];
	(void)state;

	guest_mem_layout(&m, 4 * MIB, 3 * MIB, 5 * MIB);
	assert_int_equal(guest_mem_create(&m, &e), 0);
	int uffd = make_uffd();
	snprintf(path, sizeof(path), "%s/nobody.sock", dir);
	assert_int_equal(uffd_handoff(&m, uffd, path, &e), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "No such file or directory"));
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	assert_int_equal(uffd_handoff(&m, uffd, path, &e), -1);
	assert_non_null(strstr(e.msg, "longer than a Unix socket address"));
	/* Not a userfaultfd: the registration fails, nothing is sent. */
	assert_int_equal(uffd_handoff(&m, 0, "/nonexistent", &e), -1);
	assert_non_null(strstr(e.msg, "cannot register guest RAM"));
	close(uffd);
	guest_mem_destroy(&m);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
