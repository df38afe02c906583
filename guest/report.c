/* Result lines: "PROBE <test> PASS|FAIL key=value ...", one per test, the
 * only thing the host parses besides "PROBE mark" progress lines. */
#include "lib.h"
#include "probe.h"

void rep_init(struct report *r, const char *test)
{
	r->test = test;
	r->failed = false;
	r->truncated = false;
	r->len = 0;
	r->kv[0] = '\0';
}

static void rep_vadd(struct report *r, const char *fmt, va_list ap)
{
	size_t room = sizeof(r->kv) - r->len;
	int n;

	if (room < 2) {
		r->truncated = true;
		return;
	}
	r->kv[r->len++] = ' ';
	n = vsnprintf(r->kv + r->len, room - 1, fmt, ap);
	if ((size_t)n >= room - 1)
		r->truncated = true;
	r->len = MIN(r->len + (size_t)n, sizeof(r->kv) - 1);
}

void rep_kv(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rep_vadd(r, fmt, ap);
	va_end(ap);
}

void rep_fail(struct report *r, const char *fmt, ...)
{
	va_list ap;

	r->failed = true;
	va_start(ap, fmt);
	rep_vadd(r, fmt, ap);
	va_end(ap);
}

/* One line however long, never cut: a report that did not fit its buffer
 * fails, saying so, rather than pass with keys missing. */
void rep_print(const struct report *r)
{
	bool fail = r->failed || r->truncated;

	console_write((const char *const[]){ "PROBE ", r->test, fail ? " FAIL" : " PASS", r->kv,
					     r->truncated ? " reason=report_truncated\n" : "\n" },
		      5);
}

void mark(const char *test, const char *what, const char *event)
{
	printk("PROBE mark %s.%s %s\n", test, what, event);
}
