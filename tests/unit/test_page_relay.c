/* Unit tests for azote's page relay (vmm/page_relay.h): which offsets are
 * pages of guest RAM, and the relay's answers over a socketpair to a card
 * that asks for a page, for what is no page, and that sends garbage.
 * Guest RAM here is plain memory laid out in two regions with no
 * userfaultfd: a touch just reads it. The relay with real faults and a real
 * handler is tests/host/uffd_relay.c (test 71). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "iface/page_relay.h"
#include "vmm/page_relay.h"

#define PG 4096ULL
#define MIB (1ULL << 20)

/* 3 MiB below a hole at 3 MiB, 1 MiB above it (memfd offset 3 MiB). */
static uint8_t *ram;

static void layout(struct guest_mem *m)
{
	guest_mem_layout(m, 4 * MIB, 3 * MIB, 5 * MIB);
	ram = aligned_alloc(PG, 4 * MIB);
	assert_non_null(ram);
	m->regions[0].hva = ram;
	m->regions[1].hva = ram + 3 * MIB;
}

static void test_find(void **state)
{
	struct guest_mem m;
	(void)state;

	layout(&m);
	assert_ptr_equal(page_relay_find(&m, 0, PG), ram);
	assert_ptr_equal(page_relay_find(&m, 3 * MIB - PG, PG), ram + 3 * MIB - PG);
	/* The second region starts at its memfd offset, not its address. */
	assert_ptr_equal(page_relay_find(&m, 3 * MIB, PG), ram + 3 * MIB);
	assert_ptr_equal(page_relay_find(&m, 4 * MIB - PG, PG), ram + 4 * MIB - PG);
	/* Past RAM, not page-aligned, or at the hole's guest address. */
	assert_null(page_relay_find(&m, 4 * MIB, PG));
	assert_null(page_relay_find(&m, 5 * MIB, PG));
	assert_null(page_relay_find(&m, PG + 8, PG));
	assert_null(page_relay_find(&m, UINT64_MAX & ~(PG - 1), PG));
	free(ram);
}

/* One request of the card's: the answer's error, or -1 when the relay
 * hung up. */
static int ask(int fd, uint64_t off)
{
	struct page_relay_msg msg = { .off = off };

	if (write(fd, &msg, sizeof(msg)) != sizeof(msg) || read(fd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	assert_int_equal(msg.off, off);
	return msg.err;
}

static int started;

static int on_start(struct azerr *e)
{
	(void)e;
	started++;
	return 0;
}

/* A relay over m, laid out; *card gets the card's end. */
static struct page_relay *relay(struct guest_mem *m, int (*start)(struct azerr *e), int *card)
{
	struct azerr e;
	int sv[2];

	layout(m);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	struct page_relay *r = page_relay_start(m, sv[0], -1, start, &e);
	assert_non_null(r);
	*card = sv[1];
	return r;
}

static void test_answers(void **state)
{
	struct guest_mem m;
	int card;
	(void)state;

	struct page_relay *r = relay(&m, on_start, &card);
	assert_int_equal(ask(card, 0), 0);
	assert_int_equal(ask(card, 3 * MIB), 0);
	assert_int_equal(ask(card, 4 * MIB), EINVAL);
	assert_int_equal(ask(card, 12), EINVAL);
	assert_int_equal(started, 1);
	/* Garbage ends the relay, and the card sees it end. */
	assert_int_equal(write(card, "x", 1), 1);
	assert_int_equal(ask(card, 0), -1);
	assert_int_equal(page_relay_stop(r), 2);
	close(card);
	free(ram);
}

/* A relay stopped while the card is still there: its read is woken. */
static void test_stop_while_waiting(void **state)
{
	struct guest_mem m;
	int card;
	(void)state;

	struct page_relay *r = relay(&m, NULL, &card);
	assert_int_equal(ask(card, PG), 0);
	assert_int_equal(page_relay_stop(r), 1);
	assert_int_equal(ask(card, PG), -1);
	close(card);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_stop_while_waiting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
