#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/fdio.h"
#include "common/utf8.h"

static const char *log_prog = "azote";
static enum log_level log_level = LOG_WARN;

/* The output settings change rarely (PUT /logger) while any thread may log;
 * the lock keeps a line from being written to an fd that is being closed. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = 2;
static bool log_show_level = true;
static bool log_show_origin;
static char log_module[128];
static char log_instance[128];  /* "": azote's own format */
/* The calling thread's name, for Firecracker's format; read once, since a
 * thread under a seccomp filter may not ask the kernel for it. */
static __thread char log_thread[16];

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

const char *log_level_name(enum log_level level)
{
	static const char *const names[] = {
		[LOG_ERROR] = "error", [LOG_WARN] = "warning",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};

	return (unsigned)level < sizeof(names) / sizeof(names[0]) ? names[level] : "warning";
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

void log_set_output(int fd, bool show_level, bool show_origin,
		    const char *module, const char *instance)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd > 2 && log_fd != fd)
		close(log_fd);
	log_fd = fd;
	log_show_level = show_level;
	log_show_origin = show_origin;
	snprintf(log_module, sizeof(log_module), "%s", module ? module : "");
	snprintf(log_instance, sizeof(log_instance), "%s", instance ? instance : "");
	pthread_mutex_unlock(&log_lock);
}

/* file is as the compiler saw it ("src/api/api.c"); the module filter
 * names a directory or file below src/ ("api", "vmm/vcpu"). */
static bool log_module_matches(const char *file)
{
	size_t n = strlen(log_module);

	if (!n)
		return true;
	if (!strncmp(file, "src/", 4))
		file += 4;
	return !strncmp(file, log_module, n) &&
	       (file[n] == '/' || file[n] == '.' || file[n] == '\0');
}

void log_remember_thread_name(void)
{
	if (pthread_getname_np(pthread_self(), log_thread, sizeof(log_thread)))
		log_thread[0] = '\0';
}

/* azote's own line: "azote: warning: src/x.c:12: message". */
static int format_own(char *out, size_t len, enum log_level level, const char *file,
		      int line, const char *msg)
{
	char origin[256] = "";

	if (log_show_origin)
		snprintf(origin, sizeof(origin), "%s:%d: ", file, line);
	return snprintf(out, len, "%s: %s%s%s%s\n", log_prog,
			log_show_level ? log_level_name(level) : "",
			log_show_level ? ": " : "", origin, msg);
}

/* Firecracker's line (its logger's format, local time to nanoseconds, the
 * level as Rust's log crate names it). */
static int format_firecracker(char *out, size_t len, enum log_level level, const char *file,
			      int line, const char *msg)
{
	static const char *const tag[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	char when[40] = "", lvl[8] = "", origin[256] = "";
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (!log_thread[0])
		log_remember_thread_name();
	if (log_show_level)
		snprintf(lvl, sizeof(lvl), ":%s", tag[level]);
	if (log_show_origin)
		snprintf(origin, sizeof(origin), ":%s:%d", file, line);
	return snprintf(out, len, "%s.%09ld [%s:%s%s%s] %s\n", when, ts.tv_nsec, log_instance,
			log_thread[0] ? log_thread : "-", lvl, origin, msg);
}

/* GCRA: each line moves the site's due time on by one period from now
 * or from where it was, whichever is later; a line that would put it more
 * than the refill time ahead is denied (so LOG_SITE_BURST pass at once). */
#define LOG_SITE_PERIOD_MS (LOG_SITE_REFILL_MS / LOG_SITE_BURST)
static uint64_t log_held_total;     /* under log_lock */
static uint64_t *log_held_also;     /* under log_lock */

bool log_site_admit(struct log_site *site, uint64_t now_ms, uint64_t *held)
{
	uint64_t due = (site->due_ms > now_ms ? site->due_ms : now_ms) + LOG_SITE_PERIOD_MS;

	if (due - now_ms > LOG_SITE_REFILL_MS) {
		site->held++;
		return false;
	}
	site->due_ms = due;
	*held = site->held;
	site->held = 0;
	return true;
}

void log_count_held_back_in(uint64_t *counter)
{
	pthread_mutex_lock(&log_lock);
	log_held_also = counter;
	pthread_mutex_unlock(&log_lock);
}

uint64_t log_held_back(void)
{
	pthread_mutex_lock(&log_lock);
	uint64_t n = log_held_total;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* One line out, under log_lock. */
static void emit(enum log_level level, const char *file, int line, const char *msg)
{
	char out[1500];
	int n;

	if (log_fd < 0 || !log_module_matches(file))
		return;
	n = (log_instance[0] ? format_firecracker : format_own)(out, sizeof(out), level, file,
								line, msg);
	if (n >= (int)sizeof(out)) {
		n = sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	/* One write per line keeps lines from different threads whole; a
	 * full pipe loses the line rather than stalling a vCPU. */
	if (write_now(log_fd, out, (size_t)n) < 0) {
		/* nothing better to do with a failing log sink */
	}
}

/* Whether character c (-1: a byte that is not UTF-8) is written \xNN,
 * byte by byte: a C0 control or DEL; a C1 control (U+0080 to U+009F,
 * which terminals act on in UTF-8 too: U+009B starts an escape sequence);
 * a byte that is not UTF-8 (a lone 0x9b is the same CSI to an 8-bit
 * terminal). */
static bool escaped(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

/* Copies in to out (size bytes), each control character, and each byte
 * that is not UTF-8, written \xNN: a message quoting what a client or a
 * guest sent (a URL path, an id, a file name) must not start a line of its
 * own that looks like azote's, nor drive the terminal showing the log. A
 * character is copied whole or not at all. */
static void escape_controls(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), i = 0, n = 0;

	while (i < len) {
		size_t at = i;
		int32_t c = utf8_next(s, len, &i);

		if (c < 0)
			i = at + 1;
		if (!escaped(c)) {
			if (n + (i - at) >= size)
				break;
			memcpy(out + n, s + at, i - at);
			n += i - at;
			continue;
		}
		if (n + 4 * (i - at) >= size)
			break;
		for (; at < i; at++, n += 4)
			snprintf(out + n, size - n, "\\x%02x", s[at]);
	}
	out[n] = '\0';
}

void log_msg_at(struct log_site *site, enum log_level level, const char *file, int line,
		const char *fmt, ...)
{
	char raw[1024], msg[1024];
	uint64_t held = 0;
	va_list ap;

	if (level > log_level)
		return;
	pthread_mutex_lock(&log_lock);
	if (site && level < LOG_DEBUG && !log_site_admit(site, clock_us(CLOCK_MONOTONIC) / 1000, &held)) {
		log_held_total++;
		if (log_held_also)
			__atomic_fetch_add(log_held_also, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&log_lock);
		return;
	}
	if (held) {
		snprintf(msg, sizeof(msg), "%llu more lines from here were held back (at most "
			 "%d in %d s from one place)", (unsigned long long)held, LOG_SITE_BURST,
			 LOG_SITE_REFILL_MS / 1000);
		emit(LOG_WARN, file, line, msg);
	}
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_controls(raw, msg, sizeof(msg));
	emit(level, file, line, msg);
	pthread_mutex_unlock(&log_lock);
}
