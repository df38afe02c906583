/* Unit tests for interface names and MAC addresses (src/common/netaddr.c),
 * used by azote's --net and the net card's --tap and --mac. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/netaddr.h"

static void test_parse_good(void **state)
{
	uint8_t mac[MAC_LEN];
	char buf[MAC_STR_LEN];
	struct azerr e;
	(void)state;

	assert_int_equal(mac_parse("06:00:AC:10:00:02", mac, "--mac", &e), 0);
	assert_memory_equal(mac, "\x06\x00\xac\x10\x00\x02", MAC_LEN);
	assert_string_equal(mac_format(mac, buf), "06:00:ac:10:00:02");
	assert_int_equal(mac_parse("fe:ff:ff:ff:ff:ff", mac, "--mac", &e), 0);
	assert_int_equal(mac[0], 0xfe);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "06:00:ac:10:00", "06:00:ac:10:00:02:03", "06:00:ac:10:00:2",
		"6:0:ac:10:0:2", "06-00-ac-10-00-02", "06:00:ac:10:00:0g",
		"06:00:ac:10:00:02 ", " 06:00:ac:10:00:02", "0600ac100002",
		"+6:00:ac:10:00:02", "06::00:ac:10:00:02",
	};
	uint8_t mac[MAC_LEN];
	struct azerr e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mac_parse(bad[i], mac, "--mac", &e), -1);
		assert_non_null(strstr(e.msg, "--mac '"));
		assert_non_null(strstr(e.msg, "six pairs of hex digits"));
	}
	assert_int_equal(mac_parse("01:00:5e:00:00:01", mac, "mac=", &e), -1);
	assert_non_null(strstr(e.msg, "mac= '01:00:5e:00:00:01': a multicast address"));
	assert_int_equal(mac_parse("ff:ff:ff:ff:ff:ff", mac, "--mac", &e), -1);
	assert_non_null(strstr(e.msg, "multicast"));
	assert_int_equal(mac_parse("00:00:00:00:00:00", mac, "--mac", &e), -1);
	assert_non_null(strstr(e.msg, "all-zero"));
}

static void test_ifname(void **state)
{
	(void)state;
	assert_true(ifname_valid("tap0"));
	assert_true(ifname_valid("fc-tap.1_x"));
	assert_true(ifname_valid("fifteen-chars-x"));
	assert_false(ifname_valid("sixteen-chars-xx"));
	assert_false(ifname_valid(""));
	assert_false(ifname_valid("."));
	assert_false(ifname_valid(".."));
	assert_false(ifname_valid("a/b"));
	assert_false(ifname_valid("eth0:1"));
	assert_false(ifname_valid("tap 0"));
	assert_false(ifname_valid("tap\t0"));
}

static void test_random(void **state)
{
	uint8_t a[MAC_LEN], b[MAC_LEN];
	(void)state;

	assert_int_equal(mac_random(a), 0);
	assert_int_equal(mac_random(b), 0);
	/* Unicast and locally administered, and not twice the same. */
	assert_int_equal(a[0] & 3, 2);
	assert_int_equal(b[0] & 3, 2);
	assert_memory_not_equal(a, b, MAC_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
