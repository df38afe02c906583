/* libFuzzer target: the diff snapshot's dirty log (src/vmm/dirty_log.c),
 * whose bits every card sets in a shared memfd (a compromised card sets
 * any it likes) and KVM's memslot logs are ORed into. The input is the
 * cards' log, then KVM's bitmap of one slot at a page the input names, a
 * RAM layout with a hole, and a range to walk. However the bits fall, the
 * runs a snapshot writes must be non-empty, inside the range and the log,
 * made only of changed pages, with no changed page left between them; and
 * the count must be what a page-by-page test gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dirty_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOG_WORDS 8                      /* 512 pages: 2 MiB of guest */
#define SLOT_WORDS 4

static uint64_t word(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bits[LOG_WORDS], slot[SLOT_WORDS];
	struct dirty_log l = { .fd = -1, .bits = bits, .bytes = sizeof(bits) };

	if (size < 8 * (LOG_WORDS + SLOT_WORDS) + 5)
		return 0;
	for (int i = 0; i < LOG_WORDS; i++)
		bits[i] = word(data + 8 * i);
	data += 8 * LOG_WORDS;
	for (int i = 0; i < SLOT_WORDS; i++)
		slot[i] = word(data + 8 * i);
	data += 8 * SLOT_WORDS;
	/* The slot may start inside the log or past it, and run past its
	 * end: pages past the log are ignored. */
	dirty_log_or_slot(&l, (uint64_t)data[0] * 4 * DIRTY_LOG_PAGE, slot,
			  (uint64_t)data[1] * SLOT_WORDS * 64 / 255);
	l.all = data[2] == 0xff;
	/* Two regions with a hole between, the second may reach past the log. */
	struct guest_mem m = { .nr_regions = 2, .regions = {
		{ .gpa = 0, .size = (uint64_t)(data[3] % 200) * DIRTY_LOG_PAGE },
		{ .gpa = 256 * DIRTY_LOG_PAGE, .size = (uint64_t)data[4] * 2 * DIRTY_LOG_PAGE },
	} };
	uint64_t expect = 0;
	for (int i = 0; i < m.nr_regions; i++) {
		uint64_t p = m.regions[i].gpa / DIRTY_LOG_PAGE;
		uint64_t end = p + m.regions[i].size / DIRTY_LOG_PAGE, s, t, prev = p;
		while (dirty_log_next_run(&l, p, end, &s, &t)) {
			if (s < p || t <= s || t > end || (!l.all && t > LOG_WORDS * 64))
				abort();
			for (uint64_t q = prev; q < t; q++)
				if (dirty_log_test(&l, q) != (q >= s))
					abort();
			expect += t - s;
			prev = p = t;
		}
		for (uint64_t q = prev; q < end; q++)
			if (dirty_log_test(&l, q))
				abort();
	}
	if (dirty_log_count(&l, &m) != expect)
		abort();
	return 0;
}
