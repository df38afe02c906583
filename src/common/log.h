/* Leveled logging, prefixed with the program name. Lines go to stderr unless
 * a log file is configured (Firecracker's PUT /logger): the guest's serial
 * console owns stdout, so diagnostics never go there. */
#ifndef AZOTE_COMMON_LOG_H
#define AZOTE_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
/* Parses "error", "warning"/"warn", "info", "debug" (case-insensitive). */
int log_parse_level(const char *s, enum log_level *out);
/* The level messages are kept at, and its name as log_parse_level takes
 * it (what azote hands its cards: --log-level). */
enum log_level log_get_level(void);
const char *log_level_name(enum log_level level);

/* Where and how lines are written. fd: the destination (2 for stderr, -1 to
 * discard everything); the log module takes ownership of any fd other than
 * 2 and closes it when replaced. show_level / show_origin: include the level
 * name / the source file and line. module: when not NULL, only lines whose
 * source file lies under src/<module> are written (copied). instance: when
 * not NULL, lines take Firecracker's logger format,
 *   2026-12-04T06:52:49.123456789 [INSTANCE:THREAD:LEVEL:FILE:LINE] message
 * (local time; LEVEL and FILE:LINE only when shown), else azote's own
 * "azote: warning: message". The defaults are fd 2, show_level true,
 * show_origin false, no module filter, azote's format. */
void log_set_output(int fd, bool show_level, bool show_origin,
		    const char *module, const char *instance);

/* Reads the calling thread's name for later log lines (Firecracker's
 * format names the thread); threads call it before a seccomp filter would
 * forbid asking, and again after renaming themselves. */
void log_remember_thread_name(void);

/* A call site's share of the log, Firecracker's per-callsite limit (its
 * 1.16): errors, warnings and info lines from one place at most
 * LOG_SITE_BURST at once, then one every LOG_SITE_REFILL_MS /
 * LOG_SITE_BURST, so that what a guest can make repeat (a malformed ring,
 * a refused frame) cannot fill the host's log. What is held back is
 * counted (log_held_back) and said, with its number, before the site's
 * next line. Debug lines are not limited: they are asked for. */
#define LOG_SITE_BURST     10
#define LOG_SITE_REFILL_MS 5000
struct log_site {
	uint64_t due_ms;           /* when the site's allowance is spent */
	uint64_t held;             /* lines held back since the last one */
};

/* Whether site may log at now_ms (a monotonic clock in ms); if so,
 * *held is how many it was denied before, now said. Under the caller's
 * lock. */
bool log_site_admit(struct log_site *site, uint64_t now_ms, uint64_t *held);
/* Lines held back by every site of this process so far. */
uint64_t log_held_back(void);
/* Also counts each line held back from now on into *counter (relaxed
 * atomic adds; NULL: no longer): a card's in its stats page, for azote's
 * metrics. */
void log_count_held_back_in(uint64_t *counter);

void log_msg_at(struct log_site *site, enum log_level level, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define log_msg(level, ...)							\
	do {									\
		static struct log_site log_site_;				\
		log_msg_at(&log_site_, level, __FILE__, __LINE__, __VA_ARGS__);	\
	} while (0)

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
