#include "state_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

uint64_t state_poke(struct state_set *s, uint32_t tag, uint32_t index, size_t off,
		    unsigned width, uint64_t v)
{
	const struct state_section *sec = state_find(s, tag, index);
	uint64_t old = 0;

	assert_non_null(sec);
	assert_true(width <= 8 && off + width <= sec->len);
	memcpy(&old, sec->data + off, width);
	memcpy(sec->data + off, &v, width);
	return old;
}

void state_drop(struct state_set *s, uint32_t tag, uint32_t index)
{
	struct state_section *sec = (struct state_section *)state_find(s, tag, index);

	assert_non_null(sec);
	free(sec->data);
	memmove(sec, sec + 1, (size_t)(s->v + s->n - (sec + 1)) * sizeof(*sec));
	s->n--;
}

void assert_refused(int ret, const struct azerr *e, const char *what)
{
	assert_int_equal(ret, -1);
	if (!strstr(e->msg, what))
		fail_msg("refusal \"%s\" does not name \"%s\"", e->msg, what);
}
