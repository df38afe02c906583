#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

int azerr_set(struct azerr *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}
