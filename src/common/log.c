#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

static const char *log_prog = "azote";
static enum log_level log_level = LOG_WARN;

void log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level = level;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "error", LOG_ERROR }, { "warning", LOG_WARN },
		{ "warn", LOG_WARN },   { "info", LOG_INFO },
		{ "debug", LOG_DEBUG }, { "trace", LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].level;
			return 0;
		}
	}
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > log_level)
		return;
	/* One fprintf per line keeps lines from different threads whole. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", log_prog, tag[level], line);
}
