/* Leveled logging, prefixed with the program name. Lines go to stderr unless
 * a log file is configured (Firecracker's PUT /logger): the guest's serial
 * console owns stdout, so diagnostics never go there. */
#ifndef AZOTE_COMMON_LOG_H
#define AZOTE_COMMON_LOG_H

#include <stdbool.h>

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

void log_msg_at(enum log_level level, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define log_msg(level, ...) log_msg_at(level, __FILE__, __LINE__, __VA_ARGS__)

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
