/* base/state: sections are copied, found by tag and index, refused twice,
 * and size-checked on the way out with a message naming the section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/state.h"

static void test_put_copies_and_finds(void **st)
{
	(void)st;
	struct state_set s;
	struct azerr e = { "" };
	uint32_t regs[4] = { 1, 2, 3, 4 };

	state_set_init(&s);
	assert_int_equal(state_put(&s, STATE_VCPU_REGS, 1, regs, sizeof(regs), &e), 0);
	regs[0] = 99; /* the set holds its own copy */
	const uint32_t *got = state_get(&s, STATE_VCPU_REGS, 1, sizeof(regs), &e);
	assert_non_null(got);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[3], 4);
	assert_null(state_find(&s, STATE_VCPU_REGS, 0));
	assert_null(state_find(&s, STATE_VCPU_SREGS, 1));
	state_set_free(&s);
	assert_int_equal(s.n, 0);
}

static void test_duplicate_refused(void **st)
{
	(void)st;
	struct state_set s;
	struct azerr e = { "" };
	char b = 7;

	state_set_init(&s);
	assert_int_equal(state_put(&s, STATE_UART, 0, &b, 1, &e), 0);
	assert_int_equal(state_put(&s, STATE_UART, 0, &b, 1, &e), -1);
	assert_non_null(strstr(e.msg, "uart #0 saved twice"));
	assert_int_equal(state_put(&s, STATE_UART, 1, &b, 1, &e), 0);
	assert_int_equal(s.n, 2);
	state_set_free(&s);
}

static void test_get_checks_presence_and_size(void **st)
{
	(void)st;
	struct state_set s;
	struct azerr e = { "" };
	uint64_t v = 5;

	state_set_init(&s);
	assert_null(state_get(&s, STATE_PIT, 0, sizeof(v), &e));
	assert_string_equal(e.msg, "snapshot has no pit #0 section");
	assert_int_equal(state_put(&s, STATE_PIT, 0, &v, sizeof(v), &e), 0);
	assert_null(state_get(&s, STATE_PIT, 0, 4, &e));
	assert_string_equal(e.msg, "snapshot section pit #0 is 8 bytes, expected 4");
	assert_non_null(state_get(&s, STATE_PIT, 0, 8, &e));
	state_set_free(&s);
}

static void test_empty_section_and_growth(void **st)
{
	(void)st;
	struct state_set s;
	struct azerr e = { "" };

	state_set_init(&s);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(state_put(&s, STATE_PCI_CONFIG, i, NULL, 0, &e), 0);
	assert_int_equal(s.n, 100);
	assert_non_null(state_get(&s, STATE_PCI_CONFIG, 99, 0, &e));
	state_set_free(&s);
}

static void test_tag_names(void **st)
{
	(void)st;
	assert_string_equal(state_tag_name(STATE_MACHINE), "machine");
	assert_string_equal(state_tag_name(STATE_CARD_RINGS), "card-rings");
	assert_string_equal(state_tag_name(STATE_VIRTIO_MMIO), "virtio-mmio");
	assert_string_equal(state_tag_name(0xdead), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_copies_and_finds),
		cmocka_unit_test(test_duplicate_refused),
		cmocka_unit_test(test_get_checks_presence_and_size),
		cmocka_unit_test(test_empty_section_and_growth),
		cmocka_unit_test(test_tag_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
